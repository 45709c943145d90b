// Checked access to the fields of one JSON object: every read validates type
// and bounds, the first failure is kept as the error, and the fields that were
// never asked for are reported as unknown. Internal to libwzp/signal.
#pragma once

#include <array>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace wzp::signal::detail {

enum class Text : uint8_t { kAny, kFingerprint, kRoomId, kHexPrefix };

class FieldReader {
 public:
  explicit FieldReader(const nlohmann::json &object) : object_(object) {}

  bool ok() const { return error_.empty(); }
  const std::string &error() const { return error_; }
  // Names present in the object that no read asked for.
  std::vector<std::string> unknown_fields() const;

  void string(const char *name, std::string &out, size_t max_bytes, Text text = Text::kAny);
  void optional_string(const char *name, std::optional<std::string> &out, size_t max_bytes);
  void string_list(const char *name, std::vector<std::string> &out, size_t max_items,
                   size_t max_bytes, Text text = Text::kAny);
  void optional_bytes(const char *name, std::vector<uint8_t> &out, size_t max_bytes);
  template <size_t N>
  void fixed_bytes(const char *name, std::array<uint8_t, N> &out) {
    std::vector<uint8_t> bytes;
    required_bytes(name, bytes, N);
    if (ok() && bytes.size() != N) fail(name, "must decode to " + std::to_string(N) + " bytes");
    if (ok()) std::copy(bytes.begin(), bytes.end(), out.begin());
  }
  void boolean(const char *name, bool &out);
  void unsigned_int(const char *name, uint64_t &out, uint64_t max);
  // A JSON array of objects, each handed to `each` with its own reader.
  template <typename Each>
  void object_list(const char *name, size_t max_items, Each each) {
    const nlohmann::json *value = find(name, true);
    if (value == nullptr) return;
    if (!value->is_array()) return fail(name, "must be an array");
    if (value->size() > max_items) return fail(name, "too many items");
    for (const auto &item : *value) {
      if (!item.is_object()) return fail(name, "items must be objects");
      FieldReader inner(item);
      each(inner);
      if (!inner.ok()) return fail(name, inner.error());
    }
  }
  void fail(const std::string &name, const std::string &why);
  // Marks an envelope field (type, version, request_id) as known.
  void mark_known(const char *name) { asked_.insert(name); }

 private:
  const nlohmann::json *find(const char *name, bool required);
  void required_bytes(const char *name, std::vector<uint8_t> &out, size_t max_bytes);
  bool check_text(const char *name, const std::string &value, Text text);

  const nlohmann::json &object_;
  std::set<std::string> asked_;
  std::string error_;
};

// Base64 (RFC 4648, with padding) via libsodium.
std::string to_base64(const uint8_t *data, size_t size);
bool from_base64(const std::string &text, std::vector<uint8_t> &out, size_t max_bytes);

}  // namespace wzp::signal::detail
