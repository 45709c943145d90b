#include "libwzp/signal/session.hpp"

#include <type_traits>
#include <utility>

#include "libwzp/base/host_port.hpp"
#include "libwzp/base/version.hpp"
#include "libwzp/signal/printable.hpp"

namespace wzp::signal {
namespace {

// The daemon sends at most a presence list and a few call messages at a
// time; a queue this long means nobody is reading, so the oldest go.
constexpr size_t kMaxQueued = 1024;

std::string describe(const Error &error) {
  return error.message.empty() ? error.code : error.code + ": " + error.message;
}

void make_printable(std::optional<std::string> &text) {
  if (text) *text = printable(*text);
}

// A client shows what the daemon and its peers write (reasons, errors,
// aliases); all of it arrives here, so it is made printable here, once.
// Fingerprints, room ids and call ids are already checked by the parser.
void make_printable(Message &message) {
  std::visit(
      [](auto &m) {
        using T = std::decay_t<decltype(m)>;
        if constexpr (std::is_same_v<T, Error>) {
          m.code = printable(m.code);
          m.message = printable(m.message);
        } else if constexpr (std::is_same_v<T, CallHangup> || std::is_same_v<T, QualityDirective>) {
          m.reason = printable(m.reason);
        } else if constexpr (std::is_same_v<T, Welcome>) {
          make_printable(m.alias);
          m.version = printable(m.version);
        } else if constexpr (std::is_same_v<T, AliasResolved>) {
          make_printable(m.alias);
        } else if constexpr (std::is_same_v<T, PresenceUpdate>) {
          make_printable(m.user.alias);
        } else if constexpr (std::is_same_v<T, PresenceList>) {
          for (auto &user : m.users) make_printable(user.alias);
        } else if constexpr (std::is_same_v<T, CallOffer>) {
          m.callee = printable(m.callee);
        } else if constexpr (std::is_same_v<T, CallPath>) {
          m.candidate = printable(m.candidate);
          m.label = printable(m.label);
        }
      },
      message);
}

}  // namespace

std::unique_ptr<Session> Session::connect(const SessionConfig &config,
                                          const crypto::Identity &identity, std::string &error,
                                          Error *refusal) {
  if (config.server_fingerprint.empty()) {
    error = "no server fingerprint to pin the daemon's certificate to";
    return nullptr;
  }
  const auto started = std::chrono::steady_clock::now();
  std::unique_ptr<Session> session(new Session());
  quic::EndpointConfig endpoint;
  endpoint.tls.alpn = {"wzp-signal/1"};
  endpoint.tls.server_fingerprint = config.server_fingerprint;
  endpoint.congestion_control = config.congestion_control;
  endpoint.idle_timeout = config.idle_timeout;
  endpoint.handshake_timeout = config.login_timeout;
  endpoint.keep_alive = config.keep_alive;
  endpoint.max_queue_time = config.max_queue_time;
  // Signaling and voice fit 1200 bytes: no probes to hold a slow link as a
  // call or room starts (docs/quic.md).
  endpoint.path_mtu_discovery = false;
  endpoint.accept_connections = config.accept_direct;
  endpoint.bind_address = config.bind_address;
  Session *raw = session.get();
  session->endpoint_ = quic::Endpoint::create(
      endpoint,
      [raw](const std::shared_ptr<quic::Connection> &connection) {
        std::lock_guard lock(raw->handlers_mutex_);
        if (raw->on_accept_) return raw->on_accept_(connection);
        quic::ConnectionHandlers refuse;
        std::weak_ptr<quic::Connection> weak = connection;
        refuse.on_established = [weak] {
          if (auto c = weak.lock()) c->close(0, "not expecting a direct connection");
        };
        return refuse;
      },
      error);
  if (!session->endpoint_) return nullptr;
  session->connection_ =
      session->endpoint_->dial(config.host, config.port, session->handlers(true), error);
  if (!session->connection_) return nullptr;
  const auto race = std::min(config.quic_race, config.login_timeout);
  if (!session->connection_->wait_established(race)) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        started + config.login_timeout - std::chrono::steady_clock::now());
    std::string fallback_error;
    // Not a packet back: UDP is blocked on the way, not merely lossy.
    bool silent = session->endpoint_->stats().packets_received == 0;
    if (!(config.tls_port != 0 && silent &&
          session->fall_back(config, remaining, fallback_error)) &&
        !session->connection_->wait_established(remaining)) {
      std::string why = session->connection_->error();
      error = "no connection to the daemon at " + config.host + ":" + std::to_string(config.port) +
              (why.empty() ? " (timed out)" : ": " + why);
      if (!fallback_error.empty()) {
        const std::string &tls_host = config.tls_host.empty() ? config.host : config.tls_host;
        error += "; nor over TLS at " + base::format_host_port(tls_host, config.tls_port) + ": " +
                 fallback_error;
      }
      return nullptr;
    }
  }
  if (!session->login(identity, config, error, refusal)) return nullptr;
  session->sign_in_time_ = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return session;
}

