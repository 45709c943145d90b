// Anything a linked relay may send, before and after it authenticates: the
// federation core may refuse it, but never crash. A local member sits in an
// open room so remote joins, signals and media have somewhere to go.
// A second authenticated relay lets messages and media pass from one link
// to the other (multi-hop: transit calls, rooms across three relays).
// Input: lines; 'D' starts a datagram (the rest of the line), 'U' sends the
// rest from a link that has not authenticated, 'B' a message and 'E' a
// datagram from the second relay, anything else is a message from the
// first.
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

// 0: this relay, 1 and 3: the linked relays, 2: the local member.
const crypto::Identity &identity(int which) {
  static crypto::Identity identities[4] = {
      crypto::Identity::generate(), crypto::Identity::generate(), crypto::Identity::generate(),
      crypto::Identity::generate()};
  return identities[which];
}

// The peer relay's half of the handshake, as a real relay would answer.
void authenticate(Federation &federation, LastMessage &out, PeerId link, int which,
                  const Now &now) {
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
  const auto &peer = identity(which);
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
                        {crypto::format_fingerprint(identity(1).fingerprint()),
                         crypto::format_fingerprint(identity(3).fingerprint())});
  Now now{std::chrono::steady_clock::time_point{} + std::chrono::hours(1), 1700000000};
  fuzz::log_in(server, outbox, 1, identity(2), now);
  server.on_message(1, signal::serialize(signal::RoomJoin{"0123456789abcdef0123456789abcdef", {}}),
                    now);
  constexpr PeerId kLinked = 1, kUnauthenticated = 2, kSecond = 3;
  authenticate(federation, relay_out, kLinked, 1, now);
  authenticate(federation, relay_out, kSecond, 3, now);
  // The harness must reach the real paths.
  if (!federation.identity_of(kLinked) || !federation.identity_of(kSecond)) std::abort();
  federation.on_link_up(kUnauthenticated, std::nullopt, {});

  fuzz::for_each_line(data, size, [&](std::string_view line) {
    if (!line.empty() && line.front() == 'D') {
      federation.on_datagram(kLinked, fuzz::bytes_of(line.substr(1)));
    } else if (!line.empty() && line.front() == 'U') {
      federation.on_message(kUnauthenticated, line.substr(1), now);
    } else if (!line.empty() && line.front() == 'B') {
      federation.on_message(kSecond, line.substr(1), now);
    } else if (!line.empty() && line.front() == 'E') {
      federation.on_datagram(kSecond, fuzz::bytes_of(line.substr(1)));
    } else {
      federation.on_message(kLinked, line, now);
    }
    server.on_datagram(1, fuzz::bytes_of(line), now.steady);
  });
  federation.on_link_down(kLinked, now);
  federation.on_link_down(kSecond, now);
  fuzz::settle(server, now);
  // Only the local member is left: nothing of the links stays.
  const Gauges left = server.gauges();
  if (left.participants != 1 || left.remote_users != 0 || left.remote_participants != 0 ||
      left.calls_offered + left.calls_ringing + left.calls_active != 0) {
    std::abort();
  }
  return 0;
}
