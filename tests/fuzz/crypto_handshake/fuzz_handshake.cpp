// Handshake messages come from the network through signaling: the parser and
// the responder must refuse any bytes cleanly.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/handshake.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static const Identity me = Identity::from_seed(Seed{7});
  std::span<const uint8_t> input(data, size);
  HandshakeMessage message;
  if (parse_handshake(input, message) == HandshakeError::kOk) {
    Negotiated negotiated;
    negotiate(message.offerings, message.offerings, negotiated);
  }
  ReplayGuard guard;
  HandshakeResponder responder(me, {{1}, {1}, {0}}, guard);
  std::vector<uint8_t> answer;
  responder.on_offer(input, 0, nullptr, answer);
  CallKeys keys;
  responder.on_confirm(input, keys);
  return 0;
}
