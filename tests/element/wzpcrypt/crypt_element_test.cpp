// wzpencrypt / wzpdecrypt through GstHarness: round trip, tampering,
// replays, rekeying with bus messages, keys from files and from a shared
// session in a GstContext.
#include <gst/check/gstharness.h>
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/padding.hpp"
#include "libwzp/crypto/session.hpp"
#include "libwzp/wire/header.hpp"
#include "plugins/gstwzp/wzpcryptcontext.h"
#include "plugins/gstwzp/wzpmeta.h"
#include "tests/support/paths.hpp"

namespace {

using wzp::crypto::TrafficSecret;

const char *kKeyA = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

std::vector<uint8_t> make_packet(uint32_t stream, uint32_t sequence, size_t payload_size) {
  wzp::wire::MediaHeader header;
  header.codec = wzp::wire::codec::kOpus;
  header.stream_id = stream;
  header.sequence = sequence;
  header.timestamp = sequence * 960;
  std::vector<uint8_t> bytes(wzp::wire::kFullHeaderSize + payload_size);
  size_t header_size = wzp::wire::write_full(header, nullptr, bytes);
  for (size_t i = 0; i < payload_size; ++i) bytes[header_size + i] = static_cast<uint8_t>(i * 7);
  return bytes;
}

GstBuffer *to_buffer(const std::vector<uint8_t> &bytes, GstClockTime pts = 0) {
  GstBuffer *buffer =
      bytes.empty() ? gst_buffer_new() : gst_buffer_new_memdup(bytes.data(), bytes.size());
  GST_BUFFER_PTS(buffer) = pts;
  return buffer;
}

std::vector<uint8_t> to_bytes(GstBuffer *buffer) {
  std::vector<uint8_t> out(gst_buffer_get_size(buffer));
  gst_buffer_extract(buffer, 0, out.data(), out.size());
  gst_buffer_unref(buffer);
  return out;
}

// The crypto element inside the harness (gst_harness_new_parse wraps it in a bin).
GstElement *crypt_element(GstHarness *h) {
  if (GstElement *e = gst_harness_find_element(h, "wzpdecrypt")) return e;
  return gst_harness_find_element(h, "wzpencrypt");
}

guint64 stat(GstHarness *h, const char *field) {
  GstStructure *stats = nullptr;
  GstElement *element = crypt_element(h);
  g_object_get(element, "stats", &stats, nullptr);
  gst_object_unref(element);
  guint64 value = 0;
  EXPECT_TRUE(gst_structure_get_uint64(stats, field, &value)) << field;
  gst_structure_free(stats);
  return value;
}

GstHarness *harness(const std::string &description) {
  GstHarness *h = gst_harness_new_parse(description.c_str());
  gst_harness_set_src_caps_str(h, "application/x-wzp");
  return h;
}

// Seals `packets` with a fresh wzpencrypt keyed with `key`.
std::vector<std::vector<uint8_t>> seal_all(const std::string &key,
                                           const std::vector<std::vector<uint8_t>> &packets) {
  GstHarness *enc = harness("wzpencrypt key=" + key);
  std::vector<std::vector<uint8_t>> out;
  for (const auto &p : packets) {
    EXPECT_EQ(gst_harness_push(enc, to_buffer(p)), GST_FLOW_OK);
    out.push_back(to_bytes(gst_harness_pull(enc)));
  }
  gst_harness_teardown(enc);
  return out;
}

TEST(WzpCrypt, RoundTripsPacketsAndHidesPayload) {
  GstHarness *enc = harness(std::string("wzpencrypt key=") + kKeyA);
  GstHarness *dec = harness(std::string("wzpdecrypt key=") + kKeyA);
  for (uint32_t seq = 1; seq <= 20; ++seq) {
    auto plain = make_packet(5, seq, seq * 10);
    ASSERT_EQ(gst_harness_push(enc, to_buffer(plain, seq * GST_MSECOND * 20)), GST_FLOW_OK);
    GstBuffer *sealed = gst_harness_pull(enc);
    EXPECT_EQ(GST_BUFFER_PTS(sealed), seq * GST_MSECOND * 20);
    auto sealed_bytes = to_bytes(gst_buffer_ref(sealed));
    ASSERT_EQ(sealed_bytes.size(), plain.size() + 16);
    EXPECT_TRUE(std::equal(plain.begin(), plain.begin() + 24, sealed_bytes.begin()));
    EXPECT_FALSE(std::equal(plain.begin() + 24, plain.end(), sealed_bytes.begin() + 24));
    ASSERT_EQ(gst_harness_push(dec, sealed), GST_FLOW_OK);
    EXPECT_EQ(to_bytes(gst_harness_pull(dec)), plain);
  }
  EXPECT_EQ(stat(enc, "sealed"), 20u);
  EXPECT_EQ(stat(dec, "opened"), 20u);
  gst_harness_teardown(enc);
  gst_harness_teardown(dec);
}

TEST(WzpCrypt, EveryTamperedByteIsDroppedAndCounted) {
  auto sealed = seal_all(kKeyA, {make_packet(1, 1, 80)})[0];
  GstHarness *dec = harness(std::string("wzpdecrypt key=") + kKeyA);
  for (size_t i = 0; i < sealed.size(); ++i) {
    auto bad = sealed;
    bad[i] ^= 0x10;
    ASSERT_EQ(gst_harness_push(dec, to_buffer(bad)), GST_FLOW_OK);
    EXPECT_EQ(gst_harness_buffers_in_queue(dec), 0u) << "byte " << i << " passed";
  }
  guint64 dropped = stat(dec, "auth-failed") + stat(dec, "unparseable") +
                    stat(dec, "unknown-epoch") + stat(dec, "unknown-sender");
  EXPECT_EQ(dropped, sealed.size());
  EXPECT_GT(stat(dec, "auth-failed"), 80u);
  // The genuine packet still opens afterwards: nothing forged moved the window.
  ASSERT_EQ(gst_harness_push(dec, to_buffer(sealed)), GST_FLOW_OK);
  EXPECT_EQ(to_bytes(gst_harness_pull(dec)), make_packet(1, 1, 80));
  gst_harness_teardown(dec);
}

TEST(WzpCrypt, ReplaysAndGarbageAreDropped) {
  auto sealed = seal_all(kKeyA, {make_packet(1, 1, 40), make_packet(1, 2, 40)});
  GstHarness *dec = harness(std::string("wzpdecrypt key=") + kKeyA);
  gst_harness_push(dec, to_buffer(sealed[1]));
  gst_harness_push(dec, to_buffer(sealed[0]));  // reordered: fine
  gst_harness_push(dec, to_buffer(sealed[1]));  // replay
  gst_harness_push(dec, to_buffer({0x40, 1, 2}));
  gst_harness_push(dec, to_buffer({}));
  EXPECT_EQ(gst_harness_buffers_in_queue(dec), 2u);
  EXPECT_EQ(stat(dec, "replayed"), 1u);
  EXPECT_EQ(stat(dec, "unparseable"), 2u);
  gst_harness_teardown(dec);
}

TEST(WzpCrypt, WrongKeyOpensNothing) {
  auto sealed = seal_all(kKeyA, {make_packet(1, 1, 40)});
  std::string other(64, 'f');
  GstHarness *dec = harness("wzpdecrypt key=" + other);
  gst_harness_push(dec, to_buffer(sealed[0]));
  EXPECT_EQ(gst_harness_buffers_in_queue(dec), 0u);
  EXPECT_EQ(stat(dec, "auth-failed"), 1u);
  gst_harness_teardown(dec);
}

TEST(WzpCrypt, SenderRefusesToReuseASequence) {
  GstHarness *enc = harness(std::string("wzpencrypt key=") + kKeyA);
  gst_harness_push(enc, to_buffer(make_packet(1, 7, 10)));
  gst_harness_push(enc, to_buffer(make_packet(1, 7, 10)));
  EXPECT_EQ(gst_harness_buffers_in_queue(enc), 1u);
  EXPECT_EQ(stat(enc, "sequence-reused"), 1u);
  gst_harness_teardown(enc);
}

std::vector<guint> epoch_messages(GstBus *bus, const char *direction) {
  std::vector<guint> epochs;
  while (GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ELEMENT)) {
    const GstStructure *s = gst_message_get_structure(m);
    guint epoch;
    if (gst_structure_has_name(s, "wzp-crypto-epoch") &&
        g_strcmp0(gst_structure_get_string(s, "direction"), direction) == 0 &&
        gst_structure_get_uint(s, "epoch", &epoch)) {
      epochs.push_back(epoch);
    }
    gst_message_unref(m);
  }
  return epochs;
}

