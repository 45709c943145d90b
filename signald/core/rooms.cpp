#include "signald/core/rooms.hpp"

#include <glib.h>

#include <algorithm>

#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/member_card.hpp"
#include "libwzp/wire/header.hpp"
#include "libwzp/wire/key_datagram.hpp"
#include "libwzp/wire/keyframe_request.hpp"

namespace wzp::signald {

namespace {

// Forwards `datagram` to every one of `participants` but `from`, counted.
template <class Participants>
// Returns how many it forwarded.
uint64_t forward_to_others(Outbox &outbox, Counters &counters, const Participants &participants,
                           ConnectionId from, std::span<const uint8_t> datagram) {
  uint64_t forwarded = 0;
  for (const auto &p : participants) {
    if (p.conn == from) continue;
    outbox.forward(p.conn, datagram);
    ++forwarded;
    counters.bytes_forwarded += datagram.size();
  }
  counters.datagrams_forwarded += forwarded;
  return forwarded;
}

quality::Micros micros(SteadyTime now) {
  return std::chrono::duration_cast<quality::Micros>(now.time_since_epoch());
}

// Clients start at the controller's initial tier and hear of the room's only
// when it differs.
const quality::Tier kStartingTier = quality::room_controller_config().initial;
// A participant who stops sending says nothing about what the others
// receive: after the controller's silence grace it leaves the weakest link
// (before the controller's silence rule could step it down) until it
// reports again.
const quality::Micros kSilenceGrace = quality::ControllerConfig{}.silence_grace;

// A fingerprint's first four bytes (also the member's sender id): enough
// to tell the members of a room apart in a directive's reason.
std::string fingerprint_prefix(const std::string &fingerprint) {
  return fingerprint.substr(0, std::string_view("0123:4567").size());
}

// A room id's bytes (its 32 lowercase hex digits; see is_room_id).
RoomKey key_of(std::string_view id) {
  RoomKey key{};
  if (!base::from_hex(id, key)) key = {};
  return key;
}

}  // namespace

bool is_room_id(std::string_view text) {
  return text.size() == 2 * sizeof(RoomKey) && base::is_lower_hex(text);
}

Rooms::Room &Rooms::room_for(const std::string &id) {
  auto [it, created] = rooms_.try_emplace(id);
  if (created) {
    it->second.id = id;
    it->second.key = key_of(id);
  }
  return it->second;
}

Rooms::JoinResult Rooms::join(const std::string &room_id, ConnectionId conn,
                              const std::string &fingerprint, const signal::PublicKey &public_key,
                              const std::vector<std::string> &allow, const signal::Bytes &card,
                              SteadyTime now) {
  if (by_conn_.contains(conn)) return JoinResult::kAlreadyInRoom;
  // The joiner was a member behind a link: its node died and it signed in
  // here before this relay gave that node up. It is here now; the link's
  // copy leaves first, so the others take it for a new member.
  if (auto found = rooms_.find(room_id); found != rooms_.end() && found->second.federated()) {
    const auto &remote = found->second.remote;
    auto stale = std::find_if(remote.begin(), remote.end(),
                              [&](const RemoteMember &m) { return m.fingerprint == fingerprint; });
    if (stale != remote.end()) remote_left(stale->peer, room_id, fingerprint, true);
  }
  const bool created = !rooms_.contains(room_id);
  Room &room = room_for(room_id);
  if (created) {
    room.allow = allow;
    if (!room.allow.empty()) room.allow.push_back(fingerprint);
  } else if (!room.allow.empty() &&
             std::find(room.allow.begin(), room.allow.end(), fingerprint) == room.allow.end()) {
    return JoinResult::kNotAllowed;
  }
  if (room.size() >= kMaxRoomParticipants) return JoinResult::kFull;

  // The joiner learns who is here, on this relay and linked ones (to
  // distribute its sender key to them); everyone learns of the joiner.
  const uint32_t count = room.size() + 1;
  for (const auto &other : room.participants) {
    outbox_.send(conn, signal::RoomEvent{room.id, other.fingerprint, true, count, other.public_key,
                                         other.card});
  }
  for (const auto &other : room.remote) {
    outbox_.send(conn,
                 signal::RoomEvent{room.id, other.fingerprint, true, count, other.public_key});
  }
  // Alone, a member hears nothing and so reports nothing: its silence
  // counts from when there is someone to hear.
  if (room.size() == 1) {
    for (auto &p : room.participants) p.last_report = now;
  }
  const uint32_t quality_id = room.next_quality_id++;
  auto budget =
      budgets_
          .try_emplace(conn, Budget{quality::SenderPolicer(room.quality.room_tier(), micros(now))})
          .first;
  Participant &joiner = room.participants.emplace_back(
      Participant{conn, fingerprint, public_key, card, quality_id, now, &budget->second});
  joiner.loss_check = quality::LossCheck(
      relay_totals(room, joiner).value_or(quality::RelayView{.upstream = room.arrivals}));
  joiner.delivered_at_join = outbox_.datagrams_delivered(conn).value_or(quality::PacketCounts{});
  by_conn_[conn] = &room;
  for (const auto &p : room.participants) {
    // The joiner has its own card.
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, true, count, public_key,
                                           p.conn == conn ? signal::Bytes{} : card});
  }
  if (links_ != nullptr && room.federated()) {
    links_->member_changed(room.id, fingerprint, public_key, true);
  }
  // A joiner has reported nothing yet, so it counts at the starting tier
  // until its reports say otherwise.
  if (auto changed = room.quality.join(quality_id, micros(now))) {
    broadcast_directive(room, *changed, "participant joined " + fingerprint_prefix(fingerprint));
  } else if (room.quality.room_tier() != kStartingTier) {
    // Named as the others heard it, so the joiner's history says who too.
    outbox_.send(conn,
                 signal::QualityDirective{room.id, room.quality.room_tier(), change_reason(room)});
  }
  return JoinResult::kJoined;
}

