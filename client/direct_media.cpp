#include "client/direct_media.hpp"

#include <cstdio>
#include <utility>

#include "libwzp/nat/address.hpp"
#include "libwzp/nat/interfaces.hpp"
#include "libwzp/quic/tls.hpp"

namespace wzp::client {
namespace {

using namespace std::chrono_literals;

// Checks per round and connections accepted per call: a signal list holds
// 16 candidates, the first 8 are where a peer reachable at all is found.
constexpr size_t kMaxChecks = 8;
// RFC 8445's Ta: one new check every 20 ms at most (a tick is 50 ms, so one
// per tick).
constexpr auto kCheckPacing = 20ms;
// The callee's NAT-opening datagrams, one per caller candidate this often,
// for as long as a round of checks lasts (DirectPathConfig::check_budget).
constexpr auto kPunchInterval = 100ms;
// Consent: each side says something on the direct connection this often,
// so one that hears nothing for DirectPathConfig::consent_doubt worries.
constexpr auto kPingInterval = 100ms;
constexpr std::string_view kHello = "hello ";
constexpr std::string_view kOk = "ok";
constexpr std::string_view kPing = "ping";

std::span<const uint8_t> bytes_of(std::string_view text) {
  return {reinterpret_cast<const uint8_t *>(text.data()), text.size()};
}

}  // namespace

// One direct connection of the call: a check the caller dialed, or one the
// callee accepted.
struct DirectMedia::Check {
  std::shared_ptr<quic::Connection> connection;
  // The callee's address the caller dialed (the callee learns it from the
  // caller's hello). Set before `ready`.
  std::string candidate;
  std::atomic<bool> ready{false};   // the hello was answered (caller) or received (callee)
  std::atomic<bool> chosen{false};  // the agreed direct path: what it hears is consent
  bool hello_sent = false;          // caller, main loop
};

struct DirectMedia::Shared {
  std::shared_ptr<quic::Link> link;
  std::string call_id;
  std::atomic<int64_t> heard_ns{0};  // steady clock, when the chosen path last spoke
  std::mutex mutex;                  // never held while calling into the endpoint
  std::vector<std::shared_ptr<Check>> checks;
  std::shared_ptr<Check> chosen;

