// Waiting in tests on a condition that can only be observed by asking (a
// stats counter, a property, a teardown running on another thread): ask
// until it holds or the deadline passes. Prefer a bus message or a
// condition variable where one exists; never sleep a fixed time instead.
#pragma once

#include <chrono>
#include <thread>

namespace wzp::test {

// True as soon as `condition()` holds; false if it still does not after
// `timeout`.
template <class Condition>
bool wait_until(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace wzp::test
