// What the daemon-core fuzz targets share: an outbox that keeps only the
// challenges, one in-memory store for the whole run, clients that log in as
// a real client would, and the line-per-input framing of the fuzz inputs.
#pragma once

#include <glib.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "libwzp/crypto/identity.hpp"
#include "signald/core/server.hpp"
#include "signald/core/store_writer.hpp"

namespace wzp::fuzz {

class NullOutbox : public signald::Outbox {
 public:
  void send(signald::ConnectionId to, const signal::Message &message,
            std::optional<uint64_t>) override {
    if (auto *c = std::get_if<signal::Challenge>(&message)) challenges[to] = *c;
  }
  void close(signald::ConnectionId, const std::string &) override {}
  void forward(signald::ConnectionId, std::span<const uint8_t>) override {}
  std::map<signald::ConnectionId, signal::Challenge> challenges;
};

// The core logs each login and each refused message: written out, that
// was a tenth of an input's CPU time. Warnings and criticals still go out.
inline void quiet_log() {
  g_log_set_writer_func(
      [](GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer data) {
        if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) {
          return G_LOG_WRITER_HANDLED;
        }
        return g_log_writer_default(level, fields, n_fields, data);
      },
      nullptr, nullptr);
}

// One database for the whole run, read by the core and written by its
// StoreWriter as in the daemon: two connections to one file, so not
// ":memory:"; on tmpfs where there is one, so an fsync costs nothing.
struct SharedDatabase {
  std::unique_ptr<signald::Store> store;
  std::unique_ptr<signald::StoreWriter> writer;
};

inline SharedDatabase &shared_database() {
  static std::filesystem::path path = [] {
    std::filesystem::path dir = std::filesystem::is_directory("/dev/shm")
                                    ? std::filesystem::path("/dev/shm")
                                    : std::filesystem::temp_directory_path();
    return dir / ("wzp-fuzz-" + std::to_string(getpid()) + ".db");
  }();
  static SharedDatabase database = [] {
    quiet_log();
    std::atexit([] {
      for (const char *suffix : {"", "-wal", "-shm"}) {
        std::error_code ignored;
        std::filesystem::remove(path.string() + suffix, ignored);
      }
    });
    std::string error;
    SharedDatabase opened{signald::Store::open(path, error), nullptr};
    auto writer_store = signald::Store::open(path, error);
    if (!opened.store || !writer_store) std::abort();
    // Written on this thread when settle() waits: handing every batch to a
    // writer thread and back cost most of an input's time on a busy machine.
    opened.writer = std::make_unique<signald::StoreWriter>(
        std::move(writer_store), [] {}, signald::StoreWriter::Thread::kCallers);
    return opened;
  }();
  return database;
}

// Waits for the store's writes and sends what waited for them, as the
// daemon's main loop does when a batch is written.
inline void settle(signald::Server &server, const signald::Now &now) {
  shared_database().writer->wait_until_written();
  server.on_store_written(now);
}

// Connects `conn` and answers the server's challenge as `id`.
// The certificate the fuzzed daemon cores claim; clients sign it.
inline const std::string kCertificateSha256(64, 'c');

inline void log_in(signald::Server &server, NullOutbox &outbox, signald::ConnectionId conn,
                   const crypto::Identity &id, const signald::Now &now) {
  server.on_connect(conn, "127.0.0.1:9", now);
  server.on_message(conn, signal::serialize(signal::Hello{id.signing_public_key(), {}, ""}), now);
  const auto &c = outbox.challenges[conn];
  server.on_message(conn,
                    signal::serialize(signal::Auth{
                        id.sign(signal::auth_transcript(c.nonce, kCertificateSha256))}),
                    now);
  settle(server, now);
}

// Calls `on_line` with each newline-separated line of the input.
template <typename OnLine>
void for_each_line(const uint8_t *data, size_t size, OnLine on_line) {
  std::string_view rest(reinterpret_cast<const char *>(data), size);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    on_line(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
  }
}

inline std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

}  // namespace wzp::fuzz
