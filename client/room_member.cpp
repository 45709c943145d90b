#include "client/room_member.hpp"

#include <algorithm>
#include <cstdio>

#include "client/call_media.hpp"
#include "client/room_quality.hpp"
#include "libwzp/signal/printable.hpp"
#include "libwzp/wire/key_datagram.hpp"
#include "plugins/gstwzp/wzpstats.h"

namespace wzp::client {

namespace stats = wzp::gst::stats;
namespace {

static_assert(wire::kKeyMessageSize == crypto::kSenderKeyMessageSize);

// How long the receiver gets to finish its file once we leave.
constexpr guint kFinishMs = 5000;

std::chrono::nanoseconds steady_now() {
  return std::chrono::steady_clock::now().time_since_epoch();
}

uint64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

guint watch_bus(GstElement *pipeline, GstBusFunc func, gpointer data) {
  GstBus *bus = gst_element_get_bus(pipeline);
  guint id = gst_bus_add_watch(bus, func, data);
  gst_object_unref(bus);
  return id;
}

}  // namespace

RoomMember::RoomMember(signal::Session &session, const crypto::Identity &identity,
                       const RoomMemberConfig &config, Handlers handlers)
    : session_(&session),
      config_(config),
      handlers_(std::move(handlers)),
      name_(signal::printable(config.name)),  // an invite is text from someone else
      // The daemon knows the room by an id derived from the secret: never
      // the name, never the secret.
      room_hash_(config.access.hex_id()),
      membership_(identity, config.access, unix_ms()),
      me_(crypto::format_fingerprint(identity.fingerprint())) {}

std::unique_ptr<RoomMember> RoomMember::join(signal::Session &session,
                                             const crypto::Identity &identity,
                                             const RoomMemberConfig &config, Handlers handlers,
                                             std::string &error) {
  std::unique_ptr<RoomMember> self(new RoomMember(session, identity, config, std::move(handlers)));
  // Media rides the signaling connection: its datagrams are the room's.
  self->link_ = session.media_link();
  self->attach();
  auto link = self->link_;

  RoomReceiverConfig rx;
  rx.output_wav = config.output_wav;
  rx.audio_sink = config.audio_sink;
  rx.link = link;
  self->receiver_ = RoomReceiver::build(rx, self->membership_.session(), error);
  if (!self->receiver_) return nullptr;
  SenderConfig tx;
  tx.input_wav = config.input_wav;
  tx.source = config.input_source;
  tx.link = link;
  tx.tier = &quality::profile(config.tier);
  tx.stream_id = self->membership_.my_sender_id();
  tx.padding = config.padding;
  self->sender_ = build_sender(tx, self->membership_.session(), error);
  if (self->sender_ == nullptr) return nullptr;
  self->quality_ =
      std::make_unique<RoomQuality>(self->sender_, self->receiver_->pipeline(), config.tier);
  self->set_tier(config.tier, "start");

  if (!self->send_join(error)) return nullptr;
  self->joined_ = true;
  self->sender_watch_ = watch_bus(self->sender_, on_bus, self.get());
  self->receiver_watch_ = watch_bus(self->receiver_->pipeline(), on_bus, self.get());
  if (gst_element_set_state(self->receiver_->pipeline(), GST_STATE_PLAYING) ==
          GST_STATE_CHANGE_FAILURE ||
      gst_element_set_state(self->sender_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    error = "the media pipelines did not start (see GST_DEBUG=wzp*:4)";
    return nullptr;  // the destructor leaves
  }
  self->tick_source_ = g_timeout_add_seconds(1, on_tick, self.get());
  self->poll_source_ = g_timeout_add(50, on_signal_poll, self.get());
  return self;
}

RoomMember::~RoomMember() {
  if (joined_ && !ending_) session_->send(signal::RoomLeave{room_hash_});
  for (guint source :
       {tick_source_, poll_source_, sender_watch_, receiver_watch_, finish_source_}) {
    if (source != 0) g_source_remove(source);
  }
  quality_.reset();
  if (sender_ != nullptr) {
    gst_element_set_state(sender_, GST_STATE_NULL);
    gst_object_unref(sender_);
  }
  receiver_.reset();
  session_->set_datagram_handler(nullptr);
  session_->set_close_handler(nullptr);
}

void RoomMember::attach() {
  auto link = link_;
  link->accept_key_datagrams();
  session_->set_datagram_handler([link](std::span<const uint8_t> d) { link->deliver(d); });
  // With a redial to come, the end of the connection is not the media's.
  if (handlers_.redial) {
    session_->set_close_handler(nullptr);
    return;
  }
  session_->set_close_handler([link](const std::string &why) { link->closed(why); });
  if (session_->ended()) link->closed(session_->end_reason());
}

bool RoomMember::send_join(std::string &error) {
  uint64_t join_id = session_->next_request_id();
  session_->send(signal::RoomJoin{room_hash_, {}, membership_.card()}, join_id);
  auto reply = session_->wait_reply(join_id, std::chrono::seconds(10));
  auto *refusal = reply ? std::get_if<signal::Error>(&reply->message) : nullptr;
  if (!reply || refusal != nullptr) {
    error = "cannot join '" + name_ +
            "': " + (refusal ? refusal->code + " " + refusal->message : "no answer");
    return false;
  }
  return true;
}

bool RoomMember::rejoin(const std::string &why, std::string &error) {
  const auto lost = std::chrono::steady_clock::now();
  session_->set_datagram_handler(nullptr);
  signal::Session *next = handlers_.redial(why);
  if (next == nullptr) {
    error = "lost the connection to the daemon: " + why + "; no other node answered";
    return false;
  }
  session_ = next;
  session_->rebind_media_link(*link_);
  attach();
  // Those who stayed saw us leave: the key exchange starts over, and copies
  // of the keys handed before it would only be refused as stale.
  membership_.rejoin();
  key_repeats_ = {};
  present_.clear();
  joined_at_.clear();
  if (!send_join(error)) return false;
  ++rejoins_;
  char text[96];
  std::snprintf(text, sizeof text, " %.1f s after the connection ended",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - lost).count());
  event("joined again" + std::string(text) + " (" + why + ")");
  return true;
}

void RoomMember::event(const std::string &text) {
  if (handlers_.event) handlers_.event(text);
}

void RoomMember::set_tier(quality::Tier tier, const std::string &why) {
  quality_->direct(tier);
  tier_ = std::string(quality::to_string(tier));
  tier_history_.push_back(tier_ + (why.empty() ? "" : " (" + why + ")"));
}

void RoomMember::end() {
  if (ended_) return;
  ended_ = true;
  if (handlers_.ended) handlers_.ended();
}

void RoomMember::fail(const std::string &error) {
  if (error_.empty()) error_ = error;
  if (!ending_) session_->send(signal::RoomLeave{room_hash_});
  ending_ = true;
  end();
}

void RoomMember::leave(const std::string &why) {
  if (ending_) return;
  ending_ = true;
  left_because_ = why;
  session_->send(signal::RoomLeave{room_hash_});
  GstStructure *sent = element_stats(sender_, "net");
  datagrams_sent_ = stats_u64(sent, stats::quic::kDatagramsSent);
  if (sent) gst_structure_free(sent);
  gst_element_set_state(sender_, GST_STATE_NULL);
  receiver_->finish();
  finish_source_ = g_timeout_add(
      kFinishMs,
      [](gpointer d) -> gboolean {
        auto *self = static_cast<RoomMember *>(d);
        self->finish_source_ = 0;
        self->end();
        return G_SOURCE_REMOVE;
      },
      this);
}

// A member as we show it: its fingerprint, and the alias the daemon gave it
// if it gave one (the daemon's word, unlike the fingerprint).
std::string RoomMember::member_text(const std::string &fingerprint) const {
  auto alias = aliases_.find(fingerprint);
  if (alias == aliases_.end()) return fingerprint;
  return fingerprint + " (@" + signal::printable(alias->second) + " says the daemon)";
}

void RoomMember::apply(const crypto::MembershipStep &step, const std::string &from) {
  for (const auto &out : step.send) {
    std::string to = out.to ? crypto::format_fingerprint(*out.to) : "";
    if (session_->send(signal::RoomSignal{room_hash_, "", to, out.payload})) ++signals_sent_;
    // A key also goes in datagrams, which nothing lost before them holds up.
    if (out.to && crypto::room_payload_kind(out.payload) == crypto::RoomPayload::kSenderKey) {
      key_repeats_.add(*out.to, out.payload, steady_now());
    }
  }
  for (const auto &who : step.admitted) {
    proven_.insert(crypto::format_fingerprint(who));
    event("member " + member_text(crypto::format_fingerprint(who)) + " proved the room secret");
  }
  for (uint32_t id : step.readable) {
    heard_[id] = from;
    std::string waited;
    if (auto joined = joined_at_.find(from); joined != joined_at_.end()) {
      char text[64];
      std::snprintf(
          text, sizeof text, ", its key %.1f s after its join",
          std::chrono::duration<double>(std::chrono::steady_clock::now() - joined->second).count());
      waited = text;
    }
    event("hearing " + from + waited);
  }
  for (uint32_t id : step.gone) receiver_->remove_participant(id);
  if (step.refused == crypto::RoomError::kNoRoomProof) {
    ++signals_refused_;
    ++cards_unproven_;
    event("relay announced " + member_text(from) +
          ", who could not prove the room secret: not sent our key");
  } else if (step.refused != crypto::RoomError::kOk) {
    ++signals_refused_;
    event("refused a room message from " + from + ": " + to_string(step.refused));
  }
}

void RoomMember::on_message(const signal::Message &message) {
  if (auto *room_event = std::get_if<signal::RoomEvent>(&message)) {
    if (room_event->room != room_hash_) return;
    auto who = crypto::parse_fingerprint(room_event->fingerprint);
    if (!who) return;
    auto present = std::find(present_.begin(), present_.end(), room_event->fingerprint);
    if (room_event->joined) {
      joined_at_.try_emplace(room_event->fingerprint, std::chrono::steady_clock::now());
      if (present == present_.end()) present_.push_back(room_event->fingerprint);
    } else if (present != present_.end()) {
      present_.erase(present);
      key_repeats_.forget(*who);
    }
    apply(membership_.on_event(*who, room_event->joined, room_event->public_key, room_event->card),
          room_event->fingerprint);
    event(std::string(room_event->joined ? "joined: " : "left: ") + room_event->fingerprint + " (" +
          std::to_string(room_event->participants) + " in the room)");
  } else if (auto *signal_message = std::get_if<signal::RoomSignal>(&message)) {
    auto from = crypto::parse_fingerprint(signal_message->from);
    if (signal_message->room != room_hash_ || !from) return;
    apply(membership_.on_signal(*from, signal_message->payload), signal_message->from);
  } else if (auto *list = std::get_if<signal::PresenceList>(&message)) {
    for (const auto &user : list->users) {
      if (user.alias) aliases_[user.fingerprint] = *user.alias;
    }
  } else if (auto *update = std::get_if<signal::PresenceUpdate>(&message)) {
    if (update->user.alias) aliases_[update->user.fingerprint] = *update->user.alias;
  } else if (auto *directive = std::get_if<signal::QualityDirective>(&message)) {
    if (directive->room != room_hash_ || ending_) return;
    set_tier(directive->tier, directive->reason);
    event("tier " + tier_ + " (" + directive->reason + ")");
  } else if (auto *error = std::get_if<signal::Error>(&message)) {
    event("daemon: " + error->code + " " + error->message);
  }
}

void RoomMember::exchange_key_datagrams() {
  for (const auto &message : link_->take_key_datagrams()) {
    crypto::MembershipStep step = membership_.on_key_datagram(message);
    // Refusals are counted, not shown: a copy may come before the relay's
    // announcement of its sender (its room signal follows it).
    if (step.refused != crypto::RoomError::kOk) {
      ++key_datagrams_refused_;
      continue;
    }
    ++(step.repeated ? key_datagrams_repeated_ : key_datagrams_taken_);
    apply(step, crypto::format_fingerprint(crypto::key_message_sender(message)));
  }
  for (const auto &message : key_repeats_.due(steady_now())) {
    if (link_->send_key_datagram(message)) ++key_datagrams_sent_;
  }
}

gboolean RoomMember::on_signal_poll(gpointer data) {
  auto *self = static_cast<RoomMember *>(data);
  while (auto received = self->session_->next(std::chrono::milliseconds(0))) {
    self->on_message(received->message);
  }
  if (!self->ending_) self->exchange_key_datagrams();
  if (self->session_->ended() && !self->ending_) {
    const std::string why = self->session_->end_reason();
    std::string error = "lost the connection to the daemon: " + why;
    if (self->handlers_.redial && self->rejoin(why, error)) return G_SOURCE_CONTINUE;
    self->link_->closed(why);
    self->error_ = error;
    self->leave("the connection to the daemon was lost");
  }
  return G_SOURCE_CONTINUE;
}

gboolean RoomMember::on_tick(gpointer data) {
  auto *self = static_cast<RoomMember *>(data);
  if (!self->ending_) {
    if (auto report = self->quality_->tick()) self->reported_loss_ = report->loss;
  }
  if (self->handlers_.tick) self->handlers_.tick();
  return G_SOURCE_CONTINUE;
}

gboolean RoomMember::on_bus(GstBus *, GstMessage *message, gpointer data) {
  auto *self = static_cast<RoomMember *>(data);
  bool from_sender = GST_MESSAGE_SRC(message) == GST_OBJECT(self->sender_);
  if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_ERROR) {
    GError *gerror = nullptr;
    gchar *detail = nullptr;
    gst_message_parse_error(message, &gerror, &detail);
    std::string error = std::string(from_sender ? "sender: " : "receiver: ") + gerror->message +
                        (detail != nullptr ? std::string(" (") + detail + ")" : "");
    g_error_free(gerror);
    g_free(detail);
    self->fail(error);
  } else if (GST_MESSAGE_TYPE(message) == GST_MESSAGE_EOS && !from_sender) {
    self->end();  // the mix ended: we left
  } else {
    follow_latency(message, {self->sender_, self->receiver_->pipeline()});
  }
  return G_SOURCE_CONTINUE;
}

