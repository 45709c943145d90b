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
  // When the key lands, only packets held less than this go on. Released
  // together, older ones would start the stream as late as they waited:
  // the jitter buffer takes our wait for the network's and plays the
  // member that much later until it shrinks back (docs/rooms.md, "Media
  // before its key").
  uint64_t release_ns = 200'000'000;
};

struct KeyWaitCounts {
  uint64_t held = 0;      // taken in
  uint64_t released = 0;  // handed back once the key was there
  uint64_t expired = 0;   // older than hold_ns, or than release_ns when their key came
                          // (or dropped by clear())
  uint64_t evicted = 0;   // pushed out by a limit
  uint64_t refused = 0;   // could never fit (larger than the byte limit)
};

// `Item` is what the caller keeps per packet (a buffer reference); it is
// moved in and moved back out, never copied, and every item taken in comes
// back exactly once: released, or in the `dropped` list of a call.
//
// The packets live in a ring of `limits.packets` slots allocated once, at
// construction: hold(), release() and expire() run on the streaming thread
// and allocate nothing (given output vectors with room reserved).
// Removing from the middle shifts the later packets down, which keeps the
// arrival order; a few hundred moves of a pointer-sized item at most.
template <class Item>
class KeyWait {
 public:
  explicit KeyWait(KeyWaitLimits limits = {}) : limits_(limits), ring_(limits.packets) {}

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
      size_t oldest = 0;
      while (at(oldest).stream_id != stream_id) ++oldest;
      evict(oldest, dropped);
    }
    while (size_ > 0 && (size_ >= limits_.packets || bytes_ + bytes > limits_.bytes)) {
      evict(0, dropped);
    }
    at(size_) = Entry{stream_id, now_ns, bytes, std::move(item)};
    ++size_;
    bytes_ += bytes;
    ++counts_.held;
  }

  // Drops what is older than hold_ns at `now_ns` into `dropped`.
  void expire(uint64_t now_ns, std::vector<Item> &dropped) {
    // Arrival times come from packet timestamps and may step back; a
    // packet "from the future" is kept until its own time has passed.
    counts_.expired += remove_if(
        [&](const Entry &e) {
          return now_ns > e.arrived_ns && now_ns - e.arrived_ns >= limits_.hold_ns;
        },
        dropped);
  }

  // Appends to `out`, oldest first, the packets of every stream for which
  // `has_key(stream_id)` is true at `now_ns`; those of them held release_ns
  // or longer go to `dropped` instead.
  template <class HasKey>
  void release(HasKey &&has_key, uint64_t now_ns, std::vector<Item> &out,
               std::vector<Item> &dropped) {
    auto keyed = [&](const Entry &e) { return static_cast<bool>(has_key(e.stream_id)); };
    counts_.expired += remove_if(
        [&](const Entry &e) {
          return now_ns > e.arrived_ns && now_ns - e.arrived_ns >= limits_.release_ns && keyed(e);
        },
        dropped);
    counts_.released += remove_if(keyed, out);
  }

  // Everything held goes (end of stream, flush, stop); counted as expired.
  void clear(std::vector<Item> &dropped) {
    counts_.expired += remove_if([](const Entry &) { return true; }, dropped);
    head_ = 0;
  }

  // Stream ids with packets waiting, each once, in order of first arrival.
  std::vector<uint32_t> streams() const {
    std::vector<uint32_t> ids;
    for (size_t i = 0; i < size_; ++i) {
      if (std::find(ids.begin(), ids.end(), at(i).stream_id) == ids.end()) {
        ids.push_back(at(i).stream_id);
      }
    }
    return ids;
  }

  bool empty() const { return size_ == 0; }
  size_t packets() const { return size_; }
  size_t bytes() const { return bytes_; }
  const KeyWaitCounts &counts() const { return counts_; }
  const KeyWaitLimits &limits() const { return limits_; }

 private:
  struct Entry {
    uint32_t stream_id = 0;
    uint64_t arrived_ns = 0;
    size_t bytes = 0;
    Item item{};
  };

  // The i-th oldest packet held.
  Entry &at(size_t i) { return ring_[(head_ + i) % ring_.size()]; }
  const Entry &at(size_t i) const { return ring_[(head_ + i) % ring_.size()]; }

  size_t count_of(uint32_t stream_id) const {
    size_t n = 0;
    for (size_t i = 0; i < size_; ++i) n += at(i).stream_id == stream_id;
    return n;
  }

  // Removes the i-th oldest; the oldest just moves the head.
  void evict(size_t i, std::vector<Item> &dropped) {
    bytes_ -= at(i).bytes;
    dropped.push_back(std::move(at(i).item));
    if (i == 0) {
      head_ = (head_ + 1) % ring_.size();
    } else {
      for (size_t j = i; j + 1 < size_; ++j) at(j) = std::move(at(j + 1));
    }
    --size_;
    ++counts_.evicted;
  }

  // Moves every entry matching `pred` to `out` in arrival order and closes
  // the gaps; returns how many went.
  template <class Pred>
  size_t remove_if(Pred &&pred, std::vector<Item> &out) {
    size_t kept = 0;
    for (size_t i = 0; i < size_; ++i) {
      if (pred(at(i))) {
        bytes_ -= at(i).bytes;
        out.push_back(std::move(at(i).item));
      } else {
        if (kept != i) at(kept) = std::move(at(i));
        ++kept;
      }
    }
    const size_t removed = size_ - kept;
    size_ = kept;
    return removed;
  }

  KeyWaitLimits limits_;
  std::vector<Entry> ring_;  // limits_.packets slots, never resized
  size_t head_ = 0;          // slot of the oldest packet
  size_t size_ = 0;          // packets held, in arrival order from head_
  size_t bytes_ = 0;
  KeyWaitCounts counts_;
};

}  // namespace wzp::crypto