void Rooms::remove(Room &room, ConnectionId conn) {
  auto it = std::find_if(room.participants.begin(), room.participants.end(),
                         [conn](const Participant &p) { return p.conn == conn; });
  if (it == room.participants.end()) return;
  const std::string fingerprint = it->fingerprint;
  const signal::PublicKey public_key = it->public_key;
  const auto changed = room.quality.leave(it->quality_id);
  room.participants.erase(it);
  by_conn_.erase(conn);
  const uint32_t count = room.size();
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, false, count});
  }
  if (links_ != nullptr && room.federated()) {
    links_->member_changed(room.id, fingerprint, public_key, false);
  }
  if (changed && !room.participants.empty()) {
    broadcast_directive(room, *changed, "weakest link left " + fingerprint_prefix(fingerprint));
  }
  erase_if_empty(room);
}

void Rooms::erase_if_empty(Room &room) {
  if (!room.participants.empty() || !room.remote.empty() || room.reserved) return;
  std::string id = room.id;  // erase() must not see a key inside the element
  rooms_.erase(id);
}

bool Rooms::leave(ConnectionId conn, const std::string &room_id) {
  auto it = by_conn_.find(conn);
  if (it == by_conn_.end() || it->second->id != room_id) return false;
  remove(*it->second, conn);
  return true;
}

void Rooms::leave_any(ConnectionId conn) {
  auto it = by_conn_.find(conn);
  if (it != by_conn_.end()) remove(*it->second, conn);
  auto budget = budgets_.find(conn);
  if (budget == budgets_.end()) return;
  if (budget->second.dropped > 0) {
    g_message("connection %" G_GUINT64_FORMAT ": %" G_GUINT64_FORMAT
              " room datagrams were over its budget",
              conn, budget->second.dropped);
  }
  budgets_.erase(budget);
}

