// STUN's Binding exchange (RFC 8489), the bytes only: the request a client
// sends to learn its address as one destination sees it, the answer a
// server gives, and the checks of both. It rides the QUIC socket itself
// (RFC 7983: a first byte of 0-3 is STUN, never QUIC), so the reflected
// mapping is the one the call's media uses (docs/nat.md, "Hard NATs").
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "libwzp/nat/address.hpp"

namespace wzp::nat::stun {

inline constexpr size_t kHeaderSize = 20;
using TransactionId = std::array<uint8_t, 12>;

// A Binding request without attributes.
std::array<uint8_t, kHeaderSize> encode_binding_request(const TransactionId &id);

// Server side: the transaction id of a well-formed Binding request (any
// attributes are ignored, none is needed), nullopt for anything else,
// which a server leaves unanswered.
std::optional<TransactionId> parse_binding_request(std::span<const uint8_t> bytes);

// A Binding success response telling the client it was seen from `seen`
// (XOR-MAPPED-ADDRESS).
std::vector<uint8_t> encode_binding_response(const TransactionId &id, const TransportAddress &seen);

// Client side: the address in a Binding success response to request `id`
// (XOR-MAPPED-ADDRESS, or the older MAPPED-ADDRESS of RFC 3489 servers);
// nullopt, with `error` saying why, for an error response, another
// transaction, a truncated or inconsistent message, or port 0. Never reads
// past `bytes`.
std::optional<TransportAddress> parse_binding_response(std::span<const uint8_t> bytes,
                                                       const TransactionId &id, std::string &error);

// One Binding exchange over a socket another thread reads (the QUIC
// endpoint's): run() sends the request and waits, the reader hands what
// might be the answer to deliver().
class BindingExchange {
 public:
  BindingExchange();  // a random transaction id
  // Any thread: true if `bytes` is this exchange's answer (taken, even if
  // it is an error response), false to leave it to others.
  bool deliver(std::span<const uint8_t> bytes);
  // Sends the request by `send` at once and again after 200 ms, doubling,
  // until the answer or `timeout`; nullopt with `error` saying why.
  std::optional<TransportAddress> run(const std::function<bool(std::span<const uint8_t>)> &send,
                                      std::chrono::milliseconds timeout, std::string &error);

 private:
  TransactionId id_{};
  std::mutex mutex_;
  std::condition_variable answered_;
  bool done_ = false;
  std::optional<TransportAddress> address_;
  std::string error_;
};

}  // namespace wzp::nat::stun
