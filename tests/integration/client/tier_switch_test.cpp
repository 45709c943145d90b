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
};

const netsim::DirectionConfig kClean{};
const netsim::DirectionConfig kCollapse{.loss = 0.6, .mean_burst = 3, .seed = 7};

gboolean on_tick(gpointer data) {
  auto *call = static_cast<Call *>(data);
  call->adaptive->tick();
  ++call->seconds;
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

  GstStructure *jitter = client::element_stats(receiver, "jitter");
  const double jitter_delay_s = client::stats_u64(jitter, "current-delay") / 1e9;
  if (jitter != nullptr) gst_structure_free(jitter);
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
  const double in_s = double(in->samples.size()) / in->rate;
  const double out_s = double(out->samples.size()) / out->rate;
  std::fprintf(stderr, "input %.2f s, output %.2f s, jitter buffer delay at the end %.2f s\n", in_s,
               out_s, jitter_delay_s);
  // Nothing was cut out, and nothing was added beyond the delay the jitter
  // buffer grew by to ride out the loss (it plays late, not faster).
  EXPECT_GT(out_s, in_s - 0.5);
  EXPECT_LT(out_s, in_s + jitter_delay_s + 0.5) << "jitter buffer delay " << jitter_delay_s << " s";
  const double similarity = segmented_similarity(envelope(*in, 20), envelope(*out, 20), 100, 50);
  std::fprintf(stderr, "envelope similarity %.2f\n", similarity);
  EXPECT_GT(similarity, 0.3);
}

}  // namespace
}  // namespace wzp::test