RoomMember::Status RoomMember::status() const {
  Status s;
  GstStructure *sent = ending_ ? nullptr : element_stats(sender_, "net");
  s.datagrams_sent = ending_ ? datagrams_sent_ : stats_u64(sent, stats::quic::kDatagramsSent);
  GstStructure *opened = element_stats(receiver_->pipeline(), "crypt");
  // "Others" are members who proved the room secret; whom else the relay
  // announced is its word only.
  s.admitted = membership_.admitted_count();
  s.unproven = membership_.member_count() - s.admitted;
  s.heard = heard_.size();
  s.playing = static_cast<size_t>(receiver_->active_branches());
  s.opened = stats_u64(opened, stats::decrypt::kOpened);
  s.held_opened = stats_u64(opened, stats::decrypt::kHeldOpened);
  s.no_key = stats_u64(opened, stats::decrypt::kUnknownSender) +
             stats_u64(opened, stats::decrypt::kHeldExpired) +
             stats_u64(opened, stats::decrypt::kHeldEvicted);
  s.reported_loss = reported_loss_;
  s.tier = tier_;
  if (sent) gst_structure_free(sent);
  if (opened) gst_structure_free(opened);
  return s;
}

std::string RoomMember::playout_text(const RoomReceiver::MemberPlayout &p, bool brief) {
  char text[160];
  auto played = static_cast<unsigned long>(p.played);
  auto recovered = static_cast<unsigned long>(p.recovered);
  auto concealed = static_cast<unsigned long>(p.concealed);
  auto delay = static_cast<unsigned long>(p.delay_ms);
  if (brief) {
    std::snprintf(text, sizeof text, "%08x played %lu fec %lu concealed %lu delay %lu ms",
                  p.sender_id, played, recovered, concealed, delay);
  } else {
    std::snprintf(text, sizeof text,
                  "sender id %u: played %lu (FEC %lu), concealed %lu, delay %lu ms", p.sender_id,
                  played, recovered, concealed, delay);
  }
  return text;
}

