// The media pipelines of a call, built from our elements and stock ones:
//
//   sender:   <audio in> ! <encoder> ! wzpfecenc ! wzpencrypt ! wzpquicsink
//   receiver: wzpquicsrc ! wzpdecrypt ! wzpfecdec ! wzpjitterbuffer ! <decoder> ! <audio out>
//             (and a video branch after a tee: client/call_video.hpp)
//
// Audio comes from a WAV file or the microphone and goes to a WAV file or
// the speakers. Keys come from the call's handshake through a GstContext.
// The QUIC elements dial (sender) and listen (receiver) on their own, or
// both ride an existing connection when given a `link` (quic::Link::over),
// as a call through wzp-signald's relay room does.
#pragma once

#include <gst/gst.h>

#include <initializer_list>
#include <memory>
#include <string>

#include "client/call_video.hpp"
#include "libwzp/crypto/session.hpp"
#include "libwzp/quality/tier.hpp"
#include "libwzp/quic/link.hpp"

namespace wzp::client {

struct SenderConfig {
  std::string input_wav;  // empty: autoaudiosrc (or the tone)
  // Instead of all the others: a description whose last element puts out
  // raw audio (wzp-web's appsrc carrying a browser's voice).
  std::string source;
  uint32_t tone_seconds = 0;  // with no input_wav: a 440 Hz test tone this long
  // With no input_wav: send what the receiver with this echo_channel plays
  // (`wzp answer --echo`).
  std::string echo_channel;
  std::shared_ptr<quic::Link> link;  // when set, address/port/fingerprint are unused
  std::string address = "127.0.0.1";
  uint16_t port = 0;
  std::string server_fingerprint;
  const quality::TierProfile *tier = nullptr;
  uint32_t stream_id = 1;
  // wzpencrypt's padding: sealed packets padded to a multiple of this many
  // bytes (docs/crypto.md, "Packet sizes"); 0: none.
  uint32_t padding = 0;
};

struct ReceiverConfig {
  std::string output_wav;  // empty: `sink`
  // A description taking raw audio (wzp-web's appsink toward a browser);
  // empty: autoaudiosink.
  std::string sink;
  std::string echo_channel;  // instead of a file or the speakers: to a sender's echo_channel
  std::shared_ptr<quic::Link> link;  // when set, bind_address/port are unused
  std::string bind_address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port (read it with bound_port())
  // With video enabled the packets split by media type after wzpdecrypt
  // (a tee named "packets"); without, the audio decoder still takes audio
  // only, so a peer's video never reaches it.
  VideoOptions video;
};

// Both return a pipeline in NULL state, or null with `error` set. Named
// elements: "net", "crypt", "fec", on the sender "paced" (a file's audio
// leaving at its real-time pace), on the receiver "jitter" and, writing a
// file, "wav".
GstElement *build_sender(const SenderConfig &config,
                         const std::shared_ptr<crypto::MediaSession> &session, std::string &error);
GstElement *build_receiver(const ReceiverConfig &config,
                           const std::shared_ptr<crypto::MediaSession> &session,
                           std::string &error);

// gst_parse_launch with its error as text; null with `error` set.
GstElement *parse_pipeline(const std::string &description, std::string &error);
// Hands `pipeline` the call's keys and, when set, its link (GstContexts).
void set_call_contexts(GstElement *pipeline, const std::shared_ptr<crypto::MediaSession> &session,
                       const std::shared_ptr<quic::Link> &link);

// An ERROR message from either pipeline as "sender: <text>" or
// "receiver: <text>".
std::string describe_error(GstMessage *error, GstElement *sender);

// An element changed the latency it adds (wzpjitterbuffer moved its delay,
// or a branch came): the pipeline holding it, among `pipelines`, waits that
// long from now on, or its live sink or mixer drops frames as late that the
// jitter buffer counted played. True if `message` was such news.
bool follow_latency(GstMessage *message, std::initializer_list<GstElement *> pipelines);

// A named element's `stats` structure (owned by the caller), or null.
GstStructure *element_stats(GstElement *pipeline, const char *name);
uint64_t stats_u64(const GstStructure *stats, const char *field);
double stats_double(const GstStructure *stats, const char *field);

}  // namespace wzp::client
