// The daemon's durable state in one SQLite file (WAL, synchronous=FULL, so
// every completed call or transaction survives a crash or kill -9):
// aliases, the fingerprints it has seen, missed calls, and its own identity
// seed. One connection, used by one thread at a time; the daemon writes
// through a StoreWriter (store_writer.hpp).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "libwzp/signal/message.hpp"

namespace wzp::signald {

inline constexpr uint64_t kMissedCallLifetimeSeconds = 7 * 24 * 3600;

class Store {
 public:
  // Opens or creates the database; nullptr with `error` set on failure.
  static std::unique_ptr<Store> open(const std::filesystem::path &path, std::string &error);
  ~Store();
  Store(const Store &) = delete;
  Store &operator=(const Store &) = delete;

  enum class ClaimResult { kClaimed, kAlreadyYours, kTaken, kOwnerHasAnother, kFailed };
  // First come, first kept: an alias belongs to whoever claimed it until that
  // fingerprint releases it. One alias per fingerprint.
  ClaimResult claim_alias(const std::string &alias, const std::string &fingerprint,
                          uint64_t now_unix);
  enum class ReleaseResult { kReleased, kUnknown, kNotOwner, kFailed };
  ReleaseResult release_alias(const std::string &alias, const std::string &fingerprint);
  // A cluster's registry decided (docs/signal.md "A cluster on Redis"): the
  // fingerprint's alias here becomes `alias` (none: nullopt), dropping any
  // other claim of that name this copy still held. False on a write error.
  bool keep_alias(const std::optional<std::string> &alias, const std::string &fingerprint,
                  uint64_t now_unix);
  std::optional<std::string> alias_owner(const std::string &alias);
  std::optional<std::string> alias_of(const std::string &fingerprint);

  void note_seen(const std::string &fingerprint, uint64_t now_unix);
  // Known fingerprints whose hex digits (colons removed) start with
  // `hex_prefix`; at most `limit` of them.
  std::vector<std::string> fingerprints_with_prefix(const std::string &hex_prefix, size_t limit);

  // Kept only for a callee this daemon has seen log in (offers to made-up
  // fingerprints would otherwise fill the disk), at most
  // signal::kMaxMissedCalls per callee (the oldest go first) and for
  // kMissedCallLifetimeSeconds. False when not kept.
  bool add_missed_call(const std::string &callee, const signal::MissedCall &call);
  // Returns and deletes the callee's missed calls, oldest first, leaving out
  // those older than kMissedCallLifetimeSeconds at `now_unix`.
  std::vector<signal::MissedCall> take_missed_calls(const std::string &callee, uint64_t now_unix);

  std::optional<std::vector<uint8_t>> identity_seed();
  bool set_identity_seed(const std::vector<uint8_t> &seed);

  // Calls between begin() and commit() are one transaction: one fsync.
  bool begin();
  bool commit();
  void rollback();

  // The last SQLite error, for the log.
  const std::string &last_error() const { return last_error_; }

 private:
  explicit Store(sqlite3 *db) : db_(db) {}
  class Statement;
  bool exec(const char *sql);

  sqlite3 *db_;
  std::string last_error_;
  // Each query's prepared statement, by its SQL text (a string literal at
  // its one call site).
  struct Prepared {
    sqlite3_stmt *stmt = nullptr;
    bool in_use = false;
  };
  std::unordered_map<const char *, Prepared> prepared_;
};

}  // namespace wzp::signald
