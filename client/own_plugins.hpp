// Our elements are found without GST_PLUGIN_PATH: beside the program in the
// build tree (client/wzp or web/wzp-web, gst-plugins/) or where `cmake
// --install` put them (bin/, lib/<triplet>/gstreamer-1.0/), whatever the
// prefix. The folder goes first on the path GStreamer reads at gst_init, so
// a stale system copy never shadows this build's elements. Call before
// gst_init.
#pragma once

namespace wzp::client {

void use_own_plugins();

}  // namespace wzp::client
