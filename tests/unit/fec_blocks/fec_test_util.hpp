// Recording sinks and frame makers shared by the fec_blocks tests.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "libwzp/fec/frame_decoder.hpp"
#include "libwzp/fec/frame_encoder.hpp"

namespace wzp::fec::test {

struct Packet {
  std::vector<uint8_t> bytes;
  wire::MediaHeader header;
};

struct PacketLog : PacketSink {
  std::vector<Packet> packets;
  void on_packet(std::span<const uint8_t> packet, const wire::MediaHeader &header) override {
    packets.push_back({{packet.begin(), packet.end()}, header});
  }
};

struct Outcome {
  uint32_t frame_number = 0;
  uint32_t timestamp = 0;
  std::vector<uint8_t> data;
  bool recovered = false;
  bool lost = false;
};

struct FrameLog : FrameSink {
  std::vector<Outcome> outcomes;
  void on_frame(const wire::MediaHeader &h, std::span<const uint8_t> frame,
                bool recovered) override {
    outcomes.push_back({h.sequence, h.timestamp, {frame.begin(), frame.end()}, recovered, false});
  }
  void on_lost(const wire::MediaHeader &h, bool) override {
    outcomes.push_back({h.sequence, h.timestamp, {}, false, true});
  }
  const Outcome *find(uint32_t frame_number) const {
    for (const auto &o : outcomes) {
      if (o.frame_number == frame_number) return &o;
    }
    return nullptr;
  }
};

// Frame n: a size between 20 and 120 bytes, every byte derived from n.
inline std::vector<uint8_t> make_frame(uint32_t n) {
  std::vector<uint8_t> frame(20 + (n * 37) % 101);
  for (size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<uint8_t>(n * 131 + i * 7);
  return frame;
}

}  // namespace wzp::fec::test
