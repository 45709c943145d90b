// One member of a room through wzp-signald, without a main loop of its own:
// join, the key exchange of crypto::RoomMembership riding room_events and
// room_signals, our voice out on our sender id and every member's voice in
// through a RoomReceiver, both on the signaling connection's DATAGRAMs. The
// daemon's quality_directive sets our sender's tier. Its timers and bus
// watches run on the thread-default GLib main context, so one process can
// hold many members (`wzp room join` holds one, `wzp-web` one per browser).
#pragma once

#include <gst/gst.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "client/room_media.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/key_repeats.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/crypto/room_membership.hpp"
#include "libwzp/quality/tier.hpp"
#include "libwzp/signal/session.hpp"

namespace wzp::client {

class RoomQuality;

struct RoomMemberConfig {
  std::string name;           // shown here only; never sent
  crypto::RoomAccess access;  // from the invite, or an open room's
  std::string input_wav;      // empty: input_source, else the microphone
  std::string input_source;   // a description ending in raw audio (SenderConfig::source)
  std::string output_wav;     // empty: audio_sink
  std::string audio_sink = "autoaudiosink";   // the mix goes here: a description
  quality::Tier tier = quality::Tier::kGood;  // until the daemon says otherwise
  uint32_t padding = 0;                       // SenderConfig::padding
};

class RoomMember {
 public:
  struct Handlers {
    std::function<void(const std::string &text)> event;  // joins, keys, tiers, refusals
    std::function<void()> tick;                          // once a second, after the quality tick
    // The member is done: the mix ended after leave(), the daemon's
    // connection or a pipeline failed (error() says which), or leaving
    // took too long.
    std::function<void()> ended;
    // The connection to the daemon ended while we were in the room (its
    // node died, say): the owner may dial again, another node of the
    // service, and return the new session, which it keeps and which must
    // outlive the member; the old one is no longer touched. The member
    // then joins again on it with its pipelines as they are. Null (or no
    // handler): the member fails.
    std::function<signal::Session *(const std::string &why)> redial;
  };
  // Someone else the daemon announced in the room.
  struct Member {
    std::string fingerprint;
    std::string alias;       // the daemon's word; "" when it gave none
    bool proven = false;     // proved the room secret: it has our key
    bool heard = false;      // we hold its key
    uint32_t sender_id = 0;  // when heard
  };
  struct Status {
    size_t admitted = 0, unproven = 0, heard = 0, playing = 0;
    uint64_t datagrams_sent = 0, opened = 0, held_opened = 0, no_key = 0;
    double reported_loss = 0;  // in our last report to the relay
    std::string tier;
  };

  // Builds the media, joins (waiting up to 10 s for the daemon's answer)
  // and starts. Null with `error` set when any of that fails. `session`
  // and `identity` must outlive the member.
  static std::unique_ptr<RoomMember> join(signal::Session &session,
                                          const crypto::Identity &identity,
                                          const RoomMemberConfig &config, Handlers handlers,
                                          std::string &error);
  // Leaves if still in the room, and stops the media.
  ~RoomMember();
  RoomMember(const RoomMember &) = delete;
  RoomMember &operator=(const RoomMember &) = delete;

  // Leaves: the daemon hears it, our voice stops, the mix ends (a WAV is
  // finalized), then `ended` is called (at the latest after 5 s).
  void leave(const std::string &why);
  bool ending() const { return ending_; }
  const std::string &left_because() const { return left_because_; }
  // Why the member failed; "" when it did not.
  const std::string &error() const { return error_; }
  // The session in use: the last one `redial` returned, else join()'s.
  const signal::Session &session() const { return *session_; }
  // Times the member joined again on a redialed session.
  uint64_t rejoins() const { return rejoins_; }