TEST(WzpCrypt, RekeysEveryNPacketsAndPostsEpochMessages) {
  GstHarness *enc = harness(std::string("wzpencrypt rekey-packets=3 key=") + kKeyA);
  GstHarness *dec = harness(std::string("wzpdecrypt key=") + kKeyA);
  GstBus *enc_bus = gst_bus_new(), *dec_bus = gst_bus_new();
  gst_element_set_bus(enc->element, enc_bus);
  gst_element_set_bus(dec->element, dec_bus);
  std::vector<std::vector<uint8_t>> sealed;
  for (uint32_t seq = 1; seq <= 10; ++seq) {
    gst_harness_push(enc, to_buffer(make_packet(2, seq, 30)));
    sealed.push_back(to_bytes(gst_harness_pull(enc)));
    EXPECT_EQ(sealed.back()[3], (seq - 1) / 3) << "key_epoch byte of packet " << seq;
  }
  EXPECT_EQ(epoch_messages(enc_bus, "send"), (std::vector<guint>{1, 2, 3}));
  for (const auto &p : sealed) gst_harness_push(dec, to_buffer(p));
  EXPECT_EQ(gst_harness_buffers_in_queue(dec), 10u);
  EXPECT_EQ(stat(dec, "epoch-changes"), 3u);
  EXPECT_EQ(epoch_messages(dec_bus, "receive"), (std::vector<guint>{1, 2, 3}));
  // A packet from epoch 0 is now two epochs old: its key is gone.
  auto old = seal_all(kKeyA, {make_packet(2, 11, 30)});
  gst_harness_push(dec, to_buffer(old[0]));
  EXPECT_EQ(stat(dec, "unknown-epoch"), 1u);
  gst_element_set_bus(enc->element, nullptr);
  gst_element_set_bus(dec->element, nullptr);
  gst_object_unref(enc_bus);
  gst_object_unref(dec_bus);
  gst_harness_teardown(enc);
  gst_harness_teardown(dec);
}

