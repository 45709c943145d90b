// A call whose path collapses and recovers: the sender and receiver
// pipelines of a real call (client/call_media) over real QUIC through the
// user-space impairment proxy, with the adaptive loop running. The path
// starts clean, turns to 60 % bursty loss (on the media's way; the way back,
// which carries QUIC's acknowledgements, stays clean) until the ladder has
// stepped down to catastrophic (Codec2), then turns clean until it has
// climbed back to Opus. The ladder must move both ways, and the received speech must keep
// time (no gap, about as long as the input) and still be the input.
#include <glib.h>
#include <gtest/gtest.h>
#include <sodium.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "client/adaptive.hpp"
#include "client/call_media.hpp"
#include "client/local_call.hpp"
#include "libwzp/crypto/handshake.hpp"
#include "libwzp/netsim/udp_proxy.hpp"
#include "tests/integration/client/audio_compare.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;
using quality::Tier;

constexpr const char *kSpeech =
    "This is a test call on a path that breaks down and comes back. "
    "The quick brown fox jumps over the lazy dog. "
    "When the loss rises the call falls back to the smallest codec, "
    "and when the path is clean again it climbs back up the ladder. "
    "Pack my box with five dozen liquor jugs. "
    "How vexingly quick daft zebras jump. "
    "The five boxing wizards jump quickly, and the speech goes on "
    "for long enough to see the whole round trip of the ladder.";

enum class Phase { kClean, kCollapsed, kRecovering, kDone };

struct Call : client::LocalCallRun {
  netsim::UdpProxy *proxy = nullptr;
  Phase phase = Phase::kClean;
  int seconds = 0;
  double first_delay_s = -1;  // the jitter buffer's, a second in
};

double jitter_delay_s(GstElement *receiver) {
  GstStructure *jitter = client::element_stats(receiver, "jitter");
  const double delay_s = client::stats_u64(jitter, "current-delay") / 1e9;
  if (jitter != nullptr) gst_structure_free(jitter);
  return delay_s;
}

const netsim::DirectionConfig kClean{};
const netsim::DirectionConfig kCollapse{.loss = 0.6, .mean_burst = 3, .seed = 7};

gboolean on_tick(gpointer data) {
  auto *call = static_cast<Call *>(data);
  call->adaptive->tick();
  if (++call->seconds == 1) call->first_delay_s = jitter_delay_s(call->receiver);
  const Tier tier = call->adaptive->tier();
  if (call->phase == Phase::kClean && call->seconds >= 4) {
    call->proxy->set_directions(kCollapse, kClean);
    call->phase = Phase::kCollapsed;
  } else if (call->phase == Phase::kCollapsed && tier == Tier::kCatastrophic) {
    call->proxy->set_directions(kClean, kClean);
    call->phase = Phase::kRecovering;
  } else if (call->phase == Phase::kRecovering && tier > Tier::kCatastrophic) {
    call->phase = Phase::kDone;
  }
  std::fprintf(stderr, "%2d s: %s\n", call->seconds, std::string(quality::to_string(tier)).c_str());
  return G_SOURCE_CONTINUE;
}

// Where the last 20 ms window louder than a whisper ends.
double speech_end_s(const std::vector<double> &envelope) {
  constexpr double kQuiet = 0.01;
  size_t end = envelope.size();
  while (end > 0 && envelope[end - 1] < kQuiet) --end;
  return end * 0.02;
}

GstStructure *voice_stats(GstElement *pipeline) { return client::element_stats(pipeline, "voice"); }

