// A pipeline from a gst-launch description, set to NULL and freed at the
// end of the test, for element tests that run whole pipelines.
#pragma once

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <string>

namespace wzp::test {

struct Pipeline {
  explicit Pipeline(const std::string &description) {
    GError *error = nullptr;
    element = gst_parse_launch(description.c_str(), &error);
    EXPECT_EQ(error, nullptr) << (error ? error->message : "");
    if (error) g_error_free(error);
  }
  ~Pipeline() {
    if (element == nullptr) return;
    gst_element_set_state(element, GST_STATE_NULL);
    gst_object_unref(element);
  }
  GstElement *get(const char *name) {
    GstElement *child = gst_bin_get_by_name(GST_BIN(element), name);
    if (child) gst_object_unref(child);  // the bin keeps it alive
    return child;
  }
  bool play() {
    return gst_element_set_state(element, GST_STATE_PLAYING) != GST_STATE_CHANGE_FAILURE;
  }
  // The first error or EOS on the bus within `timeout`; the error text is
  // the message plus its debug detail.
  GstMessageType wait_end(std::string &text, GstClockTime timeout = 10 * GST_SECOND) {
    GstBus *bus = gst_element_get_bus(element);
    GstMessage *message = gst_bus_timed_pop_filtered(
        bus, timeout, static_cast<GstMessageType>(GST_MESSAGE_ERROR | GST_MESSAGE_EOS));
    gst_object_unref(bus);
    if (message == nullptr) return GST_MESSAGE_UNKNOWN;
    GstMessageType type = GST_MESSAGE_TYPE(message);
    if (type == GST_MESSAGE_ERROR) {
      GError *error = nullptr;
      gchar *debug = nullptr;
      gst_message_parse_error(message, &error, &debug);
      text = std::string(error->message) + ": " + (debug ? debug : "");
      g_error_free(error);
      g_free(debug);
    }
    gst_message_unref(message);
    return type;
  }
  GstElement *element = nullptr;
};

}  // namespace wzp::test