std::optional<signal::Error> Rooms::relay_signal(ConnectionId from, signal::RoomSignal message) {
  auto it = by_conn_.find(from);
  if (it == by_conn_.end() || it->second->id != message.room) {
    return make_error("not_in_room", "not in that room");
  }
  const Room &room = *it->second;
  auto sender = std::find_if(room.participants.begin(), room.participants.end(),
                             [from](const Participant &p) { return p.conn == from; });
  message.from = sender->fingerprint;
  bool delivered = false;
  for (const auto &p : room.participants) {
    if (p.conn == from || (!message.to.empty() && p.fingerprint != message.to)) continue;
    outbox_.send(p.conn, message);
    delivered = true;
  }
  if (links_ != nullptr) {
    for (PeerId peer : room.linked_peers) {
      bool addressee_there =
          message.to.empty() ||
          std::any_of(room.remote.begin(), room.remote.end(), [&](const RemoteMember &m) {
            return m.peer == peer && m.fingerprint == message.to;
          });
      if (!addressee_there) continue;
      links_->relay_signal(peer, message);
      delivered = true;
    }
  }
  if (!delivered && !message.to.empty()) {
    return make_error("not_in_room", message.to + " is not in this room");
  }
  return std::nullopt;
}

void Rooms::reserve(const std::string &room_id, std::vector<std::string> allow) {
  Room &room = room_for(room_id);
  room.allow = std::move(allow);
  room.reserved = true;
}

void Rooms::release(const std::string &room_id) {
  auto it = rooms_.find(room_id);
  if (it == rooms_.end()) return;
  for (const auto &p : it->second.participants) by_conn_.erase(p.conn);
  rooms_.erase(it);
}

std::string Rooms::change_reason(const Room &room) const {
  // A step down is one member's doing; a step up the whole room's.
  const std::optional<uint32_t> cause = room.quality.cause();
  if (!cause) {
    const auto hold =
        std::chrono::duration_cast<std::chrono::seconds>(quality::RoomPolicy{}.up_hold);
    return "everyone better for " + std::to_string(hold.count()) + " s";
  }
  auto member = std::find_if(room.participants.begin(), room.participants.end(),
                             [&](const Participant &p) { return p.quality_id == *cause; });
  if (member != room.participants.end()) {
    return "weakest link " + fingerprint_prefix(member->fingerprint);
  }
  auto remote = std::find_if(room.remote.begin(), room.remote.end(),
                             [&](const RemoteMember &m) { return m.quality_id == *cause; });
  if (remote == room.remote.end()) return "weakest link";
  return "weakest link " + fingerprint_prefix(remote->fingerprint);
}

void Rooms::broadcast_directive(const Room &room, quality::Tier tier, const std::string &reason) {
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::QualityDirective{room.id, tier, reason});
  }
}

