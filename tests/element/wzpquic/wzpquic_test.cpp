// wzpquicsink and wzpquicsrc over real loopback QUIC: packets from one
// pipeline arrive in another counted exactly, a sink and a source share one
// connection, and failures end up on the bus instead of hanging.
#include <gst/check/gstharness.h>
#include <gst/gst.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "libwzp/netsim/udp_proxy.hpp"
#include "libwzp/quic/endpoint.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/support/pipeline.hpp"
#include "tests/support/wait.hpp"

namespace {

using namespace std::chrono_literals;

using wzp::test::Pipeline;

guint uint_property(GstElement *element, const char *name) {
  guint value = 0;
  g_object_get(element, name, &value, nullptr);
  return value;
}

std::string string_property(GstElement *element, const char *name) {
  gchar *value = nullptr;
  g_object_get(element, name, &value, nullptr);
  std::string out = value ? value : "";
  g_free(value);
  return out;
}

guint64 stat(GstElement *element, const char *field) {
  GstStructure *stats = nullptr;
  g_object_get(element, "stats", &stats, nullptr);
  guint64 value = 0;
  gst_structure_get_uint64(stats, field, &value);
  gst_structure_free(stats);
  return value;
}

GstBuffer *audio_packet(uint32_t sequence) {
  wzp::wire::MediaHeader header;
  header.codec = wzp::wire::codec::kOpus;
  header.sequence = sequence;
  header.timestamp = sequence * 960;
  std::vector<uint8_t> bytes(wzp::wire::kFullHeaderSize + 40, static_cast<uint8_t>(sequence));
  size_t written = wzp::wire::write_full(header, nullptr, bytes);
  EXPECT_EQ(written, wzp::wire::kFullHeaderSize);
  return gst_buffer_new_memdup(bytes.data(), bytes.size());
}

void push(GstElement *appsrc, GstBuffer *buffer) {
  GstFlowReturn ret;
  g_signal_emit_by_name(appsrc, "push-buffer", buffer, &ret);
  gst_buffer_unref(buffer);
  EXPECT_EQ(ret, GST_FLOW_OK);
}

// Pulls up to `count` packets and returns their sequence numbers.
std::vector<uint32_t> pull_sequences(GstElement *appsink, size_t count) {
  std::vector<uint32_t> sequences;
  while (sequences.size() < count) {
    GstSample *sample = nullptr;
    g_signal_emit_by_name(appsink, "try-pull-sample", 5 * GST_SECOND, &sample);
    if (sample == nullptr) break;
    GstMapInfo map;
    GstBuffer *buffer = gst_sample_get_buffer(sample);
    gst_buffer_map(buffer, &map, GST_MAP_READ);
    wzp::wire::PacketView view;
    EXPECT_EQ(wzp::wire::parse_full({map.data, map.size}, view), wzp::wire::WireError::kOk);
    sequences.push_back(view.header.sequence);
    gst_buffer_unmap(buffer, &map);
    gst_sample_unref(sample);
  }
  return sequences;
}

GstBuffer *video_packet(uint32_t sequence, uint32_t stream_id) {
  wzp::wire::MediaHeader header;
  header.media_type = wzp::wire::MediaType::kVideo;
  header.codec = wzp::wire::codec::kAv1;
  header.stream_id = stream_id;
  header.sequence = sequence;
  header.timestamp = sequence * 6000;
  std::vector<uint8_t> bytes(wzp::wire::kFullHeaderSize + 200, static_cast<uint8_t>(sequence));
  EXPECT_EQ(wzp::wire::write_full(header, nullptr, bytes), wzp::wire::kFullHeaderSize);
  return gst_buffer_new_memdup(bytes.data(), bytes.size());
}

constexpr const char *kServerSource =
    "wzpquicsrc name=src role=server bind-address=127.0.0.1 ! "
    "appsink name=out sync=false max-buffers=10000";

std::string client_sink(guint port, const std::string &fingerprint) {
  return "appsrc name=in caps=application/x-wzp format=time ! wzpquicsink name=sink role=client "
         "address=127.0.0.1 max-queue-time=5000 port=" +
         std::to_string(port) + " server-fingerprint=" + fingerprint;
}

TEST(WzpQuic, AudioPacketsFromOnePipelineArriveInAnotherCountedExactly) {
  Pipeline receiver(kServerSource);
  ASSERT_TRUE(receiver.play());
  GstElement *src = receiver.get("src");
  guint port = uint_property(src, "bound-port");
  ASSERT_NE(port, 0u);
  Pipeline sender(client_sink(port, string_property(src, "fingerprint")));
  ASSERT_TRUE(sender.play());
  constexpr uint32_t kPackets = 300;
  for (uint32_t i = 0; i < kPackets; ++i) {
    push(sender.get("in"), audio_packet(i));
    // Pacing, not waiting: a live source, a little faster than real audio.
    // All 300 at once would overflow the link's 256-datagram queue.
    g_usleep(1000);
  }
  GstFlowReturn ret;
  g_signal_emit_by_name(sender.get("in"), "end-of-stream", &ret);
  std::string text;
  ASSERT_EQ(sender.wait_end(text), GST_MESSAGE_EOS) << text;

  std::vector<uint32_t> sequences = pull_sequences(receiver.get("out"), kPackets);
  ASSERT_EQ(sequences.size(), kPackets);
  std::set<uint32_t> distinct(sequences.begin(), sequences.end());
  EXPECT_EQ(distinct.size(), kPackets);
  EXPECT_EQ(*distinct.rbegin(), kPackets - 1);
  EXPECT_EQ(stat(sender.get("sink"), "datagrams-sent"), kPackets);
  EXPECT_EQ(stat(sender.get("sink"), "datagrams-dropped-full"), 0u);
  // The sender closes cleanly, so the receiver's stream ends with EOS.
  gst_element_set_state(sender.element, GST_STATE_NULL);
  ASSERT_EQ(receiver.wait_end(text), GST_MESSAGE_EOS) << text;
  EXPECT_TRUE(pull_sequences(receiver.get("out"), 1).empty());  // nothing extra arrived
}

TEST(WzpQuic, SinkAndSourceInOnePipelineShareOneConnection) {
  Pipeline server(
      "wzpquicsrc name=src role=server bind-address=127.0.0.1 ! appsink name=out sync=false "
      "appsrc name=in caps=application/x-wzp format=time ! "
      "wzpquicsink name=sink role=server bind-address=127.0.0.1");
  ASSERT_TRUE(server.play());
  guint port = uint_property(server.get("src"), "bound-port");
  ASSERT_NE(port, 0u);
  EXPECT_EQ(uint_property(server.get("sink"), "bound-port"), port);  // one socket, one link
  std::string fingerprint = string_property(server.get("src"), "fingerprint");
  std::string client_settings = " role=client address=127.0.0.1 port=" + std::to_string(port) +
                                " server-fingerprint=" + fingerprint;
  Pipeline client("wzpquicsrc name=src" + client_settings +
                  " ! appsink name=out sync=false appsrc name=in caps=application/x-wzp "
                  "format=time ! wzpquicsink name=sink" +
                  client_settings);
  ASSERT_TRUE(client.play());
  EXPECT_EQ(uint_property(client.get("src"), "bound-port"),
            uint_property(client.get("sink"), "bound-port"));

  for (uint32_t i = 0; i < 50; ++i) push(client.get("in"), audio_packet(i));
  ASSERT_EQ(pull_sequences(server.get("out"), 50).size(), 50u);
  for (uint32_t i = 0; i < 40; ++i) push(server.get("in"), audio_packet(1000 + i));
  std::vector<uint32_t> back = pull_sequences(client.get("out"), 40);
  ASSERT_EQ(back.size(), 40u);
  EXPECT_EQ(back.front(), 1000u);
  EXPECT_EQ(stat(server.get("src"), "connections-accepted"), 1u);
}

TEST(WzpQuic, TwoPipelinesOfOneApplicationShareOneConnection) {
  Pipeline server(kServerSource);
  ASSERT_TRUE(server.play());
  guint port = uint_property(server.get("src"), "bound-port");
  std::string settings = " role=client address=127.0.0.1 port=" + std::to_string(port) +
                         " server-fingerprint=" + string_property(server.get("src"), "fingerprint");
  Pipeline sending("appsrc name=in caps=application/x-wzp format=time ! wzpquicsink name=sink" +
                   settings);
  ASSERT_TRUE(sending.play());
  // The application hands the sink's connection to the other pipeline.
  GstBus *bus = gst_element_get_bus(sending.element);
  GstMessage *message = gst_bus_timed_pop_filtered(bus, GST_SECOND, GST_MESSAGE_HAVE_CONTEXT);
  gst_object_unref(bus);
  ASSERT_NE(message, nullptr);
  GstContext *context = nullptr;
  gst_message_parse_have_context(message, &context);
  EXPECT_STREQ(gst_context_get_context_type(context), "wzp.quic.link");
  Pipeline receiving("wzpquicsrc name=src" + settings + " ! fakesink");
  gst_element_set_context(receiving.element, context);
  gst_context_unref(context);
  gst_message_unref(message);
  ASSERT_TRUE(receiving.play());
  EXPECT_EQ(uint_property(receiving.get("src"), "bound-port"),
            uint_property(sending.get("sink"), "bound-port"));
  push(sending.get("in"), audio_packet(7));
  ASSERT_EQ(pull_sequences(server.get("out"), 1), std::vector<uint32_t>{7});
  EXPECT_EQ(stat(server.get("src"), "connections-accepted"), 1u);
}

TEST(WzpQuic, WrongFingerprintIsAClearErrorOnTheBus) {
  Pipeline receiver(kServerSource);
  ASSERT_TRUE(receiver.play());
  guint port = uint_property(receiver.get("src"), "bound-port");
  Pipeline client("wzpquicsrc role=client address=127.0.0.1 port=" + std::to_string(port) +
                  " server-fingerprint=" + std::string(64, 'a') + " ! fakesink");
  ASSERT_TRUE(client.play());
  std::string text;
  ASSERT_EQ(client.wait_end(text), GST_MESSAGE_ERROR);
  EXPECT_NE(text.find("does not match the pinned fingerprint"), std::string::npos) << text;
}

TEST(WzpQuic, NoServerIsAnErrorOnTheBusNotAHang) {
  Pipeline client(
      "wzpquicsrc role=client address=127.0.0.1 port=9 idle-timeout=800 server-fingerprint=" +
      std::string(64, 'a') + " ! fakesink");
  ASSERT_TRUE(client.play());
  std::string text;
  ASSERT_EQ(client.wait_end(text), GST_MESSAGE_ERROR);
  EXPECT_NE(text.find("handshake timed out"), std::string::npos) << text;
}

TEST(WzpQuic, VanishedServerIsAnErrorOnTheBusNotAHang) {
  Pipeline receiver(kServerSource);
  ASSERT_TRUE(receiver.play());
  GstElement *src = receiver.get("src");
  wzp::netsim::ProxyConfig path;
  path.upstream = "127.0.0.1:" + std::to_string(uint_property(src, "bound-port"));
  wzp::netsim::UdpProxy proxy(path);
  Pipeline client("wzpquicsrc name=src role=client address=127.0.0.1 idle-timeout=600 port=" +
                  std::to_string(proxy.listen_address().port()) +
                  " server-fingerprint=" + string_property(src, "fingerprint") + " ! fakesink");
  ASSERT_TRUE(client.play());
  // The client is connected once the datagram limit is known.
  ASSERT_TRUE(
      wzp::test::wait_until([&] { return stat(client.get("src"), "max-datagram-size") > 0; }, 2s));
  EXPECT_EQ(stat(receiver.get("src"), "connections-accepted"), 1u);
  proxy.stop();  // the server's host drops off the network
  std::string text;
  ASSERT_EQ(client.wait_end(text), GST_MESSAGE_ERROR);
  EXPECT_NE(text.find("idle timeout"), std::string::npos) << text;
}

TEST(WzpQuic, HarnessSinkDeliversEveryBufferToAnEndpoint) {
  std::mutex mutex;
  std::condition_variable arrived;
  size_t received = 0;
  wzp::quic::EndpointConfig config;
  config.bind_address = "127.0.0.1";
  config.accept_connections = true;
  std::string error;
  auto server = wzp::quic::Endpoint::create(
      config,
      [&](const std::shared_ptr<wzp::quic::Connection> &) {
        wzp::quic::ConnectionHandlers handlers;
        handlers.on_datagram = [&](std::span<const uint8_t>) {
          std::lock_guard lock(mutex);
          ++received;
          arrived.notify_all();
        };
        return handlers;
      },
      error);
  ASSERT_TRUE(server) << error;
  std::string launch =
      "wzpquicsink role=client address=127.0.0.1 port=" + std::to_string(server->local_port()) +
      " server-fingerprint=" + server->fingerprint();
  GstHarness *h = gst_harness_new_parse(launch.c_str());
  gst_harness_set_src_caps_str(h, "application/x-wzp");
  for (uint32_t i = 0; i < 20; ++i) ASSERT_EQ(gst_harness_push(h, audio_packet(i)), GST_FLOW_OK);
  ASSERT_TRUE(gst_harness_push_event(h, gst_event_new_eos()));  // drains the queue
  {
    std::unique_lock lock(mutex);
    arrived.wait_for(lock, 2s, [&] { return received >= 20; });
    EXPECT_EQ(received, 20u);
  }
  gst_harness_teardown(h);
}

// A force-key-unit event sent upstream into the receiving wzpquicsrc (as
// wzpdav1ddec sends one) comes out of the sending wzpquicsink as a
// force-key-unit event to its encoder: three copies of one request on the
// wire, acted on once, and a second request right after the first is held
// back by the receiver's 100 ms spacing.
TEST(WzpQuic, AKeyframeRequestCrossesFromSourceToTheSendersEncoder) {
  Pipeline receiver(kServerSource);
  ASSERT_TRUE(receiver.play());
  GstElement *src = receiver.get("src");
  Pipeline sender(
      client_sink(uint_property(src, "bound-port"), string_property(src, "fingerprint")));
  std::mutex mutex;
  int key_unit_events = 0;
  GstPad *appsrc_pad = gst_element_get_static_pad(sender.get("in"), "src");
  gst_pad_add_probe(
      appsrc_pad, GST_PAD_PROBE_TYPE_EVENT_UPSTREAM,
      [](GstPad *, GstPadProbeInfo *info, gpointer data) {
        GstEvent *event = GST_PAD_PROBE_INFO_EVENT(info);
        if (GST_EVENT_TYPE(event) == GST_EVENT_CUSTOM_UPSTREAM &&
            gst_event_has_name(event, "GstForceKeyUnit")) {
          auto *count = static_cast<std::pair<std::mutex *, int *> *>(data);
          std::lock_guard lock(*count->first);
          ++*count->second;
        }
        return GST_PAD_PROBE_OK;
      },
      new std::pair<std::mutex *, int *>(&mutex, &key_unit_events),
      [](gpointer data) { delete static_cast<std::pair<std::mutex *, int *> *>(data); });
  gst_object_unref(appsrc_pad);
  ASSERT_TRUE(sender.play());
  push(sender.get("in"), video_packet(0, 9));
  ASSERT_EQ(pull_sequences(receiver.get("out"), 1).size(), 1u);  // the source knows stream 9

  GstElement *out = receiver.get("out");
  ASSERT_TRUE(gst_element_send_event(
      out,
      gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("GstForceKeyUnit"))));
  // Within 100 ms of the first: not sent.
  EXPECT_TRUE(gst_element_send_event(
      out,
      gst_event_new_custom(GST_EVENT_CUSTOM_UPSTREAM, gst_structure_new_empty("GstForceKeyUnit"))));
  EXPECT_EQ(stat(src, "keyframe-requests-sent"), 1u);
  GstElement *sink = sender.get("sink");
  ASSERT_TRUE(
      wzp::test::wait_until([&] { return stat(sink, "keyframe-requests-received") == 3; }, 2s));
  // The sink acts as its next packet leaves; the copies act once.
  for (uint32_t i = 1; i <= 3; ++i) push(sender.get("in"), video_packet(i, 9));
  ASSERT_EQ(pull_sequences(receiver.get("out"), 3).size(), 3u);
  {
    std::lock_guard lock(mutex);
    EXPECT_EQ(key_unit_events, 1);
  }
}

}  // namespace
