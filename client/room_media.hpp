// A room member's receiving pipeline (docs/rooms.md):
//
//   <packets> ! wzpdecrypt name=crypt ! wzpdemux name=demux
//     demux.src_<sender> ! wzpfecdec ! wzpjitterbuffer ! wzpvoicedec ! ... ! mix.   (one per
//     member)
//   audiotestsrc wave=silence ! mix.
//   audiomixer name=mix ! audio/x-raw,S16LE,48 kHz,mono ! <audio out>
//
// wzpdecrypt holds every member's sender key (RoomMembership::session()),
// so only authenticated packets can make a branch. A branch is built when
// wzpdemux announces a stream and torn down when the stream ends (the
// member left, or fell silent for stream-timeout). The silent input keeps
// the mix going, on time, while nobody talks or after everyone left.
//
// Our own voice goes out through build_sender (client/call_media.hpp) with
// stream id = our sender id and the room session.
#pragma once

#include <gst/gst.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "libwzp/crypto/session.hpp"
#include "libwzp/quic/link.hpp"

namespace wzp::client {

struct RoomReceiverConfig {
  // A gst-launch description whose last element puts out wzp packets, one
  // per buffer (e.g. "wzpquicsrc name=net" riding the signaling link).
  std::string packet_source = "wzpquicsrc name=net";
  // Offered to the source element named "net" (the signaling connection's
  // link: media rides it as DATAGRAMs).
  std::shared_ptr<quic::Link> link;
  // Where the mix goes: a WAV file, or else a description starting with its
  // first element.
  std::string output_wav;
  std::string audio_sink = "autoaudiosink";
};

class RoomReceiver {
 public:
  // What one member's branch played, from its wzpjitterbuffer (played,
  // concealed, current delay) and wzpfecdec (recovered); summed over the
  // branches that member had (a rejoin makes a new one).
  struct MemberPlayout {
    uint32_t sender_id = 0;
    uint64_t played = 0;     // frames played from data (received or FEC-rebuilt)
    uint64_t recovered = 0;  // of those, rebuilt by FEC
    uint64_t concealed = 0;  // frames concealed (nothing to play)
    uint64_t delay_ms = 0;   // current playout delay (last seen once the branch is gone)
    bool playing = false;    // a branch is up now
  };
  struct Counts {
    uint64_t branches_added = 0;
    uint64_t branches_removed = 0;
  };

  // Null with `error` set when the pipeline cannot be built.
  static std::unique_ptr<RoomReceiver> build(const RoomReceiverConfig &config,
                                             const std::shared_ptr<crypto::MediaSession> &session,
                                             std::string &error);
  ~RoomReceiver();
  RoomReceiver(const RoomReceiver &) = delete;
  RoomReceiver &operator=(const RoomReceiver &) = delete;

  // The pipeline (owned here), in NULL state after build. Named elements:
  // "crypt", "demux", "mix" and those of the packet source.
  GstElement *pipeline() const { return pipeline_; }
  // A member left (signaling): its stream ends and its branch goes at once
  // rather than after the demuxer's stream-timeout.
  void remove_participant(uint32_t sender_id);
  // Ends the room (leaving, Ctrl-C): every member's branch goes, then EOS
  // is sent so the mix, and a WAV file, end cleanly; wait for EOS on the bus.
  void finish();
  Counts counts() const;
  uint64_t active_branches() const;
  // Per member heard, by sender id.
  std::vector<MemberPlayout> playout() const;

 private:
  RoomReceiver() = default;
  static void on_stream_added(GstElement *demux, GstPad *pad, RoomReceiver *self);
  static void on_stream_removed(GstElement *demux, GstPad *pad, RoomReceiver *self);
  static void remove_branch(GstElement *branch, gpointer self);

  GstElement *pipeline_ = nullptr;
  GstElement *demux_ = nullptr;
  GstElement *mixer_ = nullptr;
  mutable std::mutex lock_;
  Counts counts_;
  std::map<GstElement *, uint32_t> branches_;   // live branch -> sender id
  std::map<uint32_t, MemberPlayout> finished_;  // summed over removed branches
  uint64_t removals_pending_ = 0;               // branch teardowns queued on GStreamer's pool
  std::condition_variable removals_done_;
};

}  // namespace wzp::client