TEST(WzpCrypt, KeyFromFile) {
  auto dir = wzp::test::make_temp_dir("wzpcrypt-key");
  auto path = dir / "call.key";
  std::ofstream(path) << kKeyA << "\n";
  auto sealed = seal_all(kKeyA, {make_packet(1, 1, 40)});
  GstHarness *dec = harness("wzpdecrypt key-file=" + path.string());
  gst_harness_push(dec, to_buffer(sealed[0]));
  EXPECT_EQ(to_bytes(gst_harness_pull(dec)), make_packet(1, 1, 40));
  gst_harness_teardown(dec);
  std::filesystem::remove_all(dir);
}

TEST(WzpCrypt, MissingOrBadKeyFailsToStart) {
  for (const char *properties : {"", "key=abcd", "key-file=/nonexistent/wzp.key"}) {
    GstElement *dec = gst_parse_launch((std::string("wzpdecrypt ") + properties).c_str(), nullptr);
    ASSERT_TRUE(dec);
    GstBus *bus = gst_bus_new();
    gst_element_set_bus(dec, bus);
    EXPECT_EQ(gst_element_set_state(dec, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE) << properties;
    GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    EXPECT_TRUE(error) << properties;
    if (error) gst_message_unref(error);
    gst_element_set_state(dec, GST_STATE_NULL);
    gst_element_set_bus(dec, nullptr);
    gst_object_unref(bus);
    gst_object_unref(dec);
  }
}

GstHarness *harness_with_session(const char *factory, const WzpCryptoSessionRef &session) {
  GstElement *element = gst_element_factory_make(factory, nullptr);
  GstContext *context = wzp_crypto_context_new(session);
  gst_element_set_context(element, context);
  gst_context_unref(context);
  GstHarness *h = gst_harness_new_with_element(element, "sink", "src");
  gst_object_unref(element);
  gst_harness_set_src_caps_str(h, "application/x-wzp");
  return h;
}

TEST(WzpCrypt, SharedSessionFromContextServesSeveralSenders) {
  TrafficSecret alice, bob;
  alice.fill(0xa1);
  bob.fill(0xb0);
  auto alice_session = std::make_shared<wzp::crypto::MediaSession>();
  alice_session->sender = std::make_unique<wzp::crypto::MediaSender>(alice);
  auto bob_session = std::make_shared<wzp::crypto::MediaSession>();
  bob_session->sender = std::make_unique<wzp::crypto::MediaSender>(bob, 4);
  auto room = std::make_shared<wzp::crypto::MediaSession>();
  room->receiver.add_sender(1, 0, alice);
  room->receiver.add_sender(2, 4, bob);
  room->receiver.route_stream(10, 1);
  room->receiver.route_stream(20, 2);

  GstHarness *from_alice = harness_with_session("wzpencrypt", alice_session);
  GstHarness *from_bob = harness_with_session("wzpencrypt", bob_session);
  GstHarness *dec = harness_with_session("wzpdecrypt", room);
  for (uint32_t seq = 1; seq <= 3; ++seq) {
    gst_harness_push(from_alice, to_buffer(make_packet(10, seq, 50)));
    gst_harness_push(from_bob, to_buffer(make_packet(20, seq, 50)));
    gst_harness_push(dec, gst_harness_pull(from_alice));
    gst_harness_push(dec, gst_harness_pull(from_bob));
    EXPECT_EQ(to_bytes(gst_harness_pull(dec)), make_packet(10, seq, 50));
    auto bobs = to_bytes(gst_harness_pull(dec));
    EXPECT_EQ(bobs[3], 4);  // Bob's epoch
    bobs[3] = 0;
    EXPECT_EQ(bobs, make_packet(20, seq, 50));
  }
  // Alice's packets claiming Bob's stream fail authentication.
  gst_harness_push(from_alice, to_buffer(make_packet(20, 9, 50)));
  gst_harness_push(dec, gst_harness_pull(from_alice));
  EXPECT_EQ(gst_harness_buffers_in_queue(dec), 0u);
  EXPECT_EQ(stat(dec, "opened"), 6u);
  EXPECT_GE(stat(dec, "auth-failed") + stat(dec, "unknown-epoch"), 1u);
  gst_harness_teardown(from_alice);
  gst_harness_teardown(from_bob);
  gst_harness_teardown(dec);
}

}  // namespace

