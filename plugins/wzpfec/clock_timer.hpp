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
  // Ends a wait in progress only if it would end after `running_time`: one
  // that ends sooner lets its thread look again then, a wake-up saved.
  void cancel_if_later(GstClockTime running_time);

 private:
  GstClockID reusable_ = nullptr;
  GstClockID waiting_ = nullptr;
  GstClockTime waiting_until_ = GST_CLOCK_TIME_NONE;  // running time waiting_ ends
};

}  // namespace wzp::gst
