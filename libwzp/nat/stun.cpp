#include "libwzp/nat/stun.hpp"

#include <algorithm>
#include <random>

#include "libwzp/base/bytes.hpp"

namespace wzp::nat::stun {
namespace {

constexpr uint32_t kMagicCookie = 0x2112A442;
constexpr uint16_t kBindingRequest = 0x0001;
constexpr uint16_t kBindingSuccess = 0x0101;
constexpr uint16_t kBindingError = 0x0111;
constexpr uint16_t kMappedAddress = 0x0001;
constexpr uint16_t kXorMappedAddress = 0x0020;
constexpr uint8_t kFamilyV4 = 0x01;
constexpr uint8_t kFamilyV6 = 0x02;
// A Binding exchange fits one unfragmented datagram; larger is not ours.
constexpr size_t kMaxMessageSize = 1280;

// The header's checks common to both directions: false, with `error`
// saying why, unless `bytes` is one whole STUN message of `type`.
bool whole_message_of(std::span<const uint8_t> bytes, uint16_t type, std::string &error) {
  if (bytes.size() < kHeaderSize || bytes.size() > kMaxMessageSize) {
    error = "STUN: a message of " + std::to_string(bytes.size()) + " bytes";
    return false;
  }
  if (base::get_u32(bytes.data() + 4) != kMagicCookie) {
    error = "STUN: no magic cookie";
    return false;
  }
  const size_t length = base::get_u16(bytes.data() + 2);
  if (length % 4 != 0 || kHeaderSize + length != bytes.size()) {
    error = "STUN: the length field disagrees with the datagram";
    return false;
  }
  const uint16_t got = base::get_u16(bytes.data());
  if (got == kBindingError && type == kBindingSuccess) {
    error = "STUN: the server answered with an error";
    return false;
  }
  if (got != type) {
    error = "STUN: not the expected message type";
    return false;
  }
  return true;
}

// An address attribute's value; `xor_key` is the cookie and transaction
// id for XOR-MAPPED-ADDRESS, empty for MAPPED-ADDRESS.
std::optional<TransportAddress> address_value(std::span<const uint8_t> value,
                                              std::span<const uint8_t> xor_key) {
  if (value.size() < 4) return std::nullopt;
  const uint8_t family = value[1];
  const size_t size = family == kFamilyV4 ? 4 : family == kFamilyV6 ? 16 : 0;
  if (size == 0 || value.size() != 4 + size) return std::nullopt;
  std::array<uint8_t, 16> ip{};
  for (size_t i = 0; i < size; ++i) ip[i] = value[4 + i] ^ (xor_key.empty() ? 0 : xor_key[i]);
  TransportAddress address;
  address.ip = size == 16 ? IpAddress::v6_from(ip.data()) : IpAddress{false, ip};
  address.port = base::get_u16(value.data() + 2);
  if (!xor_key.empty()) address.port ^= static_cast<uint16_t>(kMagicCookie >> 16);
  if (address.port == 0) return std::nullopt;
  return address;
}

}  // namespace

std::array<uint8_t, kHeaderSize> encode_binding_request(const TransactionId &id) {
  std::array<uint8_t, kHeaderSize> out{};
  base::put_u16(out.data(), kBindingRequest);
  base::put_u32(out.data() + 4, kMagicCookie);
  std::copy(id.begin(), id.end(), out.begin() + 8);
  return out;
}

std::optional<TransactionId> parse_binding_request(std::span<const uint8_t> bytes) {
  std::string error;
  if (!whole_message_of(bytes, kBindingRequest, error)) return std::nullopt;
  TransactionId id;
  std::copy(bytes.begin() + 8, bytes.begin() + kHeaderSize, id.begin());
  return id;
}

std::vector<uint8_t> encode_binding_response(const TransactionId &id,
                                             const TransportAddress &seen) {
  const size_t size = seen.ip.v6 ? 16 : 4;
  std::vector<uint8_t> out(kHeaderSize + 8 + size);
  base::put_u16(out.data(), kBindingSuccess);
  base::put_u16(out.data() + 2, static_cast<uint16_t>(4 + 4 + size));
  base::put_u32(out.data() + 4, kMagicCookie);
  std::copy(id.begin(), id.end(), out.begin() + 8);
  uint8_t *attribute = out.data() + kHeaderSize;
  base::put_u16(attribute, kXorMappedAddress);
  base::put_u16(attribute + 2, static_cast<uint16_t>(4 + size));
  attribute[5] = seen.ip.v6 ? kFamilyV6 : kFamilyV4;
  base::put_u16(attribute + 6, seen.port ^ static_cast<uint16_t>(kMagicCookie >> 16));
  // The key is the cookie and then the transaction id: the header's bytes 4-19.
  for (size_t i = 0; i < size; ++i) attribute[8 + i] = seen.ip.bytes[i] ^ out[4 + i];
  return out;
}

std::optional<TransportAddress> parse_binding_response(std::span<const uint8_t> bytes,
                                                       const TransactionId &id,
                                                       std::string &error) {
  if (!whole_message_of(bytes, kBindingSuccess, error)) return std::nullopt;
  if (!std::equal(id.begin(), id.end(), bytes.begin() + 8)) {
    error = "STUN: the answer is to another request";
    return std::nullopt;
  }
  const std::span<const uint8_t> xor_key = bytes.subspan(4, 16);
  std::optional<TransportAddress> mapped;
  std::optional<TransportAddress> xor_mapped;
  size_t at = kHeaderSize;
  while (at + 4 <= bytes.size()) {
    const uint16_t type = base::get_u16(bytes.data() + at);
    const size_t length = base::get_u16(bytes.data() + at + 2);
    if (length > bytes.size() - at - 4) {
      error = "STUN: an attribute runs past the message";
      return std::nullopt;
    }
    const auto value = bytes.subspan(at + 4, length);
    if (type == kXorMappedAddress && !xor_mapped) {
      xor_mapped = address_value(value, xor_key);
      if (!xor_mapped) {
        error = "STUN: a malformed XOR-MAPPED-ADDRESS";
        return std::nullopt;
      }
    } else if (type == kMappedAddress && !mapped) {
      mapped = address_value(value, {});
    }
    at += 4 + (length + 3) / 4 * 4;  // values are padded to 4 bytes
  }
  if (xor_mapped) return xor_mapped;
  if (mapped) return mapped;
  error = "STUN: the answer names no address";
  return std::nullopt;
}

BindingExchange::BindingExchange() {
  std::random_device random;
  for (auto &byte : id_) byte = static_cast<uint8_t>(random());
}

bool BindingExchange::deliver(std::span<const uint8_t> bytes) {
  if (bytes.size() < kHeaderSize || !std::equal(id_.begin(), id_.end(), bytes.begin() + 8)) {
    return false;
  }
  std::lock_guard lock(mutex_);
  if (done_) return true;  // a retransmission's second answer
  address_ = parse_binding_response(bytes, id_, error_);
  done_ = true;
  answered_.notify_all();
  return true;
}

std::optional<TransportAddress> BindingExchange::run(
    const std::function<bool(std::span<const uint8_t>)> &send, std::chrono::milliseconds timeout,
    std::string &error) {
  const auto request = encode_binding_request(id_);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto wait = std::chrono::milliseconds(200);
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard lock(mutex_);
      if (done_) break;
    }
    if (now >= deadline) {
      error = "STUN: no answer in " + std::to_string(timeout.count()) + " ms";
      return std::nullopt;
    }
    // Not under the lock: the answer may come back before send() returns.
    if (!send(request)) {
      error = "STUN: the request could not be sent";
      return std::nullopt;
    }
    std::unique_lock lock(mutex_);
    answered_.wait_until(lock, std::min(deadline, now + wait), [this] { return done_; });
    wait *= 2;
  }
  std::lock_guard lock(mutex_);
  if (!address_) error = error_;
  return address_;
}

}  // namespace wzp::nat::stun