namespace {

TEST(WzpCrypt, RekeysByRunningTimeAndWipesTheOldEpochAfterTheOverlap) {
  GstHarness *enc = harness(std::string("wzpencrypt rekey-time=1000000000 key=") + kKeyA);
  GstHarness *dec =
      harness(std::string("wzpdecrypt overlap-time=500000000 overlap-packets=100 key=") + kKeyA);
  std::vector<std::vector<uint8_t>> sealed;
  const GstClockTime times[] = {0, 500 * GST_MSECOND, 900 * GST_MSECOND, 1000 * GST_MSECOND,
                                1500 * GST_MSECOND};
  uint32_t seq = 0;
  for (GstClockTime t : times) {
    gst_harness_push(enc, to_buffer(make_packet(3, ++seq, 20), t));
    sealed.push_back(to_bytes(gst_harness_pull(enc)));
  }
  std::vector<uint8_t> epochs;
  for (const auto &p : sealed) epochs.push_back(p[3]);
  EXPECT_EQ(epochs, (std::vector<uint8_t>{0, 0, 0, 1, 1}));
  // Receiver: epoch 1 arrives at 1.0 s; a late epoch-0 packet at 1.2 s is
  // inside the overlap, another at 1.6 s is not.
  gst_harness_push(dec, to_buffer(sealed[0], 0));
  gst_harness_push(dec, to_buffer(sealed[3], 1000 * GST_MSECOND));
  gst_harness_push(dec, to_buffer(sealed[1], 1200 * GST_MSECOND));
  gst_harness_push(dec, to_buffer(sealed[2], 1600 * GST_MSECOND));
  EXPECT_EQ(gst_harness_buffers_in_queue(dec), 3u);
  EXPECT_EQ(stat(dec, "unknown-epoch"), 1u);
  gst_harness_teardown(enc);
  gst_harness_teardown(dec);
}

}  // namespace

