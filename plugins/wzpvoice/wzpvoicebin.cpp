#include "plugins/wzpvoice/wzpvoicebin.h"

GstElement *wzp_voice_bin_add_child(GstElement *bin, const char *factory, const char *name,
                                    GstDebugCategory *category) {
  GstElement *element = gst_element_factory_make(factory, name);
  if (element == nullptr) {
    GST_CAT_ERROR_OBJECT(category, bin, "element %s is missing (is its plugin installed?)",
                         factory);
    return nullptr;
  }
  gst_bin_add(GST_BIN(bin), element);
  return element;
}

GstPad *wzp_voice_bin_expose(GstElement *bin, const char *name, GstPad *target,
                             GstStaticPadTemplate *templ) {
  GstPad *ghost = gst_ghost_pad_new_from_template(name, target, gst_static_pad_template_get(templ));
  gst_element_add_pad(bin, ghost);
  return ghost;
}
