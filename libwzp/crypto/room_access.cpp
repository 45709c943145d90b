#include "libwzp/crypto/room_access.hpp"

#include <sodium.h>

#include <algorithm>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/hkdf.hpp"

namespace wzp::crypto {
namespace {

constexpr std::string_view kInvitePrefix = "wzp-room:";
// 32 bytes of unpadded base64url.
constexpr size_t kSecretTextSize = 43;

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool fail(std::string *error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

std::string_view trim(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}

// info = label || 0x00 || name: the name is bound into everything derived.
void derive(std::span<const uint8_t> prk, std::string_view what, std::string_view name,
            std::span<uint8_t> out) {
  std::string info(what);
  info += '\0';
  info += name;
  hkdf_expand(prk, label(info), out);
}

RoomAccess derive_access(const RoomSecret &secret, std::string_view name) {
  Hash prk = hkdf_extract(label("wzp room v1"), secret);
  RoomAccess access;
  derive(prk, "wzp room id", name, access.id);
  derive(prk, "wzp room card proof", name, access.proof_key);
  sodium_memzero(prk.data(), prk.size());
  return access;
}

}  // namespace

std::string RoomAccess::hex_id() const { return base::to_hex(id); }

RoomInvite new_room_invite(std::string_view name) {
  RoomInvite invite{std::string(name), {}};
  randombytes_buf(invite.secret.data(), invite.secret.size());
  return invite;
}

std::string format_room_invite(const RoomInvite &invite) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out(kInvitePrefix);
  for (unsigned char c : invite.name) {
    if (unreserved(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  out += '#';
  char secret[kSecretTextSize + 1];
  sodium_bin2base64(secret, sizeof secret, invite.secret.data(), invite.secret.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out += secret;
  sodium_memzero(secret, sizeof secret);
  return out;
}

bool valid_room_name(std::string_view name, std::string *error) {
  if (name.empty()) return fail(error, "the room name is empty");
  if (name.size() > kMaxRoomNameSize) {
    return fail(error,
                "the room name is longer than " + std::to_string(kMaxRoomNameSize) + " bytes");
  }
  for (size_t i = 0; i < name.size(); ++i) {
    auto c = static_cast<unsigned char>(name[i]);
    if (c < 0x20 || c == 0x7f) {
      return fail(error, "the room name has a control character at byte " + std::to_string(i + 1));
    }
  }
  return true;
}

std::optional<RoomInvite> parse_room_invite(std::string_view text, std::string *error) {
  text = trim(text);
  if (!text.starts_with(kInvitePrefix)) {
    fail(error, "an invite starts with '" + std::string(kInvitePrefix) + "'");
    return std::nullopt;
  }
  text.remove_prefix(kInvitePrefix.size());
  size_t hash = text.find('#');
  if (hash == std::string_view::npos) {
    fail(error, "the invite has no '#' before its secret");
    return std::nullopt;
  }
  std::string_view encoded = text.substr(0, hash), secret_text = text.substr(hash + 1);
  RoomInvite invite;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      invite.name += encoded[i];
      continue;
    }
    int high = i + 2 < encoded.size() ? hex_value(encoded[i + 1]) : -1;
    int low = high >= 0 ? hex_value(encoded[i + 2]) : -1;
    if (low < 0) {
      fail(error, "bad escape at character " + std::to_string(kInvitePrefix.size() + i + 1) +
                      " of the invite (a '%' takes two hex digits)");
      return std::nullopt;
    }
    invite.name += static_cast<char>(high * 16 + low);
    i += 2;
  }
  if (!valid_room_name(invite.name, error)) return std::nullopt;
  size_t decoded = 0;
  const char *end = nullptr;
  if (secret_text.size() != kSecretTextSize ||
      sodium_base642bin(invite.secret.data(), invite.secret.size(), secret_text.data(),
                        secret_text.size(), nullptr, &decoded, &end,
                        sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
      decoded != invite.secret.size() || end != secret_text.data() + secret_text.size()) {
    sodium_memzero(invite.secret.data(), invite.secret.size());
    fail(error, "the invite's secret is not " + std::to_string(kSecretTextSize) +
                    " characters of base64url (32 bytes)");
    return std::nullopt;
  }
  return invite;
}

RoomAccess room_access(const RoomInvite &invite) {
  return derive_access(invite.secret, invite.name);
}

RoomAccess open_room_access(std::string_view name) {
  RoomAccess access = derive_access(RoomSecret{}, name);
  access.open = true;
  return access;
}

std::array<uint8_t, kRoomProofSize> room_proof(const RoomAccess &access,
                                               std::span<const uint8_t> card_bytes) {
  static_assert(crypto_auth_hmacsha256_BYTES == kRoomProofSize);
  static_assert(crypto_auth_hmacsha256_KEYBYTES == std::tuple_size_v<RoomProofKey>);
  std::array<uint8_t, kRoomProofSize> proof;
  crypto_auth_hmacsha256(proof.data(), card_bytes.data(), card_bytes.size(),
                         access.proof_key.data());
  return proof;
}

bool verify_room_proof(const RoomAccess &access, std::span<const uint8_t> card_bytes,
                       std::span<const uint8_t, kRoomProofSize> proof) {
  return crypto_auth_hmacsha256_verify(proof.data(), card_bytes.data(), card_bytes.size(),
                                       access.proof_key.data()) == 0;
}

}  // namespace wzp::crypto