namespace {

TEST(WzpCrypt, EncryptRefusesAReceiveOnlySession) {
  auto receive_only = std::make_shared<wzp::crypto::MediaSession>();
  GstElement *enc = gst_element_factory_make("wzpencrypt", nullptr);
  GstContext *context = wzp_crypto_context_new(receive_only);
  gst_element_set_context(enc, context);
  gst_context_unref(context);
  GstBus *bus = gst_bus_new();
  gst_element_set_bus(enc, bus);
  EXPECT_EQ(gst_element_set_state(enc, GST_STATE_PAUSED), GST_STATE_CHANGE_FAILURE);
  GstMessage *error = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  ASSERT_TRUE(error);
  GError *gerror = nullptr;
  gchar *debug = nullptr;
  gst_message_parse_error(error, &gerror, &debug);
  EXPECT_NE(std::string(debug).find("receive-only"), std::string::npos) << debug;
  g_error_free(gerror);
  g_free(debug);
  gst_message_unref(error);
  gst_element_set_state(enc, GST_STATE_NULL);
  gst_element_set_bus(enc, nullptr);
  gst_object_unref(bus);
  gst_object_unref(enc);
}

}  // namespace

namespace {

// What an application does: answer need-context from a sync bus handler.
GstBusSyncReply answer_need_context(GstBus *, GstMessage *message, gpointer user_data) {
  const gchar *type = nullptr;
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_NEED_CONTEXT &&
      gst_message_parse_context_type(message, &type) &&
      g_strcmp0(type, WZP_CRYPTO_CONTEXT_TYPE) == 0) {
    auto *session = static_cast<WzpCryptoSessionRef *>(user_data);
    GstContext *context = wzp_crypto_context_new(*session);
    gst_element_set_context(GST_ELEMENT(GST_MESSAGE_SRC(message)), context);
    gst_context_unref(context);
  }
  return GST_BUS_PASS;
}

