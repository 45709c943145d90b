// Does a decoder need Opus's one-byte DTX packets? Decodes the same input
// twice through opusenc dtx=true ! opusdec plc=true: once with every packet,
// once with the DTX packets (wzp::audio::is_opus_dtx_packet) replaced by GAP
// events, as wzpjitterbuffer sends for frames that never came. Prints how many
// decoded samples differ, where the first difference is, and the level of the
// second half both ways.
#include <gst/gst.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/dtx/dtx_bench.hpp"

namespace {

struct Run {
  bool skip = false;
  unsigned skipped = 0;
  std::vector<int16_t> pcm;
};

GstPadProbeReturn collect(GstPad *, GstPadProbeInfo *info, gpointer data) {
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  auto &pcm = static_cast<Run *>(data)->pcm;
  const size_t at = pcm.size();
  pcm.resize(at + gst_buffer_get_size(buffer) / 2);
  gst_buffer_extract(buffer, 0, pcm.data() + at, (pcm.size() - at) * 2);
  return GST_PAD_PROBE_OK;
}

GstPad *pad_of(GstElement *pipeline, const char *element_name, const char *pad_name) {
  GstElement *element = gst_bin_get_by_name(GST_BIN(pipeline), element_name);
  GstPad *pad = gst_element_get_static_pad(element, pad_name);
  gst_object_unref(element);
  return pad;
}

bool decode(const std::string &input, const std::string &encoder, Run &run) {
  const std::string description = "filesrc location=\"" + input +
                                  "\" ! wavparse ! audioconvert ! audioresample ! "
                                  "audio/x-raw,rate=48000,channels=1 ! opusenc dtx=true " +
                                  encoder +
                                  " name=enc ! opusdec plc=true ! audio/x-raw,format=S16LE ! "
                                  "fakesink name=out";
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(description.c_str(), &error);
  if (pipeline == nullptr) return false;
  GstPad *encoded = pad_of(pipeline, "enc", "src");
  if (run.skip)
    gst_pad_add_probe(encoded, GST_PAD_PROBE_TYPE_BUFFER, wzp::bench::replace_opus_dtx_with_gap,
                      &run.skipped, nullptr);
  gst_object_unref(encoded);
  GstPad *decoded = pad_of(pipeline, "out", "sink");
  gst_pad_add_probe(decoded, GST_PAD_PROBE_TYPE_BUFFER, collect, &run, nullptr);
  gst_object_unref(decoded);
  const bool ok = wzp::bench::run_to_end(pipeline);
  gst_object_unref(pipeline);
  return ok;
}

double second_half_dbfs(const std::vector<int16_t> &pcm) {
  double sum = 0;
  const size_t from = pcm.size() / 2;
  for (size_t i = from; i < pcm.size(); ++i) sum += static_cast<double>(pcm[i]) * pcm[i];
  return 10 * std::log10(sum / static_cast<double>(pcm.size() - from) / (32768.0 * 32768.0));
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <input.wav> <opusenc properties>\n", argv[0]);
    return 2;
  }
  Run all, skipped;
  skipped.skip = true;
  if (!decode(argv[1], argv[2], all) || !decode(argv[1], argv[2], skipped)) {
    std::fprintf(stderr, "pipeline error\n");
    return 1;
  }
  size_t differing = all.pcm.size() > skipped.pcm.size() ? all.pcm.size() - skipped.pcm.size()
                                                         : skipped.pcm.size() - all.pcm.size();
  size_t first_difference = std::min(all.pcm.size(), skipped.pcm.size());
  for (size_t i = std::min(all.pcm.size(), skipped.pcm.size()); i-- > 0;) {
    if (all.pcm[i] != skipped.pcm[i]) ++differing, first_difference = i;
  }
  std::printf("| %s | %u | %zu of %zu | %.2f | %.1f | %.1f |\n", argv[2], skipped.skipped,
              differing, all.pcm.size(), static_cast<double>(first_difference) / 48000,
              second_half_dbfs(all.pcm), second_half_dbfs(skipped.pcm));
  return 0;
}
