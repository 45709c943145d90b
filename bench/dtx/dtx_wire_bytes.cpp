// Bytes and packets a sender puts on the wire, before and after a split time
// (speech, then silence), through the real chain up to the network:
//
//   filesrc ! wavparse ! ... ! <encoder> ! identity name=codec ! wzpfecenc ! wzpencrypt ! fakesink
//
// Pad probes count the codec's frames and the wzp packets. With
// --skip-opus-dtx a probe after the encoder drops Opus DTX packets
// (wzp::audio::is_opus_dtx_packet) and sends a GAP event in their place: the
// change proposed for wzpfecenc (docs/dtx.md), measured before it exists.
// With --padding=N wzpencrypt pads to multiples of N bytes (docs/crypto.md,
// "Packet sizes"), and the distinct packet sizes of each half go to stderr.
// Prints one markdown table row per half. bench/dtx/run.sh runs the matrix,
// bench/dtx/padding.sh the padding.
#include <gst/gst.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "bench/dtx/dtx_bench.hpp"

namespace {

// IPv4 20 + UDP 8 + QUIC short header, DATAGRAM frame and AEAD tag (~30):
// what each wzp packet costs beyond its own bytes (libwzp/quality counts 82
// per packet including the 24-byte wzp header and our 16-byte tag).
constexpr double kTransportBytesPerPacket = 58;

struct Half {
  double codec_bytes = 0, codec_frames = 0, wire_bytes = 0, wire_packets = 0;
  std::set<size_t> wire_sizes;
};

struct Counts {
  GstClockTime split = 10 * GST_SECOND;
  Half halves[2];
  unsigned skipped = 0;
  Half &at(GstClockTime pts) { return halves[GST_CLOCK_TIME_IS_VALID(pts) && pts >= split]; }
};

// What one probe adds to: the codec's bytes and frames, or the wire's bytes
// and packets, in the half of the run a buffer's time falls in.
struct Tally {
  Counts &counts;
  double Half::*bytes;
  double Half::*units;
};

GstPadProbeReturn count(GstPad *, GstPadProbeInfo *info, gpointer data) {
  auto *tally = static_cast<Tally *>(data);
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  Half &half = tally->counts.at(GST_BUFFER_PTS(buffer));
  half.*tally->bytes += static_cast<double>(gst_buffer_get_size(buffer));
  half.*tally->units += 1;
  if (tally->bytes == &Half::wire_bytes) half.wire_sizes.insert(gst_buffer_get_size(buffer));
  return GST_PAD_PROBE_OK;
}

void attach(GstElement *pipeline, const char *name, const char *pad_name, GstPadProbeCallback probe,
            gpointer data) {
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), name);
  GstPad *pad = gst_element_get_static_pad(element, pad_name);
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, probe, data, nullptr);
  gst_object_unref(pad);
  gst_object_unref(element);
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc < 6) {
    std::fprintf(stderr,
                 "usage: %s <label> <input.wav> <encoder description> <wzpfecenc properties> "
                 "<key file> [--skip-opus-dtx] [--padding=BYTES]\n",
                 argv[0]);
    return 2;
  }
  const std::string label = argv[1];
  bool skip = false;
  std::string padding = "0";
  for (int i = 6; i < argc; ++i) {
    if (std::strcmp(argv[i], "--skip-opus-dtx") == 0) {
      skip = true;
    } else if (std::strncmp(argv[i], "--padding=", 10) == 0) {
      padding = argv[i] + 10;
    } else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  const std::string description = std::string("filesrc location=\"") + argv[2] +
                                  "\" ! wavparse ! audioconvert ! audioresample ! " + argv[3] +
                                  " ! identity name=codec ! wzpfecenc " + argv[4] +
                                  " ! wzpencrypt padding=" + padding + " key-file=\"" + argv[5] +
                                  "\" ! fakesink name=wire";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (pipeline == nullptr) {
    std::fprintf(stderr, "%s: %s\n", description.c_str(), error->message);
    return 1;
  }
  Counts counts;
  Tally codec{counts, &Half::codec_bytes, &Half::codec_frames};
  Tally wire{counts, &Half::wire_bytes, &Half::wire_packets};
  if (skip)
    attach(pipeline, "codec", "src", wzp::bench::replace_opus_dtx_with_gap, &counts.skipped);
  attach(pipeline, "codec", "sink", count, &codec);
  attach(pipeline, "wire", "sink", count, &wire);
  const bool ok = wzp::bench::run_to_end(pipeline);
  gst_object_unref(pipeline);
  if (!ok) {
    std::fprintf(stderr, "%s: pipeline error\n", label.c_str());
    return 1;
  }
  const double seconds = static_cast<double>(counts.split) / GST_SECOND;
  for (int h = 0; h < 2; ++h) {
    const Half &half = counts.halves[h];
    const double wire_kbps =
        (half.wire_bytes + half.wire_packets * kTransportBytesPerPacket) * 8 / seconds / 1000;
    std::printf("| %s | %s | %.0f | %.1f | %.1f | %.0f | %.2f |\n", label.c_str(),
                h ? "silence" : "speech", half.codec_bytes / seconds, half.codec_frames / seconds,
                half.wire_packets / seconds, half.wire_bytes / seconds, wire_kbps);
    std::fprintf(stderr, "%s, %s: %zu distinct wzp packet sizes\n", label.c_str(),
                 h ? "silence" : "speech", half.wire_sizes.size());
  }
  return 0;
}