bool Session::fall_back(const SessionConfig &config, std::chrono::milliseconds timeout,
                        std::string &error) {
  quic::ConnectionHandlers quic = handlers(false);
  stream::ChannelHandlers handlers{quic.on_message, quic.on_datagram, quic.on_closed};
  stream::ChannelConfig channel_config;
  channel_config.dead_after = config.idle_timeout;
  channel_config.media.max_age_ns =
      static_cast<uint64_t>(std::chrono::nanoseconds(config.max_queue_time).count());
  const std::string &host = config.tls_host.empty() ? config.host : config.tls_host;
  auto channel = stream::WsChannel::dial(host, config.tls_port, config.server_fingerprint,
                                         channel_config, std::move(handlers), timeout, error);
  if (!channel) return false;
  quic_abandoned_ = true;
  connection_->close(0, "tls fallback");
  connection_.reset();
  channel_ = std::move(channel);
  return true;
}

std::shared_ptr<quic::Link> Session::media_link() const {
  if (channel_) return quic::Link::over_path(channel_);
  return quic::Link::over(connection_);
}

void Session::rebind_media_link(quic::Link &link) const {
  if (channel_) {
    link.rebind(std::static_pointer_cast<quic::DatagramPath>(channel_));
  } else {
    link.rebind(connection_);
  }
}

quic::ConnectionStats Session::connection_stats() const {
  if (channel_) return channel_->stats();
  return connection_ ? connection_->stats() : quic::ConnectionStats{};
}

Session::~Session() {
  close();
  endpoint_.reset();  // stops the I/O thread before the handlers' target goes
}

quic::ConnectionHandlers Session::handlers(bool quic_attempt) {
  quic::ConnectionHandlers handlers;
  handlers.on_message = [this](std::span<const uint8_t> bytes) {
    Parsed parsed = parse({reinterpret_cast<const char *>(bytes.data()), bytes.size()});
    std::lock_guard lock(mutex_);
    if (!parsed.message) {
      ++dropped_messages_;
      return;
    }
    make_printable(*parsed.message);
    if (inbox_.size() == kMaxQueued) {
      inbox_.pop_front();
      ++dropped_messages_;
    }
    inbox_.push_back({std::move(*parsed.message), parsed.request_id});
    changed_.notify_all();
  };
  handlers.on_datagram = [this](std::span<const uint8_t> datagram) {
    std::lock_guard lock(handlers_mutex_);
    if (on_datagram_) on_datagram_(datagram);
  };
  handlers.on_closed = [this, quic_attempt](const std::string &remote_why) {
    // The QUIC attempt given up for the fallback ends without ending us.
    if (quic_attempt && quic_abandoned_) return;
    std::string why = printable(remote_why);  // may repeat the peer's close reason
    {
      std::lock_guard lock(mutex_);
      ended_ = true;
      end_reason_ = why;
      changed_.notify_all();
    }
    std::lock_guard lock(handlers_mutex_);
    if (on_closed_) on_closed_(why);
  };
  return handlers;
}