  void heard(const Check &check) {
    if (check.chosen) heard_ns = Clock::now().time_since_epoch().count();
  }
};

namespace {

// The handlers of a direct connection, on the endpoint's I/O thread. A
// datagram counts only once the connection proved it belongs to this call
// (the call id, which only the two parties and the daemon know, in the
// caller's hello); the media inside is sealed end to end either way.
template <typename Shared, typename Check>
quic::ConnectionHandlers direct_handlers(const std::shared_ptr<Shared> &shared,
                                         const std::shared_ptr<Check> &check, bool caller) {
  quic::ConnectionHandlers handlers;
  std::weak_ptr<Shared> ws = shared;
  std::weak_ptr<Check> wc = check;
  handlers.on_message = [ws, wc, caller](std::span<const uint8_t> bytes) {
    auto s = ws.lock();
    auto c = wc.lock();
    if (!s || !c) return;
    std::string_view text(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    if (c->ready) {
      s->heard(*c);
    } else if (caller) {
      if (text == kOk) c->ready = true;
    } else {
      const std::string expected = std::string(kHello) + s->call_id + " ";
      std::string_view candidate = text.substr(std::min(text.size(), expected.size()));
      if (text.starts_with(expected) && !candidate.empty() && candidate.size() <= 64) {
        {
          std::lock_guard lock(s->mutex);
          c->candidate = std::string(candidate);
        }
        c->ready = true;
        c->connection->send_message(bytes_of(kOk));
      } else {
        c->connection->close(0, "not this call");
      }
    }
  };
  handlers.on_datagram = [ws, wc](std::span<const uint8_t> datagram) {
    auto s = ws.lock();
    auto c = wc.lock();
    if (!s || !c || !c->ready) return;
    s->link->deliver(datagram);
    s->heard(*c);
  };
  return handlers;
}

}  // namespace

DirectMedia::DirectMedia(signal::Session &session, EstablishedCall &call, bool caller,
                         std::shared_ptr<quic::Link> link)
    : session_(session),
      call_(call),
      caller_(caller),
      shared_(std::make_shared<Shared>()),
      decision_(caller),
      started_(Clock::now()),
      host_watch_(started_) {
  shared_->link = std::move(link);
  shared_->call_id = call.call_id;
  if (caller_) return;  // the callee's offer says when to start
  std::weak_ptr<Shared> ws = shared_;
  session_.set_accept_handler([ws](const std::shared_ptr<quic::Connection> &connection) {
    auto s = ws.lock();
    auto check = std::make_shared<Check>();
    check->connection = connection;
    if (s) {
      std::lock_guard lock(s->mutex);
      // A dial's raced handshakes (quic::EndpointConfig) arrive as
      // connections of their own; the ones it dropped are closed.
      std::erase_if(s->checks, [](const auto &c) {
        return c->connection->state() == quic::Connection::State::kClosed;
      });
      if (s->checks.size() < kMaxChecks) {
        s->checks.push_back(check);
        return direct_handlers(s, check, false);
      }
    }
    quic::ConnectionHandlers refuse;
    std::weak_ptr<quic::Connection> weak = connection;
    refuse.on_established = [weak] {
      if (auto c = weak.lock()) c->close(0, "too many direct connections");
    };
    return refuse;
  });
  // Open our NAT towards the caller before its checks arrive, and tell it
  // where to dial and whom to pin.
  punch_until_ = started_ + nat::DirectPathConfig{}.check_budget;
  session_.send(signal::CallPath{call_.call_id, signal::PathStep::kOffer, "", "",
                                 quic::normalize_fingerprint(session_.certificate())});
}

DirectMedia::~DirectMedia() {
  if (!caller_) session_.set_accept_handler(nullptr);
  shared_->link->set_second(nullptr, false);
  std::vector<std::shared_ptr<Check>> all;
  {
    std::lock_guard lock(shared_->mutex);
    all = std::exchange(shared_->checks, {});
    if (shared_->chosen) all.push_back(std::exchange(shared_->chosen, nullptr));
  }
  for (auto &check : all) {
    if (check->connection) check->connection->close(0, "call ended");
  }
}

quic::ConnectionHandlers DirectMedia::handlers(const std::shared_ptr<Check> &check) {
  return direct_handlers(shared_, check, caller_);
}

void DirectMedia::on_path(const signal::CallPath &path) {
  if (path.call_id != call_.call_id) return;
  const auto now = Clock::now();
  using Step = signal::PathStep;
  if (path.step == Step::kRelay) {
    if (decision_.lost(now) == nat::DirectPath::Action::kFallBack) {
      fall_back(now, "the peer fell back", false);
    }
    return;
  }
  if (caller_) {
    if (path.step == Step::kOffer && path.certificate.size() == 64) {
      certificate_ = path.certificate;
      // Without a candidate yet, the first round waits for call_candidates.
      if (!call_.peer_candidates.accepted.empty()) decision_.offered(now);
    } else if (path.step == Step::kUse && decision_.state() == nat::DirectPath::State::kAgreeing) {
      std::shared_ptr<Check> chosen;
      {
        std::lock_guard lock(shared_->mutex);
        chosen = shared_->chosen;
      }
      if (!chosen || chosen->candidate != path.candidate) return;
      label_ = path.label.starts_with("direct") ? path.label : "direct";
      shared_->heard_ns = now.time_since_epoch().count();
      decision_.agreed(now);
      record(now, label_, "agreed");
    }
    return;
  }
  if (path.step == Step::kCheck) {
    punch_until_ = now + nat::DirectPathConfig{}.check_budget;
    next_punch_ = now;
  } else if (path.step == Step::kNominate) {
    std::shared_ptr<Check> chosen;
    {
      std::lock_guard lock(shared_->mutex);
      for (const auto &check : shared_->checks) {
        if (check->ready && check->candidate == path.candidate &&
            check->connection->state() == quic::Connection::State::kEstablished) {
          chosen = check;
        }
      }
    }
    if (!chosen) {
      session_.send(signal::CallPath{call_.call_id, Step::kRelay, path.candidate, "", ""});
      return;
    }
    close_checks(chosen);
    {
      std::lock_guard lock(shared_->mutex);
      shared_->chosen = chosen;
    }
    chosen->chosen = true;
    label_ = label_for(path.candidate);
    session_.send(signal::CallPath{call_.call_id, Step::kUse, path.candidate, label_, ""});
    shared_->heard_ns = now.time_since_epoch().count();
    decision_.agreed(now);
    record(now, label_, "agreed");
    punch_until_ = now;
  }
}

void DirectMedia::on_candidates(const signal::CallCandidates &late) {
  if (late.call_id != call_.call_id) return;
  const size_t before = call_.peer_candidates.accepted.size();
  if (nat::add_remote_candidates(call_.peer_candidates, late.candidates, call_.peer_policy) == 0 ||
      !caller_) {
    return;  // the callee's punches go to every accepted candidate
  }
  const auto now = Clock::now();
  if (decision_.state() == nat::DirectPath::State::kChecking) {
    for (size_t i = before; i < call_.peer_candidates.accepted.size(); ++i) {
      if (round_candidates_ == kMaxChecks) break;
      ++round_candidates_;
      to_dial_.push_back(call_.peer_candidates.accepted[i].address.to_string());
    }
  }
  if (certificate_.empty()) return;  // the callee has not offered yet
  decision_.offered(now);
  decision_.more_candidates(now);
}

void DirectMedia::tick() {
  const auto now = Clock::now();
  if (host_watch_.due(now)) offer_new_hosts(now);
  if (int64_t heard = shared_->heard_ns) {
    decision_.heard(Clock::time_point(Clock::duration(heard)));
  }
  using State = nat::DirectPath::State;
  using Action = nat::DirectPath::Action;
  std::shared_ptr<Check> chosen;
  std::vector<std::shared_ptr<Check>> checks;
  {
    std::lock_guard lock(shared_->mutex);
    chosen = shared_->chosen;
    checks = shared_->checks;
  }
  // A connection that failed is a lost path. One the peer closed cleanly
  // is not news: it is ending the call (its hangup follows through the
  // daemon) or falling back (its call_path says so); until then our media
  // leaves on the relay (quic::Link skips a closed second connection).
  if (chosen && chosen->connection->state() == quic::Connection::State::kClosed &&
      !chosen->connection->error().empty() && decision_.lost(now) == Action::kFallBack) {
    fall_back(now, "the direct connection failed", true);
    chosen = nullptr;
  }
  if (caller_ && decision_.state() == State::kChecking) {
    if (!to_dial_.empty() && now >= next_dial_) {
      const std::string candidate = to_dial_.front();
      to_dial_.erase(to_dial_.begin());
      next_dial_ = now + kCheckPacing;
      auto address = nat::TransportAddress::parse(candidate);
      auto check = std::make_shared<Check>();
      check->candidate = candidate;
      std::string error;
      check->connection = address ? session_.dial_direct(address->ip.to_string(), address->port,
                                                         handlers(check), certificate_, error)
                                  : nullptr;
      if (check->connection) {
        ++dialed_;
        std::lock_guard lock(shared_->mutex);
        shared_->checks.push_back(check);
      }
    }
    std::shared_ptr<Check> answered;
    for (const auto &check : checks) {
      if (!check->hello_sent &&
          check->connection->state() == quic::Connection::State::kEstablished) {
        check->hello_sent = true;
        check->connection->send_message(
            bytes_of(std::string(kHello) + call_.call_id + " " + check->candidate));
      }
      if (check->ready && !answered) answered = check;
    }
    if (answered && decision_.confirmed(now) == Action::kNominate) {
      close_checks(answered);
      {
        std::lock_guard lock(shared_->mutex);
        shared_->chosen = answered;
      }
      answered->chosen = true;
      chosen = answered;
      session_.send(signal::CallPath{call_.call_id, signal::PathStep::kNominate,
                                     answered->candidate, "", ""});
    }
  }
  if (!caller_ && now < punch_until_ && now >= next_punch_) {
    next_punch_ = now + kPunchInterval;
    size_t n = 0;
    for (const auto &candidate : call_.peer_candidates.accepted) {
      if (n++ == kMaxChecks) break;
      if (session_.punch(candidate.address.ip.to_string(), candidate.address.port)) ++punches_;
    }
  }
  const State before = decision_.state();
  switch (decision_.tick(now)) {
    case Action::kStartChecks:
      start_checks(now);
      break;
    case Action::kStopChecks:
      close_checks(nullptr);
      std::fprintf(stderr, "direct path: no answer from the peer's candidates (round %zu)\n",
                   rounds_);
      break;
    case Action::kFallBack:
      fall_back(now,
                before == State::kAgreeing ? "the peer did not agree in time"
                                           : "the direct path went quiet",
                true);
      chosen = nullptr;
      break;
    default:
      break;
  }
  if (chosen && chosen->ready && now >= next_ping_) {
    next_ping_ = now + kPingInterval;
    chosen->connection->send_message(bytes_of(kPing));
  }
  apply_route(now);
}

// An address that appeared mid-call goes to the peer like a late port
// mapping (call_candidates); the caller checks it at once, or as soon as
// the path in use is lost (nat::DirectPath::more_candidates).
void DirectMedia::offer_new_hosts(Clock::time_point now) {
  std::string error;
  auto interfaces = nat::list_interface_addresses(error);
  auto fresh = host_watch_.update(now, nat::host_candidates(interfaces, session_.local_port()),
                                  call_.our_candidates, nat::RemotePolicy{}.max_candidates);
  if (fresh.empty()) return;
  std::string sent;
  for (const auto &c : fresh) sent += (sent.empty() ? "" : ", ") + c.address.to_string();
  std::fprintf(stderr, "direct path: new host candidates %s, sent to the peer\n", sent.c_str());
  session_.send(signal::CallCandidates{call_.call_id, nat::to_wire(fresh)});
  auto all = call_.our_candidates;
  all.insert(all.end(), fresh.begin(), fresh.end());
  call_.our_candidates = nat::rank(std::move(all), nat::RemotePolicy{}.max_candidates);
  decision_.more_candidates(now);
}

void DirectMedia::start_checks(Clock::time_point now) {
  ++rounds_;
  to_dial_.clear();
  for (const auto &candidate : call_.peer_candidates.accepted) {
    if (to_dial_.size() == kMaxChecks) break;
    to_dial_.push_back(candidate.address.to_string());
  }
  round_candidates_ = to_dial_.size();
  next_dial_ = now;
  session_.send(signal::CallPath{call_.call_id, signal::PathStep::kCheck, "", "", ""});
}

void DirectMedia::close_checks(const std::shared_ptr<Check> &keep) {
  std::vector<std::shared_ptr<Check>> closing;
  {
    std::lock_guard lock(shared_->mutex);
    for (auto &check : shared_->checks) {
      if (check != keep) closing.push_back(check);
    }
    shared_->checks.clear();
    if (keep) shared_->checks.push_back(keep);
  }
  to_dial_.clear();
  for (auto &check : closing) check->connection->close(0, "not the chosen path");
}

void DirectMedia::fall_back(Clock::time_point now, const std::string &why, bool tell_peer) {
  std::shared_ptr<Check> chosen;
  {
    std::lock_guard lock(shared_->mutex);
    chosen = std::exchange(shared_->chosen, nullptr);
    std::erase(shared_->checks, chosen);
  }
  shared_->link->set_second(nullptr, false);
  route_ = nat::DirectPath::Route::kRelay;
  if (chosen) {
    chosen->chosen = false;
    direct_datagrams_ += chosen->connection->stats().datagrams_received;
    chosen->connection->close(0, "fell back to the relay");
  }
  close_checks(nullptr);
  if (tell_peer) {
    session_.send(signal::CallPath{call_.call_id, signal::PathStep::kRelay, "", "", ""});
  }
  if (path_label_ != "relay") record(now, "relay", why);
  label_.clear();
}

void DirectMedia::apply_route(Clock::time_point now) {
  auto route = decision_.route(now);
  if (route == route_) return;
  route_ = route;
  auto connection = chosen_connection();
  if (route == nat::DirectPath::Route::kRelay || !connection) {
    shared_->link->set_second(nullptr, false);
  } else {
    shared_->link->set_second(connection, route == nat::DirectPath::Route::kDirect);
  }
}

void DirectMedia::record(Clock::time_point now, const std::string &label, const std::string &why) {
  const double at = std::chrono::duration<double>(now - started_).count();
  if (label != "relay" && first_direct_s_ < 0) first_direct_s_ = at;
  path_label_ = label;
  char line[96];
  std::snprintf(line, sizeof line, ", %s at %.2f s", label.c_str(), at);
  history_ += line;
  std::fprintf(stderr, "media path: %s (%s, %.2f s into the call)\n", label.c_str(), why.c_str(),
               at);
}

std::string DirectMedia::label_for(const std::string &candidate) const {
  for (const auto &ours : call_.our_candidates) {
    if (ours.address.to_string() != candidate) continue;
    switch (ours.type) {
      case nat::CandidateType::kHost:
        return ours.address.ip.v6 ? "direct v6 host" : "direct v4 host";
      case nat::CandidateType::kReflexive:
        return "direct reflexive";
      case nat::CandidateType::kMapped:
        return "direct mapped";
    }
  }
  return "direct";
}

std::shared_ptr<quic::Connection> DirectMedia::chosen_connection() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->chosen ? shared_->chosen->connection : nullptr;
}

std::string DirectMedia::summary() const {
  uint64_t received = direct_datagrams_;
  if (auto connection = chosen_connection()) received += connection->stats().datagrams_received;
  char line[256];
  std::snprintf(line, sizeof line,
                "  media path            %s (%s)\n"
                "  direct path           %llu packets received directly; ",
                path_label_.c_str(), history_.c_str(), static_cast<unsigned long long>(received));
  std::string out = line;
  if (caller_) {
    std::snprintf(line, sizeof line, "%zu round%s of checks, %zu candidates dialed", rounds_,
                  rounds_ == 1 ? "" : "s", dialed_);
  } else {
    std::snprintf(line, sizeof line, "%llu NAT-opening datagrams sent",
                  static_cast<unsigned long long>(punches_));
  }
  out += line;
  std::snprintf(line, sizeof line, "; %zu move%s between relay and direct", decision_.switches(),
                decision_.switches() == 1 ? "" : "s");
  out += line;
  if (first_direct_s_ >= 0) {
    std::snprintf(line, sizeof line, "; first direct %.2f s after the media started",
                  first_direct_s_);
    out += line;
  }
  return out + "\n";
}

}  // namespace wzp::client
