#include "clock_timer.hpp"

namespace wzp::gst {

ClockTimer::~ClockTimer() {
  if (reusable_ != nullptr) gst_clock_id_unref(reusable_);
}

GstClockReturn ClockTimer::wait(GstElement *element, GstClockTime running_time,
                                std::unique_lock<std::mutex> &lock) {
  GstClock *clock = gst_element_get_clock(element);
  if (clock == nullptr) return GST_CLOCK_BADTIME;
  GstClockTime at = gst_element_get_base_time(element) + running_time;
  if (reusable_ == nullptr || !gst_clock_id_uses_clock(reusable_, clock) ||
      !gst_clock_single_shot_id_reinit(clock, reusable_, at)) {
    if (reusable_ != nullptr) gst_clock_id_unref(reusable_);
    reusable_ = gst_clock_new_single_shot_id(clock, at);
  }
  gst_object_unref(clock);
  GstClockID id = gst_clock_id_ref(reusable_);
  waiting_ = id;
  waiting_until_ = running_time;
  lock.unlock();
  GstClockReturn result = gst_clock_id_wait(id, nullptr);
  lock.lock();
  waiting_ = nullptr;
  gst_clock_id_unref(id);
  return result;
}

void ClockTimer::cancel() {
  if (waiting_ != nullptr) gst_clock_id_unschedule(waiting_);
}

void ClockTimer::cancel_if_later(GstClockTime running_time) {
  if (waiting_ != nullptr && waiting_until_ > running_time) gst_clock_id_unschedule(waiting_);
}

}  // namespace wzp::gst