void Rooms::on_datagram(ConnectionId from, std::span<const uint8_t> datagram, SteadyTime now) {
  ++counters_.datagrams_received;
  auto it = by_conn_.find(from);
  if (it == by_conn_.end()) return counters_.drop(DropReason::kNotInRoom);
  Room &room = *it->second;
  // by_conn_ names only participants of their room.
  auto sender = std::find_if(room.participants.begin(), room.participants.end(),
                             [from](const Participant &p) { return p.conn == from; });
  Budget &budget = *sender->budget;
  // A keyframe request (docs/PROTOCOL.md) goes to the others as it is: it
  // names the video stream it wants, and the sender of that stream acts.
  // It spends the video budget, so requests cannot flood either.
  if (wire::parse_keyframe_request(datagram)) {
    if (!budget.policer.admit_video(datagram.size(), micros(now))) {
      return counters_.drop(DropReason::kOverBudget);
    }
    counters_.keyframe_requests_forwarded +=
        forward_to_others(outbox_, counters_, room.participants, from, datagram);
    return;
  }
  // A key datagram (docs/PROTOCOL.md) goes to its recipient only: the key
  // inside is sealed to that member, and the relay cannot open or forge it.
  // Members on linked relays get their keys as room signals only.
  if (auto message = wire::parse_key_datagram(datagram)) {
    if (!budget.policer.admit_video(datagram.size(), micros(now))) {
      return counters_.drop(DropReason::kOverBudget);
    }
    crypto::Fingerprint to{};
    std::copy_n(message->begin() + wire::kKeyMessageRecipientOffset, to.size(), to.begin());
    const std::string recipient = crypto::format_fingerprint(to);
    auto member = std::find_if(room.participants.begin(), room.participants.end(),
                               [&](const Participant &p) { return p.fingerprint == recipient; });
    if (member == room.participants.end() || member->conn == from) {
      return counters_.drop(DropReason::kNoRecipient);
    }
    outbox_.forward(member->conn, datagram);
    ++counters_.datagrams_forwarded;
    ++counters_.key_datagrams_forwarded;
    counters_.bytes_forwarded += datagram.size();
    return;
  }
  wire::PacketView view;
  if (auto dropped = check_routable(datagram, view)) return counters_.drop(*dropped);
  // Excess is dropped before it is read or forwarded: every other member's
  // link would carry it. Video has its own budget: it never spends audio's.
  const bool video = view.header.media_type == wire::MediaType::kVideo;
  const bool admitted =
      video ? budget.policer.admit_video(datagram.size(), micros(now))
            : budget.policer.admit(datagram.size(), room.quality.room_tier(), micros(now));
  // The arrivals follow one sequence numbering per member: its audio's.
  if (!video) {
    room.arrivals += sender->arrivals.on_packet(view.header.sequence, admitted);
    if (!admitted) ++sender->policed;
  }
  if (!admitted) {
    if (budget.dropped++ == 0) {  // once per connection: a flooder must not flood the log
      g_message("room %s: %s sends beyond the %s budget; its excess is dropped", room.id.c_str(),
                fingerprint_prefix(sender->fingerprint).c_str(),
                std::string(quality::to_string(budget.policer.budget_tier())).c_str());
    }
    return counters_.drop(DropReason::kOverBudget);
  }
  // The report describes what reaches the sender from the room, so the
  // worst receiver sets the tier everyone sends at. Its burst of copies is
  // one report: counted five times, one report made a streak of bad ones.
  const auto &h = view.header;
  if (view.report &&
      sender->reports.should_take(h.stream_id, h.timestamp, wire::media_clock_rate(h.media_type))) {
    sender->last_report = now;
    std::optional<quality::Tier> rejoined;
    if (!sender->counted) {
      // Back from silence: it counts again, from the starting tier.
      sender->counted = true;
      rejoined = room.quality.join(sender->quality_id, micros(now));
    }
    quality::PathObservation report = quality::PathObservation::from(*view.report);
    check_report(room, *sender, report);
    auto changed = room.quality.on_report(sender->quality_id, micros(now), report);
    if (changed || rejoined) {
      broadcast_directive(room, room.quality.room_tier(), change_reason(room));
    }
    // The other relays' directives count this member too.
    if (links_ != nullptr) {
      for (PeerId peer : room.linked_peers) {
        links_->report(peer, room.id, sender->fingerprint, report);
      }
    }
  }
  forward_to_others(outbox_, counters_, room.participants, from, datagram);
  // One copy per linked relay, which fans it out to its own members.
  if (links_ != nullptr) {
    for (PeerId peer : room.linked_peers) {
      links_->forward(peer, room.key, datagram);
      ++counters_.datagrams_forwarded;
      counters_.bytes_forwarded += datagram.size();
    }
  }
}

std::optional<quality::RelayView> Rooms::relay_totals(const Room &room,
                                                      const Participant &member) const {
  const auto delivered = outbox_.datagrams_delivered(member.conn);
  if (!delivered) return std::nullopt;
  return quality::RelayView{room.arrivals - member.arrivals.totals(), *delivered};
}

void Rooms::check_report(const Room &room, Participant &member, quality::PathObservation &report) {
  const quality::PathObservation reported = report;
  const auto delay = outbox_.leg_delay(member.conn);
  bool implausible = delay && quality::clamp_delay(report, *delay);
  // Without the relay's counts the loss stands.
  if (const auto totals = relay_totals(room, member)) {
    implausible = member.loss_check.clamp(report, *totals) || implausible;
  }
  if (!implausible) return;
  ++counters_.implausible_reports;
  if (member.implausible_reports++ == 0) {  // once per member: a liar must not flood the log
    g_message(
        "room %s: %s reports %.0f %% loss, rtt %u ms, jitter %u ms, more than the relay saw "
        "on its way; taken as %.0f %%, %u ms, %u ms",
        room.id.c_str(), fingerprint_prefix(member.fingerprint).c_str(), 100 * reported.loss,
        reported.rtt_ms, reported.jitter_ms, 100 * report.loss, report.rtt_ms, report.jitter_ms);
  }
}

