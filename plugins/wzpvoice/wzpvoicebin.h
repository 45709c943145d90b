// What wzpvoiceenc and wzpvoicedec share in building their insides: both
// are bins of stock elements behind ghost pads.
#pragma once

#include <gst/gst.h>

// Makes an element of `factory` named `name` (nullptr: a generated name)
// and adds it to `bin`; nullptr, logged in `category`, when its plugin is
// missing.
GstElement *wzp_voice_bin_add_child(GstElement *bin, const char *factory, const char *name,
                                    GstDebugCategory *category);

// Adds to `bin` a ghost pad `name` of `templ` for `target` (not taken) and
// returns it (owned by `bin`).
GstPad *wzp_voice_bin_expose(GstElement *bin, const char *name, GstPad *target,
                             GstStaticPadTemplate *templ);
