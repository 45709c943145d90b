// Any sequence of messages and datagrams from two authenticated clients into
// the daemon core: it may refuse them, but never crash, and its gauges stay
// consistent. Input: lines; a line starting with 'D' is a datagram (rest of
// the line), 'B' sends the rest as the second client, anything else is a
// message from the first.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string_view>

#include "libwzp/crypto/identity.hpp"
#include "signald/core/server.hpp"

namespace {

using namespace wzp;
using namespace wzp::signald;

class NullOutbox : public Outbox {
 public:
  void send(ConnectionId to, const signal::Message &message, std::optional<uint64_t>) override {
    if (auto *c = std::get_if<signal::Challenge>(&message)) challenges[to] = *c;
  }
  void close(ConnectionId, const std::string &) override {}
  void forward(ConnectionId, std::span<const uint8_t>) override {}
  std::map<ConnectionId, signal::Challenge> challenges;
};

// An in-memory database: the same SQL as on disk, without an fsync per input.
Store &shared_store() {
  static std::unique_ptr<Store> store = [] {
    std::string error;
    auto opened = Store::open(":memory:", error);
    if (!opened) std::abort();
    return opened;
  }();
  return *store;
}

const crypto::Identity &identity(int which) {
  static crypto::Identity a = crypto::Identity::generate(), b = crypto::Identity::generate();
  return which == 0 ? a : b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  NullOutbox outbox;
  ServerSettings settings;
  settings.messages_per_second = 1e9;
  settings.message_burst = 1e9;
  Server server(outbox, shared_store(), "0000:0000:0000:0000:0000:0000:0000:0000", nullptr,
                settings);
  Now now{std::chrono::steady_clock::time_point{} + std::chrono::hours(1), 1700000000};
  for (ConnectionId conn : {1, 2}) {
    const auto &id = identity(static_cast<int>(conn - 1));
    server.on_connect(conn, "127.0.0.1:9", now);
    server.on_message(conn, signal::serialize(signal::Hello{id.signing_public_key(), {}, ""}), now);
    const auto &c = outbox.challenges[conn];
    server.on_message(conn,
                      signal::serialize(signal::Auth{
                          id.sign(signal::auth_transcript(c.nonce, c.server_fingerprint))}),
                      now);
  }
  std::string_view rest(reinterpret_cast<const char *>(data), size);
  while (!rest.empty()) {
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end + 1);
    if (!line.empty() && line[0] == 'D') {
      line.remove_prefix(1);
      server.on_datagram(1, {reinterpret_cast<const uint8_t *>(line.data()), line.size()});
    } else if (!line.empty() && line[0] == 'B') {
      server.on_message(2, line.substr(1), now);
    } else {
      server.on_message(1, line, now);
    }
    now.steady += std::chrono::seconds(1);
    server.tick(now);
  }
  Gauges g = server.gauges();
  if (g.authenticated > g.connections || g.participants > 2) std::abort();
  server.on_disconnect(1, now);
  server.on_disconnect(2, now);
  if (server.gauges().connections != 0 || server.gauges().participants != 0) std::abort();
  return 0;
}
