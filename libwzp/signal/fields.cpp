#include "libwzp/signal/fields.hpp"

#include <sodium.h>

#include <algorithm>

#include "libwzp/base/hex.hpp"
#include "libwzp/signal/message.hpp"

namespace wzp::signal::detail {

std::vector<std::string> FieldReader::unknown_fields() const {
  std::vector<std::string> unknown;
  if (!object_.is_object()) return unknown;
  for (const auto &item : object_.items()) {
    if (!asked_.contains(item.key())) unknown.push_back(item.key());
  }
  return unknown;
}

void FieldReader::fail(const std::string &name, const std::string &why) {
  if (error_.empty()) error_ = "field '" + name + "' " + why;
}

const nlohmann::json *FieldReader::find(const char *name, bool required) {
  asked_.insert(name);
  if (!ok()) return nullptr;
  auto it = object_.find(name);
  if (it == object_.end() || it->is_null()) {
    if (required) fail(name, "is missing");
    return nullptr;
  }
  return &*it;
}

bool FieldReader::check_text(const char *name, const std::string &value, Text text) {
  switch (text) {
    case Text::kAny:
      return true;
    case Text::kFingerprint:
      if (is_fingerprint(value)) return true;
      fail(name, "must be a fingerprint (xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx:xxxx, lowercase hex)");
      return false;
    case Text::kRoomId:
      if (value.size() == kRoomIdHexChars && base::is_lower_hex(value)) return true;
      fail(name, "must be a room id (32 lowercase hex chars)");
      return false;
    case Text::kHexPrefix:
      if (!value.empty() && base::is_lower_hex(value)) return true;
      fail(name, "must be lowercase hex");
      return false;
  }
  return false;
}

void FieldReader::string(const char *name, std::string &out, size_t max_bytes, Text text) {
  const nlohmann::json *value = find(name, true);
  if (value == nullptr) return;
  if (!value->is_string()) return fail(name, "must be a string");
  const auto &s = value->get_ref<const std::string &>();
  if (s.size() > max_bytes) return fail(name, "is longer than " + std::to_string(max_bytes));
  if (check_text(name, s, text)) out = s;
}

void FieldReader::optional_string(const char *name, std::optional<std::string> &out,
                                  size_t max_bytes) {
  const nlohmann::json *value = find(name, false);
  if (value == nullptr) return;
  if (!value->is_string()) return fail(name, "must be a string");
  const auto &s = value->get_ref<const std::string &>();
  if (s.size() > max_bytes) return fail(name, "is longer than " + std::to_string(max_bytes));
  out = s;
}

void FieldReader::string_list(const char *name, std::vector<std::string> &out, size_t max_items,
                              size_t max_bytes, Text text) {
  const nlohmann::json *value = find(name, false);
  if (value == nullptr) return;
  if (!value->is_array()) return fail(name, "must be an array of strings");
  if (value->size() > max_items) return fail(name, "has more than " + std::to_string(max_items));
  out.clear();
  for (const auto &item : *value) {
    if (!item.is_string()) return fail(name, "must be an array of strings");
    const auto &s = item.get_ref<const std::string &>();
    if (s.size() > max_bytes)
      return fail(name, "has an item longer than " + std::to_string(max_bytes));
    if (!check_text(name, s, text)) return;
    out.push_back(s);
  }
}

void FieldReader::required_bytes(const char *name, std::vector<uint8_t> &out, size_t max_bytes) {
  const nlohmann::json *value = find(name, true);
  if (value == nullptr) return;
  if (!value->is_string() || !from_base64(value->get_ref<const std::string &>(), out, max_bytes)) {
    fail(name, "must be base64 of at most " + std::to_string(max_bytes) + " bytes");
  }
}

void FieldReader::optional_bytes(const char *name, std::vector<uint8_t> &out, size_t max_bytes) {
  const nlohmann::json *value = find(name, false);
  if (value == nullptr) return;
  if (!value->is_string() || !from_base64(value->get_ref<const std::string &>(), out, max_bytes)) {
    fail(name, "must be base64 of at most " + std::to_string(max_bytes) + " bytes");
  }
}

void FieldReader::boolean(const char *name, bool &out) {
  const nlohmann::json *value = find(name, true);
  if (value == nullptr) return;
  if (!value->is_boolean()) return fail(name, "must be true or false");
  out = value->get<bool>();
}

void FieldReader::unsigned_int(const char *name, uint64_t &out, uint64_t max) {
  const nlohmann::json *value = find(name, true);
  if (value == nullptr) return;
  if (!value->is_number_unsigned()) return fail(name, "must be a non-negative integer");
  uint64_t v = value->get<uint64_t>();
  if (v > max) return fail(name, "is larger than " + std::to_string(max));
  out = v;
}

std::string to_base64(const uint8_t *data, size_t size) {
  std::string out(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), data, size, sodium_base64_VARIANT_ORIGINAL);
  out.resize(out.size() - 1);  // the terminating NUL
  return out;
}

bool from_base64(const std::string &text, std::vector<uint8_t> &out, size_t max_bytes) {
  if (text.size() > (max_bytes + 2) / 3 * 4) return false;
  out.resize(text.size() / 4 * 3 + 3);
  size_t decoded = 0;
  const char *end = nullptr;
  if (sodium_base642bin(out.data(), out.size(), text.data(), text.size(), nullptr, &decoded, &end,
                        sodium_base64_VARIANT_ORIGINAL) != 0 ||
      end != text.data() + text.size() || decoded > max_bytes) {
    out.clear();
    return false;
  }
  out.resize(decoded);
  return true;
}

}  // namespace wzp::signal::detail
