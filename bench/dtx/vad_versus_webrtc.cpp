// Our voice-activity detector against a peer, WebRTC's VAD (GStreamer's
// webrtcdsp voice-detection, which flags the 10 ms buffer where its decision
// changes with a GstAudioLevelMeta), on the same speech in the same noise.
//
// Input: clean speech, raw S16LE mono 8 kHz (bench/dtx/run.sh makes it with
// espeak-ng and sox). Truth per 40 ms frame: within 35 dB of the loudest
// frame. White noise is mixed in at several SNRs against the active speech
// level. WebRTC's decisions are also shown with our 300 ms hangover, as a DTX
// encoder would use them. Prints a markdown table.
#include <gst/app/gstappsrc.h>
#include <gst/audio/audio.h>
#include <gst/gst.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "libwzp/audio/vad.hpp"
#include "tests/support/vad_score.hpp"

namespace {

constexpr int kRate = 8000;
constexpr size_t kFrame = 320;         // 40 ms
constexpr size_t kWebrtcChunk = 80;    // 10 ms
constexpr size_t kHangoverFrames = 7;  // 300 ms, as VadConfig's default (rounded down)

struct Probe {
  std::vector<bool> *speech;
  bool voice = false;  // webrtcdsp adds the meta only when the decision changes
};

GstPadProbeReturn on_output(GstPad *, GstPadProbeInfo *info, gpointer data) {
  GstBuffer *buffer = GST_PAD_PROBE_INFO_BUFFER(info);
  auto &probe = *static_cast<Probe *>(data);
  auto &speech = *probe.speech;
  if (GstAudioLevelMeta *meta = gst_buffer_get_audio_level_meta(buffer)) {
    probe.voice = meta->voice_activity;
  }
  if (!probe.voice || !GST_BUFFER_PTS_IS_VALID(buffer)) return GST_PAD_PROBE_OK;
  const size_t frame = GST_BUFFER_PTS(buffer) / (40 * GST_MSECOND);
  if (frame < speech.size()) speech[frame] = true;  // any voiced 10 ms marks the frame
  return GST_PAD_PROBE_OK;
}

// WebRTC's decision per 40 ms frame.
std::vector<bool> webrtc_vad(const std::vector<int16_t> &pcm) {
  std::vector<bool> speech(pcm.size() / kFrame, false);
  GError *error = nullptr;
  GstElement *pipeline = gst_parse_launch(
      "appsrc name=in format=time caps=audio/x-raw,format=S16LE,rate=8000,channels=1,"
      "layout=interleaved ! webrtcdsp echo-cancel=false noise-suppression=false "
      "gain-control=false high-pass-filter=false voice-detection=true "
      "voice-detection-frame-size-ms=10 ! fakesink name=out",
      &error);
  if (pipeline == nullptr) {
    std::fprintf(stderr, "webrtcdsp: %s\n", error->message);
    return speech;
  }
  Probe probe{&speech};
  GstElement *out = gst_bin_get_by_name(GST_BIN(pipeline), "out");
  GstPad *pad = gst_element_get_static_pad(out, "sink");
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, on_output, &probe, nullptr);
  gst_object_unref(pad);
  gst_object_unref(out);
  GstElement *in = gst_bin_get_by_name(GST_BIN(pipeline), "in");
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  for (size_t at = 0; at + kWebrtcChunk <= pcm.size(); at += kWebrtcChunk) {
    GstBuffer *buffer = gst_buffer_new_memdup(pcm.data() + at, kWebrtcChunk * sizeof(int16_t));
    GST_BUFFER_PTS(buffer) = gst_util_uint64_scale(at, GST_SECOND, kRate);
    GST_BUFFER_DURATION(buffer) = 10 * GST_MSECOND;
    gst_app_src_push_buffer(GST_APP_SRC(in), buffer);
  }
  gst_app_src_end_of_stream(GST_APP_SRC(in));
  gst_object_unref(in);
  GstMessage *message =
      gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipeline), GST_CLOCK_TIME_NONE,
                                 static_cast<GstMessageType>(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  gst_message_unref(message);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(pipeline);
  return speech;
}

std::vector<bool> with_hangover(const std::vector<bool> &speech) {
  std::vector<bool> out(speech.size());
  size_t left = 0;
  for (size_t f = 0; f < speech.size(); ++f) {
    if (speech[f]) left = kHangoverFrames + 1;
    out[f] = left > 0;
    if (left > 0) --left;
  }
  return out;
}

void print_row(double snr, const char *name, const std::vector<bool> &truth,
               const std::vector<bool> &speech) {
  const wzp::test::VadScore score = wzp::test::score_vad(truth, speech);
  std::printf("| %.0f dB | %s | %.2f %% | %.1f %% |\n", snr, name, 100.0 * score.miss_rate(),
              100.0 * score.false_alarm_rate());
}

}  // namespace

int main(int argc, char **argv) {
  gst_init(&argc, &argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <clean speech, raw S16LE mono 8 kHz>\n", argv[0]);
    return 2;
  }
  const std::vector<int16_t> clean = wzp::test::read_s16le(argv[1]);
  const size_t frames = clean.size() / kFrame;
  if (frames == 0) return 1;
  const wzp::test::SpeechTruth truth = wzp::test::speech_truth(clean, kFrame);

  std::printf("| SNR | detector | speech frames missed | other frames sent as speech |\n");
  std::printf("|---|---|---|---|\n");
  for (double snr : {30.0, 20.0, 10.0, 5.0}) {
    std::mt19937 random(21);
    std::normal_distribution<double> normal(
        0.0, 32768.0 * std::pow(10.0, (truth.active_dbfs - snr) / 20.0));
    std::vector<int16_t> noisy(frames * kFrame);
    for (size_t i = 0; i < noisy.size(); ++i) {
      noisy[i] = static_cast<int16_t>(std::lround(
          std::fmax(-32768.0, std::fmin(32767.0, static_cast<double>(clean[i]) + normal(random)))));
    }
    wzp::audio::VoiceActivityDetector vad;
    std::vector<bool> ours(frames);
    for (size_t f = 0; f < frames; ++f) {
      ours[f] = vad.is_speech(std::span<const int16_t>(noisy).subspan(f * kFrame, kFrame));
    }
    const std::vector<bool> webrtc = webrtc_vad(noisy);
    print_row(snr, "wzp", truth.speech, ours);
    print_row(snr, "webrtc", truth.speech, webrtc);
    print_row(snr, "webrtc + 300 ms hangover", truth.speech, with_hangover(webrtc));
  }
  return 0;
}
