// A Server driven by hand: real SQLite in a temp dir (written by a real
// StoreWriter, waited for after each message), real Ed25519 clients,
// and an Outbox that records what the daemon would have sent (each message
// passed through serialize + parse, so everything sent is valid on the wire).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/signal/message.hpp"
#include "signald/core/server.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::testing {

struct Recorder : Outbox {
  struct Sent {
    ConnectionId to;
    signal::Message message;
    std::optional<uint64_t> request_id;
  };
  void send(ConnectionId to, const signal::Message &message,
            std::optional<uint64_t> request_id) override {
    signal::Parsed parsed = signal::parse(signal::serialize(message, request_id));
    EXPECT_EQ(parsed.error, signal::ParseError::kOk) << parsed.detail;
    if (parsed.message) sent.push_back({to, *parsed.message, parsed.request_id});
  }
  void close(ConnectionId to, const std::string &reason) override { closed[to] = reason; }
  void forward(ConnectionId to, std::span<const uint8_t> datagram) override {
    forwarded.emplace_back(to, std::vector<uint8_t>(datagram.begin(), datagram.end()));
  }
  std::optional<quality::PacketCounts> datagrams_delivered(ConnectionId to) const override {
    auto found = delivered.find(to);
    if (found == delivered.end()) return std::nullopt;
    return found->second;
  }
  std::optional<quality::LegDelay> leg_delay(ConnectionId to) const override {
    auto found = delays.find(to);
    if (found == delays.end()) return std::nullopt;
    return found->second;
  }

  template <typename T>
  std::vector<T> to(ConnectionId conn) const {
    std::vector<T> out;
    for (const auto &s : sent) {
      if (s.to == conn && std::holds_alternative<T>(s.message))
        out.push_back(std::get<T>(s.message));
    }
    return out;
  }
  template <typename T>
  T last(ConnectionId conn) const {
    auto all = to<T>(conn);
    EXPECT_FALSE(all.empty()) << "nothing of that kind sent to " << conn;
    return all.empty() ? T{} : all.back();
  }
  void clear() {
    sent.clear();
    forwarded.clear();
  }

  std::vector<Sent> sent;
  std::map<ConnectionId, std::string> closed;
  std::vector<std::pair<ConnectionId, std::vector<uint8_t>>> forwarded;
  // What the transport would say of the datagrams sent to each connection;
  // none: it cannot tell.
  std::map<ConnectionId, quality::PacketCounts> delivered;
  std::map<ConnectionId, quality::LegDelay> delays;
};

inline const std::string kServerFingerprint = "5e5e:5e5e:5e5e:5e5e:5e5e:5e5e:5e5e:5e5e";
// The SHA-256 of the daemon's TLS certificate, which clients pin and sign.
inline const std::string kCertificateSha256 = std::string(64, 'c');

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = wzp::test::make_temp_dir("signald-core");
    open_server();
  }
  void TearDown() override {
    server_.reset();
    writer_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  // (Re)starts the daemon core on the same database, as a restart would.
  void open_server(TokenValidator *validator = nullptr, ServerSettings settings = {}) {
    server_.reset();
    writer_.reset();
    store_.reset();
    std::string error;
    store_ = Store::open(dir_ / "signald.db", error);
    ASSERT_TRUE(store_) << error;
    auto writer_store = Store::open(dir_ / "signald.db", error);
    ASSERT_TRUE(writer_store) << error;
    writer_ = std::make_unique<StoreWriter>(std::move(writer_store), [] {});
    server_ = std::make_unique<Server>(out_, *store_, *writer_, kServerFingerprint,
                                       kCertificateSha256, validator, settings);
  }
  // Waits for the store's writes, then sends what waited for them, as the
  // daemon's main loop does when the writer says a batch is written.
  void settle() {
    writer_->wait_until_written();
    server_->on_store_written(now_);
  }

  ConnectionId connect() { return connect("198.51.100.9:" + std::to_string(40000 + next_conn_)); }
  ConnectionId connect(const std::string &observed_address,
                       Transport transport = Transport::kQuic) {
    ConnectionId conn = next_conn_++;
    server_->on_connect(conn, observed_address, now_, transport);
    return conn;
  }
  void send(ConnectionId conn, const signal::Message &message,
            std::optional<uint64_t> request_id = std::nullopt) {
    server_->on_message(conn, signal::serialize(message, request_id), now_);
    settle();
  }
  // Connects and completes hello / challenge / auth.
  ConnectionId login(const crypto::Identity &identity, std::optional<std::string> token = {},
                     Transport transport = Transport::kQuic) {
    ConnectionId conn = connect("198.51.100.9:" + std::to_string(40000 + next_conn_), transport);
    send(conn, signal::Hello{identity.signing_public_key(), token, "test"});
    auto challenges = out_.to<signal::Challenge>(conn);
    if (challenges.empty()) return conn;
    auto &challenge = challenges.back();
    send(conn,
         signal::Auth{identity.sign(signal::auth_transcript(challenge.nonce, kCertificateSha256))});
    return conn;
  }
  static std::string fingerprint(const crypto::Identity &identity) {
    return crypto::format_fingerprint(identity.fingerprint());
  }
  void advance(std::chrono::milliseconds by) {
    now_.steady += by;
    now_.unix_seconds += static_cast<uint64_t>(by.count() / 1000);
  }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;  // the Server's reads, and the tests'
  std::unique_ptr<StoreWriter> writer_;
  Recorder out_;
  std::unique_ptr<Server> server_;
  Now now_{std::chrono::steady_clock::time_point{} + std::chrono::hours(1), 1700000000};
  ConnectionId next_conn_ = 1;
};

}  // namespace wzp::signald::testing