std::optional<DropReason> Rooms::check_routable(std::span<const uint8_t> datagram,
                                                wire::PacketView &view) const {
  if (datagram.size() > wire::kMaxPacketSize) return DropReason::kOversized;
  auto kind = wire::peek_kind(datagram);
  if (!kind) return DropReason::kBadHeader;
  // Rooms route whole packets with full headers only (docs/PROTOCOL.md):
  // a mini header cannot be checked without its stream's context.
  if (*kind != wire::PacketKind::kFull) return DropReason::kNotFullHeader;
  if (wire::parse_full(datagram, view) != wire::WireError::kOk) return DropReason::kBadHeader;
  return std::nullopt;
}

void Rooms::tick(SteadyTime now) {
  for (auto &[id, room] : rooms_) {
    std::optional<std::string> silent;  // the member whose silence raised the room
    for (auto &p : room.participants) {
      if (p.counted && room.size() > 1 && now - p.last_report > kSilenceGrace) {
        p.counted = false;
        if (room.quality.leave(p.quality_id)) silent = fingerprint_prefix(p.fingerprint);
      }
    }
    for (auto &m : room.remote) {
      if (m.counted && now - m.last_report > kSilenceGrace) {
        m.counted = false;
        if (room.quality.leave(m.quality_id)) silent = fingerprint_prefix(m.fingerprint);
      }
    }
    if (silent) {
      broadcast_directive(room, room.quality.room_tier(), "weakest link silent " + *silent);
    }
    // A newcomer's leg, before its reports can say what it is.
    for (const auto &p : room.participants) {
      if (!p.counted) continue;
      const quality::PacketCounts arrivals = p.arrivals.totals();
      quality::LegCounts leg{.up = {arrivals.sent, arrivals.arrived + p.policed}};
      if (auto delivered = outbox_.datagrams_delivered(p.conn)) {
        leg.down = *delivered - p.delivered_at_join;
      }
      if (auto tier = room.quality.on_leg(p.quality_id, micros(now), leg)) {
        broadcast_directive(room, *tier, change_reason(room) + " (its leg)");
      }
    }
    if (auto tier = room.quality.tick(micros(now))) {
      broadcast_directive(room, *tier, change_reason(room));
    }
  }
}

void Rooms::relink(Room &room) {
  room.linked_peers.clear();
  for (const auto &m : room.remote) {
    if (std::find(room.linked_peers.begin(), room.linked_peers.end(), m.peer) ==
        room.linked_peers.end()) {
      room.linked_peers.push_back(m.peer);
    }
  }
}

bool Rooms::remote_joined(PeerId peer, const std::string &room_id, const std::string &fingerprint,
                          const signal::PublicKey &public_key) {
  if (!is_room_id(room_id)) return false;
  // In a full mesh (a cluster) nothing comes round a loop: a member known
  // through another link moved there (its node died, it signed in to
  // another) before this relay gave its old node up.
  if (auto found = rooms_.find(room_id);
      found != rooms_.end() && links_ != nullptr && !links_->passes_on()) {
    const auto &remote = found->second.remote;
    auto moved = std::find_if(remote.begin(), remote.end(), [&](const RemoteMember &m) {
      return m.fingerprint == fingerprint && m.peer != peer;
    });
    if (moved != remote.end()) remote_left(moved->peer, room_id, fingerprint, true);
  }
  Room &room = room_for(room_id);
  // Known through a link already, or a member here: an announcement that
  // came round a loop of links, or a forgery.
  bool known = std::any_of(room.remote.begin(), room.remote.end(),
                           [&](const RemoteMember &m) { return m.fingerprint == fingerprint; }) ||
               std::any_of(room.participants.begin(), room.participants.end(),
                           [&](const Participant &p) { return p.fingerprint == fingerprint; });
  if (!room.federated() || known || room.size() >= kMaxRoomParticipants) {
    erase_if_empty(room);
    return false;
  }
  const auto parsed = crypto::parse_fingerprint(fingerprint);
  RemoteMember &member = room.remote.emplace_back(
      RemoteMember{peer, fingerprint, public_key, parsed ? crypto::sender_id_of(*parsed) : 0});
  member.quality_id = room.next_quality_id++;
  relink(room);
  const uint32_t count = room.size();
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, true, count, public_key});
  }
  return true;
}