TEST(WzpCrypt, PipelineGetsItsSessionThroughNeedContext) {
  TrafficSecret secret;
  secret.fill(0x77);
  WzpCryptoSessionRef session = std::make_shared<wzp::crypto::MediaSession>();
  session->sender = std::make_unique<wzp::crypto::MediaSender>(secret);
  session->receiver.add_sender(0, 0, secret);

  GstElement *pipeline = gst_parse_launch(
      "appsrc name=src format=time caps=application/x-wzp ! wzpencrypt ! wzpdecrypt ! "
      "appsink name=sink sync=false",
      nullptr);
  ASSERT_TRUE(pipeline);
  GstBus *bus = gst_element_get_bus(pipeline);
  gst_bus_set_sync_handler(bus, answer_need_context, &session, nullptr);
  ASSERT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  GstFlowReturn flow;
  for (uint32_t seq = 1; seq <= 3; ++seq) {
    g_signal_emit_by_name(src, "push-buffer", to_buffer(make_packet(1, seq, 30), seq * GST_MSECOND),
                          &flow);
  }
  g_signal_emit_by_name(src, "end-of-stream", &flow);
  for (uint32_t seq = 1; seq <= 3; ++seq) {
    GstSample *sample = nullptr;
    g_signal_emit_by_name(sink, "pull-sample", &sample);
    ASSERT_TRUE(sample) << "packet " << seq;
    EXPECT_EQ(to_bytes(gst_buffer_ref(gst_sample_get_buffer(sample))), make_packet(1, seq, 30));
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(src);
  gst_object_unref(sink);
  gst_bus_set_sync_handler(bus, nullptr, nullptr, nullptr);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

}  // namespace

namespace {

TEST(WzpCrypt, HeaderMetaFollowsThePacketAndItsEpoch) {
  GstHarness *enc = harness(std::string("wzpencrypt epoch=5 key=") + kKeyA);
  GstHarness *dec = harness(std::string("wzpdecrypt epoch=5 key=") + kKeyA);
  auto plain = make_packet(4, 1, 30);
  GstBuffer *in = to_buffer(plain);
  wzp::wire::PacketView view;
  ASSERT_EQ(wzp::wire::parse_full(plain, view), wzp::wire::WireError::kOk);
  wzp_buffer_set_header_meta(in, view.header, nullptr, wzp::wire::kFullHeaderSize);
  gst_harness_push(enc, in);
  GstBuffer *sealed = gst_harness_pull(enc);
  WzpHeaderMeta *meta = wzp_buffer_get_header_meta(sealed);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->header.key_epoch, 5);
  gst_harness_push(dec, sealed);
  GstBuffer *opened = gst_harness_pull(dec);
  meta = wzp_buffer_get_header_meta(opened);
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->header.stream_id, 4u);
  auto bytes = to_bytes(opened);
  EXPECT_EQ(bytes[3], 5);
  bytes[3] = 0;
  EXPECT_EQ(bytes, plain);
  gst_harness_teardown(enc);
  gst_harness_teardown(dec);
}

}  // namespace