std::string RoomMember::status_line() const {
  Status s = status();
  std::string announced =
      s.unproven == 0 ? "" : ", " + std::to_string(s.unproven) + " announced without a valid card";
  char line[400];
  std::snprintf(line, sizeof line,
                "room %s: %zu others%s, hearing %zu, %zu playing | sent %lu | opened %lu (held "
                "for a key %lu), no key %lu, loss %.0f %% | tier %s%s",
                name_.c_str(), s.admitted, announced.c_str(), s.heard, s.playing,
                static_cast<unsigned long>(s.datagrams_sent), static_cast<unsigned long>(s.opened),
                static_cast<unsigned long>(s.held_opened), static_cast<unsigned long>(s.no_key),
                100 * s.reported_loss, s.tier.c_str(),
                session_->over_tls() ? " | tls fallback" : "");
  std::string out = line;
  for (const auto &p : receiver_->playout()) out += " | " + playout_text(p, true);
  return out;
}

std::vector<RoomMember::Member> RoomMember::members() const {
  std::vector<Member> out;
  for (const auto &fingerprint : present_) {
    if (fingerprint == me_) continue;
    Member m;
    m.fingerprint = fingerprint;
    if (auto alias = aliases_.find(fingerprint); alias != aliases_.end()) m.alias = alias->second;
    m.proven = proven_.count(fingerprint) != 0;
    for (const auto &[id, heard] : heard_) {
      if (heard == fingerprint) {
        m.heard = true;
        m.sender_id = id;
      }
    }
    out.push_back(m);
  }
  return out;
}

}  // namespace wzp::client
