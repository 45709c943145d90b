// Anything a linked relay may send, before and after it authenticates: the
// federation core may refuse it, but never crash. A local member sits in an
// open room so remote joins, signals and media have somewhere to go.
// Input: lines; 'D' starts a datagram (the rest of the line), 'U' sends the
// rest from a link that has not authenticated, anything else is a message
// from the authenticated relay.
#include <sodium.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "libwzp/crypto/identity.hpp"
#include "signald/core/federation.hpp"
#include "signald/core/server.hpp"
#include "tests/fuzz/signal_server/server_harness.hpp"

namespace {

using namespace wzp;
using namespace wzp::signald;

class LastMessage : public PeerOutbox {
 public:
  void send(PeerId, const std::string &text) override { last = text; }
  void forward(PeerId, std::span<const uint8_t>) override {}
  void close(PeerId, const std::string &) override {}
  std::string last;
};

const crypto::Identity &identity(int which) {
  static crypto::Identity self = crypto::Identity::generate(), peer = crypto::Identity::generate(),
                          member = crypto::Identity::generate();
  return which == 0 ? self : which == 1 ? peer : member;
}

// The peer relay's half of the handshake, as a real relay would answer.
void authenticate(Federation &federation, LastMessage &out, PeerId link, const Now &now) {
  federation.on_link_up(link, std::nullopt, {});
  auto hello = nlohmann::json::parse(out.last);
  std::vector<uint8_t> nonce(32);
  size_t length = 0;
  const std::string nonce_text = hello["nonce"];
  sodium_base642bin(nonce.data(), nonce.size(), nonce_text.data(), nonce_text.size(), nullptr,
                    &length, nullptr, sodium_base64_VARIANT_ORIGINAL);
  auto base64 = [](std::span<const uint8_t> bytes) {
    std::string text(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), 0);
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(),
                      sodium_base64_VARIANT_ORIGINAL);
    text.pop_back();
    return text;
  };
  const auto &peer = identity(1);
  federation.on_message(link,
                        nlohmann::json{{"type", "fed_hello"},
                                       {"public_key", base64(peer.signing_public_key())},
                                       {"nonce", base64(nonce)}}
                            .dump(),
                        now);
  auto signature = peer.sign(
      federation_transcript(nonce, crypto::format_fingerprint(identity(0).fingerprint())));
  federation.on_message(
      link, nlohmann::json{{"type", "fed_auth"}, {"signature", base64(signature)}}.dump(), now);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::NullOutbox outbox;
  LastMessage relay_out;
  Server server(outbox, *fuzz::shared_database().store, *fuzz::shared_database().writer,
                crypto::format_fingerprint(identity(0).fingerprint()), fuzz::kCertificateSha256,
                nullptr);
  Federation federation(relay_out, server, identity(0),
                        {crypto::format_fingerprint(identity(1).fingerprint())});
  Now now{std::chrono::steady_clock::time_point{} + std::chrono::hours(1), 1700000000};
  fuzz::log_in(server, outbox, 1, identity(2), now);
  server.on_message(1, signal::serialize(signal::RoomJoin{"0123456789abcdef0123456789abcdef", {}}),
                    now);
  constexpr PeerId kLinked = 1, kUnauthenticated = 2;
  authenticate(federation, relay_out, kLinked, now);
  if (!federation.identity_of(kLinked)) std::abort();  // the harness must reach the real paths
  federation.on_link_up(kUnauthenticated, std::nullopt, {});

  fuzz::for_each_line(data, size, [&](std::string_view line) {
    if (!line.empty() && line.front() == 'D') {
      federation.on_datagram(kLinked, fuzz::bytes_of(line.substr(1)));
    } else if (!line.empty() && line.front() == 'U') {
      federation.on_message(kUnauthenticated, line.substr(1), now);
    } else {
      federation.on_message(kLinked, line, now);
    }
    server.on_datagram(1, fuzz::bytes_of(line), now.steady);
  });
  federation.on_link_down(kLinked, now);
  fuzz::settle(server, now);
  if (server.gauges().participants != 1) std::abort();  // only the local member is left
  return 0;
}