namespace {

TEST(WzpCrypt, EncryptDropsPacketsWithNoRoomForTheTagOrNoHeader) {
  GstHarness *enc = harness(std::string("wzpencrypt key=") + kKeyA);
  size_t largest = wzp::wire::kMaxPacketSize - 16 - wzp::wire::kFullHeaderSize;
  gst_harness_push(enc, to_buffer(make_packet(1, 1, largest)));
  gst_harness_push(enc, to_buffer(make_packet(1, 2, largest + 1)));
  gst_harness_push(enc, to_buffer({0xff, 0xff, 0xff}));
  EXPECT_EQ(gst_harness_buffers_in_queue(enc), 1u);
  EXPECT_EQ(to_bytes(gst_harness_pull(enc)).size(), wzp::wire::kMaxPacketSize);
  EXPECT_EQ(stat(enc, "oversized"), 1u);
  EXPECT_EQ(stat(enc, "unparseable"), 1u);
  gst_harness_teardown(enc);
}

TEST(WzpCrypt, PaddedPacketsComeInSizeClassesAndOpenToTheSamePacket) {
  GstHarness *enc = harness(std::string("wzpencrypt padding=64 key=") + kKeyA);
  GstHarness *dec = harness(std::string("wzpdecrypt key=") + kKeyA);
  for (uint32_t seq = 1; seq <= 200; ++seq) {
    auto plain = make_packet(5, seq, seq);
    ASSERT_EQ(gst_harness_push(enc, to_buffer(plain)), GST_FLOW_OK);
    GstBuffer *sealed = gst_harness_pull(enc);
    auto sealed_bytes = to_bytes(gst_buffer_ref(sealed));
    EXPECT_EQ(sealed_bytes.size() % 64, 0u) << seq;
    EXPECT_GE(sealed_bytes.size(), plain.size() + wzp::crypto::kPaddingTrailerSize + 16);
    EXPECT_EQ(sealed_bytes[2] & 0x08, 0x08);  // the padded flag
    ASSERT_EQ(gst_harness_push(dec, sealed), GST_FLOW_OK);
    EXPECT_EQ(to_bytes(gst_harness_pull(dec)), plain) << seq;
  }
  EXPECT_EQ(stat(enc, "padded"), 200u);
  EXPECT_EQ(stat(dec, "opened"), 200u);
  EXPECT_EQ(stat(dec, "bad-padding"), 0u);
  // A packet that cannot take the trailer under 1500 bytes is dropped.
  size_t largest = wzp::wire::kMaxPacketSize - 16 - wzp::wire::kFullHeaderSize;
  gst_harness_push(enc, to_buffer(make_packet(5, 201, largest - 2)));
  gst_harness_push(enc, to_buffer(make_packet(5, 202, largest - 1)));
  EXPECT_EQ(gst_harness_buffers_in_queue(enc), 1u);
  EXPECT_EQ(to_bytes(gst_harness_pull(enc)).size(), wzp::wire::kMaxPacketSize);
  EXPECT_EQ(stat(enc, "oversized"), 1u);
  gst_harness_teardown(enc);
  gst_harness_teardown(dec);
}

// Sealed with the right key, padded flag set: only the padding is wrong.
std::vector<uint8_t> sealed_with_padding(uint32_t sequence, std::vector<uint8_t> padded_payload) {
  TrafficSecret secret;
  EXPECT_TRUE(wzp::crypto::parse_secret_hex(kKeyA, secret));
  wzp::crypto::MediaSender sender(secret);
  auto packet = make_packet(5, sequence, 0);
  EXPECT_TRUE(wzp::wire::set_padded(packet, true));
  packet.insert(packet.end(), padded_payload.begin(), padded_payload.end());
  packet.resize(packet.size() + 16);
  std::span<uint8_t> bytes(packet);
  auto payload = bytes.subspan(wzp::wire::kFullHeaderSize, padded_payload.size());
  EXPECT_EQ(sender
                .seal(5, sequence, 0, &packet[3], 0, bytes.first(wzp::wire::kFullHeaderSize),
                      payload, packet.data() + packet.size() - 16)
                .status,
            wzp::crypto::SealStatus::kOk);
  return packet;
}

TEST(WzpCrypt, MalformedPaddingIsACountedDrop) {
  GstHarness *dec = harness(std::string("wzpdecrypt key=") + kKeyA);
  gst_harness_push(dec, to_buffer(sealed_with_padding(1, {1, 2, 3, 0, 9})));  // past the start
  gst_harness_push(dec, to_buffer(sealed_with_padding(2, {1, 2, 7, 0, 2})));  // non-zero
  gst_harness_push(dec, to_buffer(sealed_with_padding(3, {1})));              // no trailer
  EXPECT_EQ(gst_harness_buffers_in_queue(dec), 0u);
  EXPECT_EQ(stat(dec, "bad-padding"), 3u);
  EXPECT_EQ(stat(dec, "opened"), 0u);
  gst_harness_push(dec, to_buffer(sealed_with_padding(4, {1, 2, 0, 0, 0, 2})));  // well formed
  auto opened = to_bytes(gst_harness_pull(dec));
  auto expected = make_packet(5, 4, 0);
  expected.insert(expected.end(), {1, 2});
  EXPECT_EQ(opened, expected);
  gst_harness_teardown(dec);
}

}  // namespace
