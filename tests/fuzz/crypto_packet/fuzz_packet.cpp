// Sealed media packets from the network: header parsing, epoch selection,
// the replay window and authentication on arbitrary bytes. One receiver
// lives across inputs so the window sees long, wrapping sequences.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/fuzz/crypto_parties.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static MediaReceiver *receiver = [] {
    auto *r = new MediaReceiver(wzp::fuzz::kPacketReceiveConfig);
    r->add_sender(0, 0, wzp::fuzz::kPacketSecret);
    return r;
  }();
  static std::vector<uint8_t> buffer;
  buffer.assign(data, data + size);
  if (buffer.size() < kTagSize) return 0;
  std::span<uint8_t> sealed(buffer.data(), buffer.size() - kTagSize);
  wzp::wire::PacketView view;
  if (wzp::wire::parse_full(sealed, view) != wzp::wire::WireError::kOk) return 0;
  size_t header_size = view.header_bytes.size();
  receiver->open(view.header.stream_id, view.header.sequence, view.header.key_epoch, size,
                 sealed.first(header_size), sealed.subspan(header_size),
                 buffer.data() + sealed.size());
  return 0;
}