bool Session::login(const crypto::Identity &identity, const SessionConfig &config,
                    std::string &error, Error *refusal) {
  auto deadline = std::chrono::steady_clock::now() + config.login_timeout;
  auto remaining = [deadline] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  send(Hello{identity.signing_public_key(), config.token, config.device, base::version()});
  bool signed_in = false;
  while (remaining().count() > 0) {
    auto received = next(remaining());
    if (!received) break;
    if (auto *challenge = std::get_if<Challenge>(&received->message)) {
      // The certificate we verified, not anything the challenge says: a
      // relay forwarding another daemon's challenge gets a useless signature.
      send(Auth{identity.sign(auth_transcript(challenge->nonce, config.server_fingerprint))});
      signed_in = true;
    } else if (auto *welcome = std::get_if<Welcome>(&received->message); welcome && signed_in) {
      welcome_ = *welcome;
      return true;
    } else if (auto *refused = std::get_if<Error>(&received->message)) {
      error = "the daemon refused the login: " + describe(*refused);
      if (refusal != nullptr) *refusal = *refused;
      return false;
    }
  }
  std::string why = end_reason();
  error = ended()
              ? "the daemon closed the connection during login" + (why.empty() ? "" : ": " + why)
              : "no welcome from the daemon in time";
  return false;
}

bool Session::send(const Message &message, std::optional<uint64_t> request_id) {
  std::string text = serialize(message, request_id);
  if (channel_) {
    return channel_->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
  }
  return connection_ &&
         connection_->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
}

uint64_t Session::next_request_id() {
  std::lock_guard lock(mutex_);
  return ++request_ids_;
}

std::optional<Received> Session::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [this] { return !inbox_.empty() || ended_; });
  if (inbox_.empty()) return std::nullopt;
  Received received = std::move(inbox_.front());
  inbox_.pop_front();
  return received;
}

std::optional<Received> Session::wait_reply(uint64_t request_id,
                                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<Received> found;
  changed_.wait_for(lock, timeout, [&] {
    for (auto it = inbox_.begin(); it != inbox_.end(); ++it) {
      if (it->request_id == request_id) {
        found = std::move(*it);
        inbox_.erase(it);
        return true;
      }
    }
    return ended_;
  });
  return found;
}

void Session::set_datagram_handler(DatagramHandler handler) {
  std::lock_guard lock(handlers_mutex_);
  on_datagram_ = std::move(handler);
}

void Session::set_close_handler(CloseHandler handler) {
  std::lock_guard lock(handlers_mutex_);
  on_closed_ = std::move(handler);
}

void Session::set_accept_handler(quic::Endpoint::AcceptHandler handler) {
  std::lock_guard lock(handlers_mutex_);
  on_accept_ = std::move(handler);
}

std::shared_ptr<quic::Connection> Session::dial_direct(const std::string &host, uint16_t port,
                                                       quic::ConnectionHandlers handlers,
                                                       const std::string &pin, std::string &error) {
  if (pin.empty()) {
    error = "no certificate to pin the peer to";
    return nullptr;
  }
  return endpoint_->dial(host, port, std::move(handlers), error, pin);
}

bool Session::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

std::string Session::end_reason() const {
  std::lock_guard lock(mutex_);
  return end_reason_;
}

uint64_t Session::dropped_messages() const {
  std::lock_guard lock(mutex_);
  return dropped_messages_;
}

void Session::close(std::chrono::milliseconds timeout) {
  if (channel_) {
    channel_->close("bye");
    channel_->wait_closed(timeout);
    std::lock_guard lock(mutex_);
    ended_ = true;
    changed_.notify_all();
    return;
  }
  if (!connection_ || connection_->state() == quic::Connection::State::kClosed) return;
  connection_->close(0, "bye");
  connection_->wait_closed(timeout);
  // Our own close ends the session even if the handler has not run yet.
  std::lock_guard lock(mutex_);
  ended_ = true;
  changed_.notify_all();
}

}  // namespace wzp::signal
