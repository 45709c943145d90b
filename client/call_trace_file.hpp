// `--trace FILE`: writes the call's trace (libwzp/trace/call_trace.hpp) as
// it happens: the controller's inputs and decisions (given to write() by
// AdaptiveQuality::trace_to) and every frame entering the receiver's jitter
// buffer, timed as the buffer times it.
#pragma once

#include <gst/gst.h>

#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

namespace wzp::client {

// --trace's help, the same for every command that takes it.
inline constexpr const char kTraceHelp[] =
    "Record the call's quality decisions and frame arrivals to FILE (a call trace that tests "
    "replay)";

class CallTraceFile {
 public:
  // Null with `error` set if the file cannot be created.
  static std::unique_ptr<CallTraceFile> create(const std::string &path, std::string &error);
  ~CallTraceFile();
  CallTraceFile(const CallTraceFile &) = delete;
  CallTraceFile &operator=(const CallTraceFile &) = delete;

  // One line; callable from any thread.
  void write(const std::string &line);
  // Records the jitter buffer's settings and, from now on, each frame that
  // enters the element named "jitter" in `receiver`.
  void watch_arrivals(GstElement *receiver);

 private:
  explicit CallTraceFile(FILE *file) : file_(file) {}
  static GstPadProbeReturn on_frame(GstPad *pad, GstPadProbeInfo *info, gpointer self);
  void record_frame(GstElement *jitter, GstBuffer *buffer);

  std::mutex mutex_;
  FILE *file_;
  GstPad *watched_pad_ = nullptr;
  gulong probe_ = 0;
};

}  // namespace wzp::client