class TierSwitch : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    gst_init(nullptr, nullptr);
    dir_ = make_temp_dir("tier-switch");
    ChildProcess speak("/usr/bin/espeak-ng", {"-w", (dir_ / "in.wav").string(), kSpeech});
    ASSERT_TRUE(speak.wait_exit(30s).has_value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(TierSwitch, TheLadderGoesDownToCodec2AndBackWithoutLosingTime) {
  crypto::CallKeys caller_keys, callee_keys;
  std::string error;
  ASSERT_TRUE(client::agree_keys_locally(caller_keys, callee_keys, error)) << error;
  client::ReceiverConfig rx;
  rx.output_wav = (dir_ / "out.wav").string();
  GstElement *receiver = client::build_receiver(rx, crypto::make_call_session(callee_keys), error);
  ASSERT_NE(receiver, nullptr) << error;
  ASSERT_NE(gst_element_set_state(receiver, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);

  netsim::ProxyConfig proxy_config;
  proxy_config.upstream = "127.0.0.1:" + std::to_string(client::receiver_port(receiver));
  netsim::UdpProxy proxy(proxy_config);

  client::SenderConfig tx;
  tx.input_wav = (dir_ / "in.wav").string();
  tx.port = proxy.listen_address().port();
  tx.server_fingerprint = client::receiver_fingerprint(receiver);
  tx.tier = &quality::profile(Tier::kGood);
  GstElement *sender = client::build_sender(tx, crypto::make_call_session(caller_keys), error);
  ASSERT_NE(sender, nullptr) << error;

  Call call;
  call.sender = sender;
  call.receiver = receiver;
  call.loop = g_main_loop_new(nullptr, FALSE);
  call.proxy = &proxy;
  quality::ControllerConfig config;
  config.initial = Tier::kGood;
  // The peer's reports ride the forward path here, as in `wzp loopback`.
  client::AdaptiveQuality adaptive(sender, receiver, config);
  call.adaptive = &adaptive;
  call.watch_buses();
  gst_element_set_state(sender, GST_STATE_PAUSED);
  ASSERT_TRUE(client::wait_connected(sender, 30s));
  guint tick = g_timeout_add_seconds(1, on_tick, &call);
  guint limit = g_timeout_add_seconds(
      120,
      [](gpointer d) -> gboolean {
        static_cast<Call *>(d)->error = "the call did not end within 120 s";
        g_main_loop_quit(static_cast<Call *>(d)->loop);
        return G_SOURCE_REMOVE;
      },
      &call);
  gst_element_set_state(sender, GST_STATE_PLAYING);
  g_main_loop_run(call.loop);
  g_source_remove(tick);
  g_source_remove(limit);

  const double last_delay_s = jitter_delay_s(receiver);
  GstStructure *sent = voice_stats(sender);
  GstStructure *received = voice_stats(receiver);
  call.release_pipelines();
  proxy.stop();
  g_main_loop_unref(call.loop);
  ASSERT_EQ(call.error, "");

  // The ladder went down to Codec2 and came back up.
  const auto &history = adaptive.history();
  std::string steps;
  for (const auto &h : history) steps += std::string(quality::to_string(h.tier)) + " ";
  size_t down = 0;
  while (down < history.size() && history[down].tier != Tier::kCatastrophic) ++down;
  ASSERT_LT(down, history.size()) << steps;
  EXPECT_TRUE(down + 1 < history.size() && history[down + 1].tier > Tier::kCatastrophic) << steps;
  EXPECT_EQ(call.phase, Phase::kDone) << steps;

  // Both ends switched codec, the sender in frame order.
  EXPECT_GE(client::stats_u64(sent, "codec-switches"), 2u);
  EXPECT_EQ(client::stats_u64(sent, "frames-out-of-order"), 0u);
  EXPECT_GE(client::stats_u64(received, "codec-switches"), 2u);
  // No hole in the decoded timeline was too long to fill.
  EXPECT_EQ(client::stats_u64(received, "gaps-skipped"), 0u);
  std::fprintf(stderr,
               "ladder: %s| switch holes %.1f ms at the sender; receiver filled %lu samples, "
               "trimmed %lu\n",
               steps.c_str(), client::stats_u64(sent, "switch-gap-ns") / 1e6,
               static_cast<unsigned long>(client::stats_u64(received, "samples-filled")),
               static_cast<unsigned long>(client::stats_u64(received, "samples-trimmed")));
  gst_structure_free(sent);
  gst_structure_free(received);

  // The speech keeps time and is still the speech.
  auto in = read_wav(dir_ / "in.wav");
  auto out = read_wav(dir_ / "out.wav");
  ASSERT_TRUE(in && out);
  const auto in_envelope = envelope(*in, 20);
  const auto out_envelope = envelope(*out, 20);
  const double in_end_s = speech_end_s(in_envelope);
  const double out_end_s = speech_end_s(out_envelope);
  const double grown_s = last_delay_s - call.first_delay_s;
  std::fprintf(stderr,
               "speech ends at %.2f s in the input, %.2f s in the output; the jitter buffer's "
               "delay went from %.2f to %.2f s\n",
               in_end_s, out_end_s, call.first_delay_s, last_delay_s);
  // The decoded speech keeps the buffer's time, sample for sample: it ends
  // later by what the delay grew to ride out the loss, so nothing was cut
  // out and nothing added (the output's length also counts the concealment
  // after the last frame). A base path delay that moved counts too.
  EXPECT_NEAR(out_end_s - in_end_s, grown_s, 0.15)
      << "delay " << call.first_delay_s << " -> " << last_delay_s << " s";
  const double similarity = segmented_similarity(in_envelope, out_envelope, 100, 50);
  std::fprintf(stderr, "envelope similarity %.2f\n", similarity);
  EXPECT_GT(similarity, 0.3);
}

}  // namespace
}  // namespace wzp::test
