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
#include "tests/fuzz/signal_server/server_harness.hpp"

namespace {

using namespace wzp;
using namespace wzp::signald;

const crypto::Identity &identity(int which) {
  static crypto::Identity a = crypto::Identity::generate(), b = crypto::Identity::generate();
  return which == 0 ? a : b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::NullOutbox outbox;
  ServerSettings settings;
  settings.messages_per_second = 1e9;
  settings.message_burst = 1e9;
  Server server(outbox, *fuzz::shared_database().store, *fuzz::shared_database().writer,
                "0000:0000:0000:0000:0000:0000:0000:0000", fuzz::kCertificateSha256, nullptr,
                settings);
  Now now{std::chrono::steady_clock::time_point{} + std::chrono::hours(1), 1700000000};
  for (ConnectionId conn : {1, 2}) {
    fuzz::log_in(server, outbox, conn, identity(static_cast<int>(conn - 1)), now);
  }
  fuzz::for_each_line(data, size, [&](std::string_view line) {
    if (!line.empty() && line[0] == 'D') {
      server.on_datagram(1, fuzz::bytes_of(line.substr(1)), now.steady);
    } else if (!line.empty() && line[0] == 'B') {
      server.on_message(2, line.substr(1), now);
    } else {
      server.on_message(1, line, now);
    }
    fuzz::settle(server, now);
    now.steady += std::chrono::seconds(1);
    server.tick(now);
  });
  Gauges g = server.gauges();
  if (g.authenticated > g.connections || g.participants > 2) std::abort();
  server.on_disconnect(1, now);
  server.on_disconnect(2, now);
  fuzz::settle(server, now);
  if (server.gauges().connections != 0 || server.gauges().participants != 0) std::abort();
  return 0;
}