  uint32_t sender_id() const { return membership_.my_sender_id(); }
  // The pipelines, owned here: the sender's source and the receiver's sink
  // are found in them by the names their descriptions gave.
  GstElement *sender() const { return sender_; }
  GstElement *receiver() const { return receiver_->pipeline(); }
  Status status() const;
  // The status line `wzp room join` prints every second.
  std::string status_line() const;
  std::vector<Member> members() const;
  std::vector<RoomReceiver::MemberPlayout> playout() const { return receiver_->playout(); }
  // One member's playout as the status line (brief) or the summary shows it.
  static std::string playout_text(const RoomReceiver::MemberPlayout &p, bool brief);
  // Sender id -> fingerprint of every member we hold a key of.
  const std::map<uint32_t, std::string> &heard() const { return heard_; }
  const std::vector<std::string> &tier_history() const { return tier_history_; }
  uint64_t signals_sent() const { return signals_sent_; }
  uint64_t signals_refused() const { return signals_refused_; }
  uint64_t cards_unproven() const { return cards_unproven_; }
  // Key datagrams (docs/rooms.md, "Keys that do not wait"): copies sent;
  // received: taken (a key's first copy, before its room signal), repeated
  // (the key we hold, again: later copies, replays) and refused (forged,
  // an older key, not for us, from a member not yet announced to us).
  uint64_t key_datagrams_sent() const { return key_datagrams_sent_; }
  uint64_t key_datagrams_taken() const { return key_datagrams_taken_; }
  uint64_t key_datagrams_repeated() const { return key_datagrams_repeated_; }
  uint64_t key_datagrams_refused() const { return key_datagrams_refused_; }

 private:
  RoomMember(signal::Session &session, const crypto::Identity &identity,
             const RoomMemberConfig &config, Handlers handlers);
  void event(const std::string &text);
  void set_tier(quality::Tier tier, const std::string &why);
  std::string member_text(const std::string &fingerprint) const;
  void apply(const crypto::MembershipStep &step, const std::string &from);
  void on_message(const signal::Message &message);
  // Takes the key datagrams that came and sends the copies due.
  void exchange_key_datagrams();
  void fail(const std::string &error);
  void end();
  // Sends our room_join on `session_` and waits for its answer.
  bool send_join(std::string &error);
  // Lost the daemon: redial, move the media and join again; false when
  // there is no new session or the join failed (`error` says why).
  bool rejoin(const std::string &why, std::string &error);
  // Where the session's datagrams and end go.
  void attach();
  static gboolean on_signal_poll(gpointer data);
  static gboolean on_tick(gpointer data);
  static gboolean on_bus(GstBus *, GstMessage *message, gpointer data);

  signal::Session *session_;
  RoomMemberConfig config_;
  Handlers handlers_;
  std::string name_, room_hash_;
  crypto::RoomMembership membership_;
  std::string me_;  // our fingerprint: the daemon announces us too
  std::shared_ptr<quic::Link> link_;
  std::unique_ptr<RoomReceiver> receiver_;
  GstElement *sender_ = nullptr;
  std::unique_ptr<RoomQuality> quality_;
  std::string tier_;
  std::vector<std::string> tier_history_;  // with the daemon's reasons
  double reported_loss_ = 0;
  std::map<uint32_t, std::string> heard_;       // sender id -> fingerprint, once readable
  std::map<std::string, std::string> aliases_;  // fingerprint -> alias, the daemon's word
  // When each member's join reached us (ours, for those already in the
  // room): `hearing` says how long its key took from there.
  std::map<std::string, std::chrono::steady_clock::time_point> joined_at_;
  std::vector<std::string> present_;  // announced and not yet left, in join order
  std::set<std::string> proven_;      // fingerprints whose card we accepted
  uint64_t signals_sent_ = 0, signals_refused_ = 0;
  uint64_t cards_unproven_ = 0;  // refused: no proof of the room secret
  uint64_t datagrams_sent_ = 0;  // our sender's count, kept when it stops
  uint64_t rejoins_ = 0;
  crypto::KeyRepeats key_repeats_;
  uint64_t key_datagrams_sent_ = 0, key_datagrams_taken_ = 0, key_datagrams_repeated_ = 0;
  uint64_t key_datagrams_refused_ = 0;
  std::string error_, left_because_;
  bool joined_ = false, ending_ = false, ended_ = false;
  guint tick_source_ = 0, poll_source_ = 0, sender_watch_ = 0, receiver_watch_ = 0;
  guint finish_source_ = 0;  // one-shot: zeroed when it fires
};

}  // namespace wzp::client