bool Rooms::remote_left(PeerId peer, const std::string &room_id, const std::string &fingerprint,
                        bool withdrawal) {
  auto found = rooms_.find(room_id);
  if (found == rooms_.end() || !found->second.federated()) return false;
  Room &room = found->second;
  auto it = std::find_if(room.remote.begin(), room.remote.end(), [&](const RemoteMember &m) {
    return m.fingerprint == fingerprint && (!withdrawal || m.peer == peer);
  });
  if (it == room.remote.end()) return false;
  const auto changed = it->counted ? room.quality.leave(it->quality_id) : std::nullopt;
  room.remote.erase(it);
  relink(room);
  const uint32_t count = room.size();
  for (const auto &p : room.participants) {
    outbox_.send(p.conn, signal::RoomEvent{room.id, fingerprint, false, count});
  }
  if (changed && !room.participants.empty()) {
    broadcast_directive(room, *changed, "weakest link left " + fingerprint_prefix(fingerprint));
  }
  erase_if_empty(room);
  return true;
}

void Rooms::peer_lost(PeerId peer) {
  // A call's room goes with its call (Calls::on_peer_lost).
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto &[id, room] : rooms_) {
    if (!room.federated()) continue;
    for (const auto &m : room.remote) {
      if (m.peer == peer) gone.emplace_back(id, m.fingerprint);
    }
  }
  for (const auto &[room, fingerprint] : gone) {
    remote_left(peer, room, fingerprint, true);
    // Relays that know the member through this one hear that it is gone.
    if (links_ != nullptr) links_->member_unreachable(room, fingerprint);
  }
}

void Rooms::on_remote_datagram(PeerId peer, const RoomKey &key, std::span<const uint8_t> datagram) {
  ++counters_.datagrams_received;
  char id[2 * sizeof(RoomKey) + 1];
  auto found = rooms_.find(base::to_hex(key, id));
  if (found == rooms_.end() ||
      std::find(found->second.linked_peers.begin(), found->second.linked_peers.end(), peer) ==
          found->second.linked_peers.end()) {
    return counters_.drop(DropReason::kNotInRoom);
  }
  wire::PacketView view;
  if (auto dropped = check_routable(datagram, view)) return counters_.drop(*dropped);
  Room &room = found->second;
  auto sender = std::find_if(room.remote.begin(), room.remote.end(), [&](const RemoteMember &m) {
    return m.sender_id == view.header.stream_id;
  });
  // A copy of a member's media that came another way than its route, round
  // a loop of links: the copy on its route is the one that counts.
  if (sender != room.remote.end() && sender->peer != peer) {
    return counters_.drop(DropReason::kOffRoute);
  }
  if (sender != room.remote.end())
    room.arrivals += sender->arrivals.on_packet(view.header.sequence, true);
  for (const auto &p : room.participants) {
    outbox_.forward(p.conn, datagram);
    ++counters_.datagrams_forwarded;
    counters_.bytes_forwarded += datagram.size();
  }
  // On to the room's other links (multi-hop): a call's room is a path, an
  // open room's media goes on only from a member whose route this is.
  if (links_ == nullptr ||
      (!room.reserved && (sender == room.remote.end() || !links_->passes_on())))
    return;
  for (PeerId other : room.linked_peers) {
    if (other == peer) continue;
    links_->forward(other, room.key, datagram);
    ++counters_.datagrams_forwarded;
    counters_.bytes_forwarded += datagram.size();
  }
}

