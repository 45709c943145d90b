// A single-shot wait on an element's clock that another thread can cancel,
// re-armed for every wait so that nothing is allocated per wait.
#pragma once

#include <gst/gst.h>

#include <mutex>

namespace wzp::gst {

class ClockTimer {
 public:
  ClockTimer() = default;
  ClockTimer(const ClockTimer &) = delete;
  ClockTimer &operator=(const ClockTimer &) = delete;
  ~ClockTimer();

  // Waits until `running_time` on `element`'s clock. Called with `lock`
  // held; releases it while waiting. GST_CLOCK_UNSCHEDULED when cancelled,
  // GST_CLOCK_BADTIME when the element has no clock yet.
  GstClockReturn wait(GstElement *element, GstClockTime running_time,
                      std::unique_lock<std::mutex> &lock);
  // Ends a wait in progress. Called with the lock that wait() was given held.
  void cancel();

 private:
  GstClockID reusable_ = nullptr;
  GstClockID waiting_ = nullptr;
};

}  // namespace wzp::gst
