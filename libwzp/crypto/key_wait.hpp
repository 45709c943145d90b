// Packets that arrive before their sender's key (docs/rooms.md, "Media
// before its key"). In a room the sender key travels in a room signal while
// the media takes the datagram path, so under loss the first packets of a
// new member often beat its key. KeyWait keeps such packets, unopened, for a
// short time and hands them back, in arrival order, once the key is there.
//
// Nothing here is authenticated (without the key it cannot be), so the
// relay or anyone forging stream ids controls what is held: every limit is
// a hard bound, counted, and the oldest packets go first. Times are given
// by the caller, so the logic runs without a clock.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace wzp::crypto {

struct KeyWaitLimits {
  // About 1 s of one member's media (50 Opus frames plus FEC repair).
  size_t packets_per_stream = 100;
  // Over all streams; a flood of forged stream ids evicts, it cannot grow.
  size_t packets = 400;
  size_t bytes = 256 * 1024;
  // Longer than this and the jitter buffer would play them too late anyway.
  uint64_t hold_ns = 1'000'000'000;
};

struct KeyWaitCounts {
  uint64_t held = 0;      // taken in
  uint64_t released = 0;  // handed back once the key was there
  uint64_t expired = 0;   // older than hold_ns (or dropped by clear())
  uint64_t evicted = 0;   // pushed out by a limit
  uint64_t refused = 0;   // could never fit (larger than the byte limit)
};

// `Item` is what the caller keeps per packet (a buffer reference); it is
// moved in and moved back out, never copied, and every item taken in comes
// back exactly once: released, or in the `dropped` list of a call.
template <class Item>
class KeyWait {
 public:
  explicit KeyWait(KeyWaitLimits limits = {}) : limits_(limits) {}

  // Keeps one packet of `stream_id` that arrived at `now_ns`. Items pushed
  // out to make room (or this one, if it can never fit) are appended to
  // `dropped`.
  void hold(uint32_t stream_id, uint64_t now_ns, size_t bytes, Item item,
            std::vector<Item> &dropped) {
    if (bytes > limits_.bytes || limits_.packets == 0 || limits_.packets_per_stream == 0) {
      ++counts_.refused;
      dropped.push_back(std::move(item));
      return;
    }
    // Per stream first: a stream over its share loses its own oldest.
    if (count_of(stream_id) >= limits_.packets_per_stream) {
      auto oldest = std::find_if(entries_.begin(), entries_.end(),
                                 [&](const Entry &e) { return e.stream_id == stream_id; });
      evict(oldest, dropped);
    }
    while (!entries_.empty() &&
           (entries_.size() >= limits_.packets || bytes_ + bytes > limits_.bytes)) {
      evict(entries_.begin(), dropped);
    }
    entries_.push_back(Entry{stream_id, now_ns, bytes, std::move(item)});
    bytes_ += bytes;
    ++counts_.held;
  }

  // Drops what is older than hold_ns at `now_ns` into `dropped`.
  void expire(uint64_t now_ns, std::vector<Item> &dropped) {
    for (auto it = entries_.begin(); it != entries_.end();) {
      // Arrival times come from packet timestamps and may step back; a
      // packet "from the future" is kept until its own time has passed.
      if (now_ns > it->arrived_ns && now_ns - it->arrived_ns >= limits_.hold_ns) {
        bytes_ -= it->bytes;
        dropped.push_back(std::move(it->item));
        it = entries_.erase(it);
        ++counts_.expired;
      } else {
        ++it;
      }
    }
  }

  // The key of `stream_id` is there: its packets, oldest first.
  std::vector<Item> release(uint32_t stream_id) {
    std::vector<Item> out;
    for (auto it = entries_.begin(); it != entries_.end();) {
      if (it->stream_id == stream_id) {
        bytes_ -= it->bytes;
        out.push_back(std::move(it->item));
        it = entries_.erase(it);
      } else {
        ++it;
      }
    }
    counts_.released += out.size();
    return out;
  }

  // Everything held goes (end of stream, flush, stop); counted as expired.
  void clear(std::vector<Item> &dropped) {
    for (auto &entry : entries_) dropped.push_back(std::move(entry.item));
    counts_.expired += entries_.size();
    entries_.clear();
    bytes_ = 0;
  }

  // Stream ids with packets waiting, each once, in order of first arrival.
  std::vector<uint32_t> streams() const {
    std::vector<uint32_t> ids;
    for (const auto &entry : entries_) {
      if (std::find(ids.begin(), ids.end(), entry.stream_id) == ids.end()) {
        ids.push_back(entry.stream_id);
      }
    }
    return ids;
  }

  bool empty() const { return entries_.empty(); }
  size_t packets() const { return entries_.size(); }
  size_t bytes() const { return bytes_; }
  const KeyWaitCounts &counts() const { return counts_; }
  const KeyWaitLimits &limits() const { return limits_; }

 private:
  struct Entry {
    uint32_t stream_id;
    uint64_t arrived_ns;
    size_t bytes;
    Item item;
  };

  size_t count_of(uint32_t stream_id) const {
    return static_cast<size_t>(std::count_if(entries_.begin(), entries_.end(), [&](const Entry &e) {
      return e.stream_id == stream_id;
    }));
  }

  void evict(typename std::deque<Entry>::iterator it, std::vector<Item> &dropped) {
    if (it == entries_.end()) return;
    bytes_ -= it->bytes;
    dropped.push_back(std::move(it->item));
    entries_.erase(it);
    ++counts_.evicted;
  }

  KeyWaitLimits limits_;
  std::deque<Entry> entries_;  // arrival order
  size_t bytes_ = 0;
  KeyWaitCounts counts_;
};

}  // namespace wzp::crypto
