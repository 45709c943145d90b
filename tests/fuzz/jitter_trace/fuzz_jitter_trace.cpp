// Feeds arbitrary (sequence, timestamp, duration, arrival step) records into
// the jitter buffer core, polling it between arrivals, and checks that it
// keeps its bounds: never more frames than its capacity, every stored frame
// either played or released exactly once.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <set>

#include "libwzp/jitter/jitter_buffer.hpp"

namespace {

template <typename T>
T take(const uint8_t *&data, size_t &size) {
  T value{};
  size_t n = size < sizeof(T) ? size : sizeof(T);
  std::memcpy(&value, data, n);
  data += n;
  size -= n;
  return value;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::jitter;
  JitterConfig config;
  config.capacity = 64;
  uint8_t mode = take<uint8_t>(data, size);
  config.mode = (mode & 1) ? Mode::kFixed : Mode::kAdaptive;
  config.max_latency_ns = static_cast<int64_t>(take<uint16_t>(data, size)) * 1'000'000;
  config.latency_ns = static_cast<int64_t>(take<uint8_t>(data, size)) * 4'000'000;

  std::set<uint64_t> outstanding;
  JitterBuffer buffer(config, [&](uint64_t cookie) {
    if (outstanding.erase(cookie) != 1) std::abort();
  });
  int64_t now = 0;
  uint64_t cookie = 0;
  while (size > 0) {
    auto sequence = take<uint32_t>(data, size);
    auto timestamp = take<uint32_t>(data, size);
    auto duration = take<uint16_t>(data, size);
    auto step_us = take<uint16_t>(data, size);
    now += static_cast<int64_t>(step_us) * 1000;
    for (int polls = 0; polls < 100'000; ++polls) {
      Action action = buffer.next(now);
      if (action.kind == Action::Kind::kWait) break;
      if (action.kind == Action::Kind::kPlay && outstanding.erase(action.cookie) != 1) std::abort();
    }
    ++cookie;
    InsertResult result = buffer.insert(Frame{sequence, timestamp, duration, cookie}, now);
    if (result == InsertResult::kStored || result == InsertResult::kRestarted) {
      outstanding.insert(cookie);
    }
    if (buffer.size() > buffer.config().capacity || buffer.size() != outstanding.size())
      std::abort();
  }
  buffer.clear();
  if (!outstanding.empty()) std::abort();
  return 0;
}
