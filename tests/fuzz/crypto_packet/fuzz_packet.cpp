// Sealed media packets from the network: header parsing, epoch selection,
// the replay window, authentication and, for a padded packet, its padding
// on arbitrary bytes. One receiver lives across inputs so the window sees
// long, wrapping sequences. The same bytes, taken as a packet before
// sealing, are also sealed with the sender's key and opened: every input
// then gets past the tag, into the padding of a padded packet.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "libwzp/crypto/padding.hpp"
#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/fuzz/crypto_parties.hpp"

namespace {

void seal_and_open(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static const EpochKeys keys = EpochKeys::derive(0, wzp::fuzz::kPacketSecret);
  static std::vector<uint8_t> buffer;
  buffer.assign(data, data + size);
  wzp::wire::PacketView view;
  if (wzp::wire::parse_full(buffer, view) != wzp::wire::WireError::kOk) return;
  const size_t header_size = view.header_bytes.size();
  std::span<uint8_t> payload(buffer.data() + header_size, buffer.size() - header_size);
  uint8_t tag[kTagSize];
  seal(keys, view.header.stream_id, view.header.sequence, view.header_bytes, payload, tag);
  if (!open(keys, view.header.stream_id, view.header.sequence, view.header_bytes, payload, tag)) {
    std::abort();
  }
  if (!std::equal(payload.begin(), payload.end(), data + header_size)) std::abort();
  if (view.header.padded) {
    auto unpadded = unpadded_size(payload);
    if (unpadded && *unpadded + kPaddingTrailerSize > payload.size()) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::crypto;
  static MediaReceiver *receiver = [] {
    auto *r = new MediaReceiver(wzp::fuzz::kPacketReceiveConfig);
    r->add_sender(0, 0, wzp::fuzz::kPacketSecret);
    return r;
  }();
  static std::vector<uint8_t> buffer;
  seal_and_open(data, size);
  buffer.assign(data, data + size);
  if (buffer.size() < kTagSize) return 0;
  std::span<uint8_t> sealed(buffer.data(), buffer.size() - kTagSize);
  wzp::wire::PacketView view;
  if (wzp::wire::parse_full(sealed, view) != wzp::wire::WireError::kOk) return 0;
  size_t header_size = view.header_bytes.size();
  auto payload = sealed.subspan(header_size);
  auto result =
      receiver->open(view.header.stream_id, view.header.sequence, view.header.key_epoch, size,
                     sealed.first(header_size), payload, buffer.data() + sealed.size());
  if (result.status == OpenStatus::kOk && view.header.padded) {
    auto unpadded = unpadded_size(payload);
    if (unpadded && *unpadded + kPaddingTrailerSize > payload.size()) std::abort();
  }
  return 0;
}
