// A room's sender key message in a datagram of its own (docs/PROTOCOL.md,
// "Key datagrams"):
//
//   u8 0x03 | the 204-byte sender key message (docs/crypto.md, "Room keys")
//
// The message is the one that also goes as a room signal, already signed
// and sealed to its recipient end to end; the datagram only lets it arrive
// without waiting behind a lost packet of the reliable signaling stream.
// The relay reads the recipient's fingerprint in it to forward it to that
// member only. Version bits 00: no media parser takes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace wzp::wire {

inline constexpr uint8_t kKeyDatagramType = 0x03;
// The message's size and magic are crypto's (kSenderKeyMessageSize,
// kSenderKeyMagic); crypto checks they agree with these.
inline constexpr size_t kKeyMessageSize = 204;
inline constexpr size_t kKeyDatagramSize = 1 + kKeyMessageSize;
// Where the recipient's 16-byte fingerprint sits in the message.
inline constexpr size_t kKeyMessageRecipientOffset = 36;
inline constexpr size_t kKeyMessageFingerprintSize = 16;

// Writes the datagram; 0 unless `message` is kKeyMessageSize bytes and
// `out` is large enough.
size_t write_key_datagram(std::span<const uint8_t> message, std::span<uint8_t> out);
// The message inside, or nullopt unless `datagram` is exactly a key
// datagram: its type, its size and the message's magic. Nothing else is
// checked: the recipient verifies the message.
std::optional<std::span<const uint8_t>> parse_key_datagram(std::span<const uint8_t> datagram);

}  // namespace wzp::wire