bool Rooms::on_remote_signal(PeerId peer, const signal::RoomSignal &message) {
  auto found = rooms_.find(message.room);
  if (found == rooms_.end()) return false;
  const Room &room = found->second;
  bool sender_known = std::any_of(room.remote.begin(), room.remote.end(), [&](const auto &m) {
    return m.peer == peer && m.fingerprint == message.from;
  });
  if (!sender_known) return false;
  for (const auto &p : room.participants) {
    if (message.to.empty() || p.fingerprint == message.to) outbox_.send(p.conn, message);
  }
  if (links_ == nullptr || !links_->passes_on()) return true;
  for (PeerId other : room.linked_peers) {
    if (other == peer) continue;
    bool addressee_there =
        message.to.empty() ||
        std::any_of(room.remote.begin(), room.remote.end(), [&](const RemoteMember &m) {
          return m.peer == other && m.fingerprint == message.to;
        });
    if (addressee_there) links_->relay_signal(other, message);
  }
  return true;
}

bool Rooms::on_remote_report(PeerId peer, const std::string &room_id,
                             const std::string &fingerprint, const quality::PathObservation &report,
                             SteadyTime now) {
  auto found = rooms_.find(room_id);
  if (found == rooms_.end()) return false;
  Room &room = found->second;
  auto member = std::find_if(room.remote.begin(), room.remote.end(), [&](const RemoteMember &m) {
    return m.peer == peer && m.fingerprint == fingerprint;
  });
  if (member == room.remote.end()) return false;
  member->last_report = now;
  std::optional<quality::Tier> rejoined;
  if (!member->counted) {
    member->counted = true;
    rejoined = room.quality.join(member->quality_id, micros(now));
  }
  // Its own relay checked it against the member's leg (check_report).
  auto changed = room.quality.on_report(member->quality_id, micros(now), report);
  if (changed || rejoined) {
    broadcast_directive(room, room.quality.room_tier(), change_reason(room));
  }
  if (links_ != nullptr && links_->passes_on()) {
    for (PeerId other : room.linked_peers) {
      if (other != peer) links_->report(other, room.id, fingerprint, report);
    }
  }
  return true;
}

bool Rooms::reserve_linked(const std::string &room_id, std::vector<std::string> allow,
                           const std::vector<RemoteParty> &remote) {
  if (!is_room_id(room_id) || rooms_.contains(room_id)) return false;
  Room &room = room_for(room_id);
  room.allow = std::move(allow);
  room.reserved = true;
  for (const auto &party : remote) {
    const auto parsed = crypto::parse_fingerprint(party.fingerprint);
    RemoteMember &member =
        room.remote.emplace_back(RemoteMember{party.peer, party.fingerprint, party.public_key,
                                              parsed ? crypto::sender_id_of(*parsed) : 0});
    member.quality_id = room.next_quality_id++;
  }
  relink(room);
  return true;
}

std::optional<Rooms::Member> Rooms::federated_member(const std::string &room_id,
                                                     const std::string &fingerprint) const {
  auto found = rooms_.find(room_id);
  if (found == rooms_.end() || !found->second.federated()) return std::nullopt;
  const Room &room = found->second;
  for (const auto &p : room.participants) {
    if (p.fingerprint == fingerprint) return Member{room_id, fingerprint, p.public_key};
  }
  for (const auto &m : room.remote) {
    if (m.fingerprint == fingerprint) return Member{room_id, fingerprint, m.public_key, m.peer};
  }
  return std::nullopt;
}

std::vector<Rooms::Member> Rooms::federated_members() const {
  std::vector<Member> members;
  for (const auto &[id, room] : rooms_) {
    if (!room.federated()) continue;
    for (const auto &p : room.participants) members.push_back({id, p.fingerprint, p.public_key});
    for (const auto &m : room.remote) members.push_back({id, m.fingerprint, m.public_key, m.peer});
  }
  return members;
}

}  // namespace wzp::signald
