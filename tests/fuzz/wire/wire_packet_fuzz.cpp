// Feeds arbitrary datagrams to every wire parser: full, mini (through a
// decompressor that has seen earlier inputs) and trunk frames with their
// entries, the keyframe request and the room key datagram. A parsed packet
// must re-serialise to the same header bytes, a request or key datagram to
// the same datagram, and nothing is both a media packet and one of those.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <span>

#include "libwzp/wire/compression.hpp"
#include "libwzp/wire/key_datagram.hpp"
#include "libwzp/wire/keyframe_request.hpp"
#include "libwzp/wire/trunk.hpp"

using namespace wzp::wire;

namespace {

void check_full_round_trip(const PacketView &view) {
  if (view.kind != PacketKind::kFull) return;
  uint8_t out[kFullHeaderSize + kQualityReportSize];
  size_t n = write_full(view.header, view.report ? &*view.report : nullptr, out);
  if (n != view.header_bytes.size() || std::memcmp(out, view.header_bytes.data(), n) != 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static HeaderDecompressor decompressor;
  std::span<const uint8_t> input(data, size);
  PacketView view;
  if (auto request = parse_keyframe_request(input)) {
    uint8_t out[kKeyframeRequestSize];
    if (write_keyframe_request(*request, out) != size || std::memcmp(out, data, size) != 0) {
      std::abort();
    }
    if (parse_full(input, view) == WireError::kOk) std::abort();
  }
  if (auto message = parse_key_datagram(input)) {
    uint8_t out[kKeyDatagramSize];
    if (write_key_datagram(*message, out) != size || std::memcmp(out, data, size) != 0) {
      std::abort();
    }
    if (parse_full(input, view) == WireError::kOk || parse_keyframe_request(input)) std::abort();
  }
  if (decompressor.parse(input, view) == WireError::kOk) {
    check_full_round_trip(view);
    if (view.header_bytes.size() + view.payload.size() != size) std::abort();
  }
  TrunkReader trunk;
  if (trunk.open(input) == WireError::kOk) {
    size_t seen = 0;
    for (auto packet = trunk.next(); !packet.empty(); packet = trunk.next()) {
      if (decompressor.parse(packet, view) == WireError::kOk) check_full_round_trip(view);
      ++seen;
    }
    if (seen != trunk.count()) std::abort();
  }
  return 0;
}
