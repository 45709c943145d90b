#include "libwzp/crypto/session.hpp"

#include <algorithm>

namespace wzp::crypto {
namespace {

constexpr uint64_t kMaxPacketsPerEpoch = uint64_t{1} << 30;

// RFC 1982 serial-number order, so a stream may wrap across epochs.
bool newer(uint32_t sequence, uint32_t last) { return static_cast<int32_t>(sequence - last) > 0; }

}  // namespace

const char *to_string(SealStatus status) {
  switch (status) {
    case SealStatus::kOk:
      return "ok";
    case SealStatus::kSequenceReused:
      return "sequence not newer than the last sealed one";
    case SealStatus::kStreamTableFull:
      return "too many streams";
    case SealStatus::kEpochMismatch:
      return "header epoch is not the current epoch";
  }
  return "unknown";
}

const char *to_string(OpenStatus status) {
  switch (status) {
    case OpenStatus::kOk:
      return "ok";
    case OpenStatus::kAuthFailed:
      return "authentication failed";
    case OpenStatus::kReplay:
      return "replayed packet";
    case OpenStatus::kTooOld:
      return "sequence behind the replay window";
    case OpenStatus::kUnknownSender:
      return "unknown sender";
    case OpenStatus::kUnknownEpoch:
      return "unknown epoch";
    case OpenStatus::kStreamTableFull:
      return "too many streams";
  }
  return "unknown";
}

MediaSender::MediaSender(const TrafficSecret &secret, uint32_t epoch, SendConfig config)
    : config_(config), keys_(EpochKeys::derive(epoch, secret)), streams_(config.max_streams) {
  if (config_.rekey_packets == 0 || config_.rekey_packets > kMaxPacketsPerEpoch) {
    config_.rekey_packets = kMaxPacketsPerEpoch;
  }
}

MediaSender::~MediaSender() { keys_.wipe(); }

uint32_t MediaSender::epoch() const {
  std::lock_guard lock(mutex_);
  return keys_.epoch;
}

void MediaSender::install(uint32_t epoch, const TrafficSecret &secret) {
  std::lock_guard lock(mutex_);
  keys_.wipe();
  keys_ = EpochKeys::derive(epoch, secret);
  packets_in_epoch_ = 0;
  epoch_clock_started_ = false;
}

uint32_t MediaSender::rekey_now(uint64_t now_ns) {
  std::lock_guard lock(mutex_);
  advance_epoch(now_ns);
  return keys_.epoch;
}

std::pair<uint32_t, TrafficSecret> MediaSender::current_secret() const {
  std::lock_guard lock(mutex_);
  return {keys_.epoch, keys_.secret};
}

void MediaSender::advance_epoch(uint64_t now_ns) {
  EpochKeys next = keys_.next();
  keys_.wipe();
  keys_ = next;
  next.wipe();
  packets_in_epoch_ = 0;
  epoch_started_ns_ = now_ns;
}

SealResult MediaSender::seal(uint32_t stream_id, uint32_t sequence, uint64_t now_ns,
                             uint8_t *epoch_byte, uint8_t header_epoch,
                             std::span<const uint8_t> aad, std::span<uint8_t> payload,
                             uint8_t tag[kTagSize]) {
  std::lock_guard lock(mutex_);
  SealResult result;
  if (!epoch_clock_started_) {
    epoch_started_ns_ = now_ns;
    epoch_clock_started_ = true;
  }
  bool due = packets_in_epoch_ >= config_.rekey_packets ||
             (config_.rekey_ns && now_ns - epoch_started_ns_ >= config_.rekey_ns);
  // Only a header whose epoch we may rewrite can start an epoch.
  if (due && epoch_byte) {
    advance_epoch(now_ns);
    result.epoch_changed = true;
  }
  result.epoch = keys_.epoch;
  if (!epoch_byte && header_epoch != static_cast<uint8_t>(keys_.epoch)) {
    result.status = SealStatus::kEpochMismatch;
    return result;
  }
  StreamSlot *slot = nullptr;
  StreamSlot *free_slot = nullptr;
  for (auto &s : streams_) {
    if (s.used && s.stream_id == stream_id) {
      slot = &s;
      break;
    }
    if (!s.used && !free_slot) free_slot = &s;
  }
  if (slot && !newer(sequence, slot->last_sequence)) {
    result.status = SealStatus::kSequenceReused;
    return result;
  }
  if (!slot) {
    if (!free_slot) {
      result.status = SealStatus::kStreamTableFull;
      return result;
    }
    slot = free_slot;
    slot->used = true;
    slot->stream_id = stream_id;
  }
  if (epoch_byte) *epoch_byte = static_cast<uint8_t>(keys_.epoch);
  wzp::crypto::seal(keys_, stream_id, sequence, aad, payload, tag);
  slot->last_sequence = sequence;
  ++packets_in_epoch_;
  return result;
}

MediaReceiver::MediaReceiver(ReceiveConfig config) : config_(config) {
  peers_.resize(config_.max_senders);
  for (auto &peer : peers_) {
    peer.streams.resize(config_.max_streams);
    for (auto &slot : peer.streams) slot.window = ReplayWindow(config_.replay_window);
  }
  routes_.reserve(config_.max_senders * config_.max_streams);
}

MediaReceiver::~MediaReceiver() {
  for (auto &peer : peers_) {
    peer.previous.wipe();
    peer.current.wipe();
    peer.next.wipe();
  }
}

MediaReceiver::Peer *MediaReceiver::find_peer(uint32_t sender_id) {
  for (auto &peer : peers_) {
    if (peer.used && peer.sender_id == sender_id) return &peer;
  }
  return nullptr;
}

bool MediaReceiver::add_sender(uint32_t sender_id, uint32_t epoch, const TrafficSecret &secret) {
  std::lock_guard lock(mutex_);
  Peer *peer = find_peer(sender_id);
  if (!peer) {
    for (auto &candidate : peers_) {
      if (!candidate.used) {
        peer = &candidate;
        break;
      }
    }
    if (!peer) return false;
  }
  peer->used = true;
  peer->sender_id = sender_id;
  peer->previous.wipe();
  peer->current = EpochKeys::derive(epoch, secret);
  peer->next = peer->current.next();
  peer->next_installed = false;
  for (auto &slot : peer->streams) {
    slot.used = false;
    slot.window.reset();
  }
  return true;
}

bool MediaReceiver::install_epoch(uint32_t sender_id, uint32_t epoch, const TrafficSecret &secret) {
  std::lock_guard lock(mutex_);
  Peer *peer = find_peer(sender_id);
  if (!peer || epoch <= peer->current.epoch) return false;
  if (peer->next_installed && epoch <= peer->next.epoch) return false;  // a replayed key
  peer->next.wipe();
  peer->next = EpochKeys::derive(epoch, secret);
  peer->next_installed = true;
  return true;
}

void MediaReceiver::remove_sender(uint32_t sender_id) {
  std::lock_guard lock(mutex_);
  Peer *peer = find_peer(sender_id);
  if (!peer) return;
  peer->previous.wipe();
  peer->current.wipe();
  peer->next.wipe();
  peer->used = false;
  std::erase_if(routes_, [&](const auto &route) { return route.second == sender_id; });
}

bool MediaReceiver::has_sender(uint32_t sender_id) {
  std::lock_guard lock(mutex_);
  return find_peer(sender_id) != nullptr;
}

bool MediaReceiver::knows_stream(uint32_t stream_id) {
  std::lock_guard lock(mutex_);
  return peer_for_stream(stream_id) != nullptr;
}

void MediaReceiver::route_stream(uint32_t stream_id, uint32_t sender_id) {
  std::lock_guard lock(mutex_);
  for (auto &route : routes_) {
    if (route.first == stream_id) {
      route.second = sender_id;
      return;
    }
  }
  routes_.emplace_back(stream_id, sender_id);
}

MediaReceiver::Peer *MediaReceiver::peer_for_stream(uint32_t stream_id) {
  for (const auto &route : routes_) {
    if (route.first == stream_id) return find_peer(route.second);
  }
  if (!routes_.empty()) return nullptr;
  Peer *only = nullptr;
  for (auto &peer : peers_) {
    if (!peer.used) continue;
    if (only) return nullptr;
    only = &peer;
  }
  return only;
}

void MediaReceiver::expire_previous(Peer &peer, uint64_t now_ns) {
  if (!peer.previous.valid) return;
  if (peer.previous_clock_pending) {
    peer.previous_deadline_ns = now_ns + config_.overlap_ns;
    peer.previous_clock_pending = false;
  }
  if (peer.previous_packets_left == 0 || now_ns >= peer.previous_deadline_ns) {
    peer.previous.wipe();
  }
}

void MediaReceiver::advance(Peer &peer, uint64_t now_ns) {
  peer.previous.wipe();
  peer.previous = peer.current;
  peer.current = peer.next;
  peer.next = peer.current.next();
  peer.next_installed = false;
  peer.previous_packets_left = config_.overlap_packets;
  peer.previous_deadline_ns = now_ns + config_.overlap_ns;
  peer.previous_clock_pending = false;
}

OpenResult MediaReceiver::open(uint32_t stream_id, uint32_t sequence, uint8_t epoch_byte,
                               uint64_t now_ns, std::span<const uint8_t> aad,
                               std::span<uint8_t> payload, const uint8_t tag[kTagSize]) {
  std::lock_guard lock(mutex_);
  OpenResult result;
  Peer *peer = peer_for_stream(stream_id);
  if (!peer) {
    result.status = OpenStatus::kUnknownSender;
    return result;
  }
  result.sender_id = peer->sender_id;
  expire_previous(*peer, now_ns);

  const EpochKeys *keys = nullptr;
  bool is_next = false;
  if (peer->current.valid && epoch_byte == static_cast<uint8_t>(peer->current.epoch)) {
    keys = &peer->current;
  } else if (peer->previous.valid && epoch_byte == static_cast<uint8_t>(peer->previous.epoch)) {
    keys = &peer->previous;
  } else if (peer->next.valid && epoch_byte == static_cast<uint8_t>(peer->next.epoch)) {
    keys = &peer->next;
    is_next = true;
  }
  if (!keys) {
    result.status = OpenStatus::kUnknownEpoch;
    return result;
  }
  result.epoch = keys->epoch;

  StreamSlot *slot = nullptr;
  StreamSlot *free_slot = nullptr;
  for (auto &s : peer->streams) {
    if (s.used && s.stream_id == stream_id) {
      slot = &s;
      break;
    }
    if (!s.used && !free_slot) free_slot = &s;
  }
  if (slot) {
    ReplayVerdict verdict = slot->window.check(sequence);
    if (verdict == ReplayVerdict::kDuplicate) result.status = OpenStatus::kReplay;
    if (verdict == ReplayVerdict::kTooOld) result.status = OpenStatus::kTooOld;
    if (result.status != OpenStatus::kOk) return result;
  } else if (!free_slot) {
    result.status = OpenStatus::kStreamTableFull;
    return result;
  }

  if (!wzp::crypto::open(*keys, stream_id, sequence, aad, payload, tag)) {
    result.status = OpenStatus::kAuthFailed;
    return result;
  }
  if (!slot) {
    slot = free_slot;
    slot->used = true;
    slot->stream_id = stream_id;
    slot->window.reset();
  }
  slot->window.accept(sequence);
  if (is_next) {
    advance(*peer, now_ns);
    result.epoch_changed = true;
  } else if (keys == &peer->current && peer->previous.valid && peer->previous_packets_left > 0) {
    // The overlap is measured in progress under the new epoch: once that
    // many new packets arrived, anything older is no longer in flight.
    --peer->previous_packets_left;
  }
  return result;
}

}  // namespace wzp::crypto
