// Handshake messages come from the network through signaling: the parser and
// the responder must refuse any bytes cleanly.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/handshake.hpp"
#include "tests/fuzz/crypto_parties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  std::span<const uint8_t> input(data, size);
  HandshakeMessage message;
  if (parse_handshake(input, message) == HandshakeError::kOk) {
    Negotiated negotiated;
    negotiate(message.offerings, message.offerings, negotiated);
  }
  ReplayGuard guard;
  HandshakeResponder responder(wzp::fuzz::callee(), wzp::fuzz::callee_offerings(), guard);
  std::vector<uint8_t> answer;
  responder.on_offer(input, wzp::fuzz::kHandshakeNowMs, nullptr, answer);
  CallKeys keys;
  responder.on_confirm(input, keys);
  return 0;
}
