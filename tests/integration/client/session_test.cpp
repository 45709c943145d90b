// libwzp/signal's Session against the real wzp-signald: login, a request
// and its reply, a call's messages between two sessions, media datagrams
// through the call's relay room, and the errors a user can meet.
#include "libwzp/signal/session.hpp"

#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "libwzp/stream/https.hpp"
#include "libwzp/stream/ws_channel.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/signald_daemon.hpp"
#include "tests/support/wait.hpp"

namespace wzp::signal {
namespace {

using namespace std::chrono_literals;

// What a malicious relay E does to sign in to daemon X as E's user: it
// terminates the user's QUIC with its own certificate (the one the user
// pinned, believing E is its daemon) and forwards every signal message to
// and from X over its own connection, challenge and answer included.
class ForwardingRelay {
 public:
  ForwardingRelay(uint16_t daemon_port, const std::string &daemon_certificate) {
    std::string error;
    quic::EndpointConfig upstream_config;
    upstream_config.bind_address = "127.0.0.1";
    upstream_config.tls.alpn = {"wzp-signal/1"};
    upstream_config.tls.server_fingerprint = daemon_certificate;
    upstream_endpoint_ = quic::Endpoint::create(upstream_config, nullptr, error);
    EXPECT_TRUE(upstream_endpoint_) << error;
    if (!upstream_endpoint_) return;
    quic::ConnectionHandlers from_daemon;
    from_daemon.on_message = [this](std::span<const uint8_t> bytes) {
      std::lock_guard lock(mutex_);
      from_daemon_.push_back(parse({reinterpret_cast<const char *>(bytes.data()), bytes.size()}));
      changed_.notify_all();
      if (downstream_) downstream_->send_message(bytes);
    };
    upstream_ = upstream_endpoint_->dial("127.0.0.1", daemon_port, from_daemon, error);
    EXPECT_TRUE(upstream_ && upstream_->wait_established(5s)) << error;

    quic::EndpointConfig downstream_config;
    downstream_config.bind_address = "127.0.0.1";
    downstream_config.accept_connections = true;
    downstream_config.tls.alpn = {"wzp-signal/1"};
    downstream_endpoint_ = quic::Endpoint::create(
        downstream_config,
        [this](const std::shared_ptr<quic::Connection> &connection) {
          {
            std::lock_guard lock(mutex_);
            downstream_ = connection;
          }
          quic::ConnectionHandlers from_user;
          from_user.on_message = [this](std::span<const uint8_t> bytes) {
            if (upstream_) upstream_->send_message(bytes);
          };
          return from_user;
        },
        error);
    EXPECT_TRUE(downstream_endpoint_) << error;
  }
  ~ForwardingRelay() {
    downstream_endpoint_.reset();
    upstream_endpoint_.reset();
  }
  uint16_t port() const { return downstream_endpoint_ ? downstream_endpoint_->local_port() : 0; }
  // The relay's own certificate: what its users pin.
  std::string certificate() const {
    return downstream_endpoint_ ? downstream_endpoint_->fingerprint() : "";
  }
  // The first message of kind T the daemon sent the relay.
  template <typename T>
  std::optional<T> from_daemon(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<T> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto &parsed : from_daemon_) {
        if (parsed.message && std::holds_alternative<T>(*parsed.message)) {
          found = std::get<T>(*parsed.message);
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  std::unique_ptr<quic::Endpoint> upstream_endpoint_, downstream_endpoint_;
  std::shared_ptr<quic::Connection> upstream_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<quic::Connection> downstream_;
  std::vector<Parsed> from_daemon_;
};

class SignalSession : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::make_temp_dir("signal-session");
    daemon_ = std::make_unique<test::SignaldDaemon>(dir_);
    ASSERT_TRUE(daemon_->ready());
  }
  void TearDown() override {
    daemon_.reset();
    std::filesystem::remove_all(dir_);
  }
  SessionConfig config() const {
    SessionConfig c;
    c.port = daemon_->quic_port();
    c.server_fingerprint = daemon_->certificate();
    return c;
  }
  // The next message of kind T, skipping others (presence, ...).
  template <typename T>
  std::optional<T> next_of(Session &session) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline;) {
      auto received = session.next(200ms);
      if (received && std::holds_alternative<T>(received->message)) {
        return std::get<T>(received->message);
      }
    }
    return std::nullopt;
  }

  std::filesystem::path dir_;
  std::unique_ptr<test::SignaldDaemon> daemon_;
};

TEST_F(SignalSession, LogsInAndGetsTheReplyToItsRequest) {
  auto alice = crypto::Identity::generate();
  std::string error;
  auto session = Session::connect(config(), alice, error);
  ASSERT_TRUE(session) << error;
  EXPECT_EQ(session->welcome().fingerprint, crypto::format_fingerprint(alice.fingerprint()));
  uint64_t id = session->next_request_id();
  ASSERT_TRUE(session->send(AliasClaim{"alice"}, id));
  auto reply = session->wait_reply(id, 5s);
  ASSERT_TRUE(reply);
  EXPECT_TRUE(std::holds_alternative<Ok>(reply->message));
  // The presence list that came first is still there for next().
  EXPECT_TRUE(next_of<PresenceList>(*session));
}

TEST_F(SignalSession, CallMessagesAndRelayedMediaBetweenTwoSessions) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  std::string error;
  auto a = Session::connect(config(), alice, error);
  ASSERT_TRUE(a) << error;
  auto b = Session::connect(config(), bob, error);
  ASSERT_TRUE(b) << error;
  ASSERT_TRUE(b->send(AliasClaim{"bob"}, b->next_request_id()));

  std::atomic<int> at_bob{0};
  b->set_datagram_handler([&at_bob](std::span<const uint8_t>) { ++at_bob; });
  // Claims are processed in order, so the offer finds @bob.
  ASSERT_TRUE(b->wait_reply(1, 5s));
  a->send(CallOffer{"c1", "", "@bob", {1, 2, 3}, {"opus"}, {}, {}});
  auto offer = next_of<CallOffer>(*b);
  ASSERT_TRUE(offer);
  EXPECT_EQ(offer->caller, crypto::format_fingerprint(alice.fingerprint()));
  b->send(CallAnswer{"c1", AnswerMode::kAccept, {4, 5}, {}});
  auto answer = next_of<CallAnswer>(*a);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->key_agreement, (Bytes{4, 5}));
  auto setup_a = next_of<CallSetup>(*a);
  auto setup_b = next_of<CallSetup>(*b);
  ASSERT_TRUE(setup_a && setup_b);
  uint64_t ja = a->next_request_id(), jb = b->next_request_id();
  a->send(RoomJoin{setup_a->relay_room, {}}, ja);
  b->send(RoomJoin{setup_b->relay_room, {}}, jb);
  ASSERT_TRUE(a->wait_reply(ja, 5s) && b->wait_reply(jb, 5s));

  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.push_back(0);
  for (int i = 0; i < 20 && at_bob == 0; ++i) {
    a->connection()->send_datagram(packet);
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(at_bob.load(), 0);

  a->send(CallHangup{"c1", "normal"});
  auto hangup = next_of<CallHangup>(*b);
  ASSERT_TRUE(hangup);
  EXPECT_EQ(hangup->reason, "normal");
  b->set_datagram_handler(nullptr);
}

TEST_F(SignalSession, ARelayForwardingTheDaemonsChallengeCannotSignInAsItsUser) {
  ForwardingRelay relay(daemon_->quic_port(), daemon_->certificate());
  ASSERT_NE(relay.port(), 0);
  auto config = this->config();
  config.port = relay.port();
  config.server_fingerprint = relay.certificate();
  std::string error;
  auto session = Session::connect(config, crypto::Identity::generate(), error);
  EXPECT_FALSE(session);
  EXPECT_NE(error.find("bad_signature"), std::string::npos) << error;
  // The daemon saw a login signed for the relay's certificate, not its own.
  auto refused = relay.from_daemon<Error>(5s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "bad_signature");
  EXPECT_FALSE(relay.from_daemon<Welcome>(0ms));
}

TEST_F(SignalSession, AWrongCertificatePinIsAClearError) {
  auto config = this->config();
  config.server_fingerprint = std::string(64, 'a');
  config.login_timeout = 5s;
  std::string error;
  auto session = Session::connect(config, crypto::Identity::generate(), error);
  EXPECT_FALSE(session);
  EXPECT_NE(error.find("no connection to the daemon"), std::string::npos) << error;
}

TEST_F(SignalSession, NoDaemonThereIsAClearError) {
  auto config = this->config();
  config.port = test::free_udp_port();
  config.login_timeout = 2s;
  std::string error;
  EXPECT_FALSE(Session::connect(config, crypto::Identity::generate(), error));
  EXPECT_NE(error.find("no connection to the daemon"), std::string::npos) << error;
}

TEST_F(SignalSession, ThePeersDisconnectEndsTheCall) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  std::string error;
  auto a = Session::connect(config(), alice, error);
  auto b = Session::connect(config(), bob, error);
  ASSERT_TRUE(a && b) << error;
  a->send(CallOffer{"c2", "", b->welcome().fingerprint, {1}, {}, {}, {}});
  ASSERT_TRUE(next_of<CallOffer>(*b));
  b->close();
  EXPECT_TRUE(b->ended());
  auto hangup = next_of<CallHangup>(*a);
  ASSERT_TRUE(hangup);
  EXPECT_EQ(hangup->call_id, "c2");
}

// The same relay E over the TLS fallback: it terminates the user's TLS with
// its own certificate (the one the user pinned) and forwards every signal
// message to and from X over its own TLS connection to X, pinned to X.
class TlsForwardingRelay {
 public:
  TlsForwardingRelay(uint16_t daemon_tls_port, const std::string &daemon_certificate) {
    std::string error;
    stream::ChannelHandlers from_daemon;
    from_daemon.on_message = [this](std::span<const uint8_t> bytes) {
      std::lock_guard lock(mutex_);
      from_daemon_.push_back(parse({reinterpret_cast<const char *>(bytes.data()), bytes.size()}));
      changed_.notify_all();
      if (downstream_) downstream_->send_message(bytes);
    };
    upstream_ = stream::WsChannel::dial("127.0.0.1", daemon_tls_port, daemon_certificate, {},
                                        from_daemon, 5s, error);
    EXPECT_TRUE(upstream_) << error;
    context_ = g_main_context_new();
    loop_ = g_main_loop_new(context_, FALSE);
    std::promise<void> listening;
    thread_ = std::thread([this, &listening] {
      g_main_context_push_thread_default(context_);
      std::string listen_error;
      GTlsCertificate *certificate =
          stream::load_tls_certificate("", "", std::chrono::hours(1), certificate_, listen_error);
      soup_ = soup_server_new("tls-certificate", certificate, nullptr);
      g_object_unref(certificate);
      const char *protocols[] = {stream::kSignalProtocol, nullptr};
      soup_server_add_websocket_handler(soup_, stream::kSignalPath, nullptr,
                                        const_cast<char **>(protocols), on_websocket, this,
                                        nullptr);
      port_ = stream::listen_https(soup_, "127.0.0.1", 0, listen_error);
      listening.set_value();
      g_main_loop_run(loop_);
      g_main_context_pop_thread_default(context_);
    });
    listening.get_future().wait();
  }
  ~TlsForwardingRelay() {
    g_main_loop_quit(loop_);
    thread_.join();
    downstream_.reset();
    upstream_.reset();
    g_object_unref(soup_);
    g_main_loop_unref(loop_);
    g_main_context_unref(context_);
  }
  uint16_t port() const { return port_; }
  const std::string &certificate() const { return certificate_; }
  template <typename T>
  std::optional<T> from_daemon(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    std::optional<T> found;
    changed_.wait_for(lock, timeout, [&] {
      for (const auto &parsed : from_daemon_) {
        if (parsed.message && std::holds_alternative<T>(*parsed.message)) {
          found = std::get<T>(*parsed.message);
          return true;
        }
      }
      return false;
    });
    return found;
  }

 private:
  static void on_websocket(SoupServer *, SoupServerMessage *message, const char *,
                           SoupWebsocketConnection *ws, gpointer data) {
    auto *self = static_cast<TlsForwardingRelay *>(data);
    stream::ChannelHandlers from_user;
    from_user.on_message = [self](std::span<const uint8_t> bytes) {
      if (self->upstream_) self->upstream_->send_message(bytes);
    };
    auto downstream =
        stream::WsChannel::adopt(ws, soup_server_message_get_socket(message), "", {}, from_user);
    std::lock_guard lock(self->mutex_);
    self->downstream_ = downstream;
  }

  std::shared_ptr<stream::WsChannel> upstream_, downstream_;
  GMainContext *context_ = nullptr;
  GMainLoop *loop_ = nullptr;
  SoupServer *soup_ = nullptr;
  std::thread thread_;
  uint16_t port_ = 0;
  std::string certificate_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Parsed> from_daemon_;
};

// A daemon with the TLS fallback on (docs/fallback.md).
class TlsFallback : public SignalSession {
 protected:
  void SetUp() override {
    SignalSession::SetUp();
    std::filesystem::create_directories(dir_ / "tls");
    tls_daemon_ = std::make_unique<test::SignaldDaemon>(
        dir_ / "tls", std::vector<std::string>{"--tls-listen", "127.0.0.1:0"});
    ASSERT_TRUE(tls_daemon_->ready());
    ASSERT_NE(tls_daemon_->tls_port(), 0);
  }
  void TearDown() override {
    tls_daemon_.reset();
    SignalSession::TearDown();
  }
  SessionConfig quic_config() const {
    SessionConfig c;
    c.port = tls_daemon_->quic_port();
    c.server_fingerprint = tls_daemon_->certificate();
    c.tls_port = tls_daemon_->tls_port();
    return c;
  }
  // As behind a network that drops UDP: nothing answers on the QUIC port.
  SessionConfig blocked_config() const {
    SessionConfig c = quic_config();
    c.port = test::free_udp_port();
    c.quic_race = 300ms;
    c.login_timeout = 5s;
    return c;
  }
  std::string metrics() const {
    SoupSession *session = soup_session_new_with_options("timeout", 5, nullptr);
    std::string url = "http://127.0.0.1:" + std::to_string(tls_daemon_->http_port()) + "/metrics";
    SoupMessage *message = soup_message_new("GET", url.c_str());
    GBytes *body = soup_session_send_and_read(session, message, nullptr, nullptr);
    std::string text;
    if (body != nullptr) {
      gsize size = 0;
      const auto *data = static_cast<const char *>(g_bytes_get_data(body, &size));
      text.assign(data, size);
      g_bytes_unref(body);
    }
    g_object_unref(message);
    g_object_unref(session);
    return text;
  }

  std::unique_ptr<test::SignaldDaemon> tls_daemon_;
};

TEST_F(TlsFallback, AClientWhoseQuicGetsNoAnswerCallsAQuicClientOverTls) {
  auto alice = crypto::Identity::generate();
  auto bob = crypto::Identity::generate();
  std::string error;
  auto a = Session::connect(blocked_config(), alice, error);
  ASSERT_TRUE(a) << error;
  EXPECT_TRUE(a->over_tls());
  EXPECT_STREQ(a->transport(), "tls fallback");
  EXPECT_EQ(a->connection(), nullptr);
  auto b = Session::connect(quic_config(), bob, error);
  ASSERT_TRUE(b) << error;
  EXPECT_FALSE(b->over_tls());

  std::atomic<int> at_alice{0}, at_bob{0};
  auto link_a = a->media_link();
  auto link_b = b->media_link();
  a->set_datagram_handler([&at_alice](std::span<const uint8_t>) { ++at_alice; });
  b->set_datagram_handler([&at_bob](std::span<const uint8_t>) { ++at_bob; });
  a->send(CallOffer{"c3", "", b->welcome().fingerprint, {1, 2, 3}, {"opus"}, {}, {}});
  ASSERT_TRUE(next_of<CallOffer>(*b));
  b->send(CallAnswer{"c3", AnswerMode::kAccept, {4, 5}, {}});
  ASSERT_TRUE(next_of<CallAnswer>(*a));
  auto setup_a = next_of<CallSetup>(*a);
  auto setup_b = next_of<CallSetup>(*b);
  ASSERT_TRUE(setup_a && setup_b);
  uint64_t ja = a->next_request_id(), jb = b->next_request_id();
  a->send(RoomJoin{setup_a->relay_room, {}}, ja);
  b->send(RoomJoin{setup_b->relay_room, {}}, jb);
  ASSERT_TRUE(a->wait_reply(ja, 5s) && b->wait_reply(jb, 5s));

  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.push_back(0);
  for (int i = 0; i < 40 && (at_alice == 0 || at_bob == 0); ++i) {
    EXPECT_TRUE(link_a->send(packet));
    EXPECT_TRUE(link_b->send(packet));
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GT(at_bob.load(), 0);
  EXPECT_GT(at_alice.load(), 0);
  EXPECT_GT(a->connection_stats().datagrams_sent, 0u);

  // Both kinds of member, counted apart, in the call's relay room.
  std::string text = metrics();
  EXPECT_NE(text.find("wzp_signald_members{transport=\"quic\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("wzp_signald_members{transport=\"tls\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("wzp_signald_participants_by_transport{transport=\"tls\"} 1\n"),
            std::string::npos)
      << text;
  a->set_datagram_handler(nullptr);
  b->set_datagram_handler(nullptr);
}

// Over TLS as over QUIC, the login is bound to the certificate the client
// pinned: a certificate that is not the pinned one is refused before any
// message goes, whatever CA may vouch for it.
TEST_F(TlsFallback, TheFallbackPinsTheDaemonsCertificate) {
  auto config = blocked_config();
  config.server_fingerprint = std::string(64, 'a');
  config.login_timeout = 2s;
  std::string error;
  EXPECT_FALSE(Session::connect(config, crypto::Identity::generate(), error));
  EXPECT_NE(error.find("nor over TLS at 127.0.0.1:" + std::to_string(tls_daemon_->tls_port())),
            std::string::npos)
      << error;
  EXPECT_NE(metrics().find("wzp_signald_connections_total 0\n"), std::string::npos);
}

// The login binding holds over TLS as over QUIC: a user who pins relay E
// signs over E's certificate, which daemon X refuses, though E forwarded
// X's own challenge.
TEST_F(TlsFallback, ARelayTerminatingTheFallbacksTlsCannotSignInAsItsUser) {
  TlsForwardingRelay relay(tls_daemon_->tls_port(), tls_daemon_->certificate());
  ASSERT_NE(relay.port(), 0);
  auto config = blocked_config();
  config.tls_port = relay.port();
  config.server_fingerprint = relay.certificate();
  std::string error;
  auto session = Session::connect(config, crypto::Identity::generate(), error);
  EXPECT_FALSE(session);
  EXPECT_NE(error.find("bad_signature"), std::string::npos) << error;
  auto refused = relay.from_daemon<Error>(5s);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->code, "bad_signature");
  EXPECT_FALSE(relay.from_daemon<Welcome>(0ms));
}

// A TCP connection to the daemon's TLS port from `source` (127.0.0.x),
// and, when `handshake`, its TLS handshake done (the certificate taken as
// it comes): the TLS stream, or null.
GIOStream *tls_port_connection(uint16_t port, const char *source, bool handshake) {
  GSocketClient *client = g_socket_client_new();
  GInetAddress *local = g_inet_address_new_from_string(source);
  GSocketAddress *bind = g_inet_socket_address_new(local, 0);
  g_socket_client_set_local_address(client, bind);
  g_socket_client_set_timeout(client, 5);
  GSocketConnection *tcp =
      g_socket_client_connect_to_host(client, "127.0.0.1", port, nullptr, nullptr);
  g_object_unref(bind);
  g_object_unref(local);
  g_object_unref(client);
  if (tcp == nullptr || !handshake) return tcp != nullptr ? G_IO_STREAM(tcp) : nullptr;
  GIOStream *tls = g_tls_client_connection_new(G_IO_STREAM(tcp), nullptr, nullptr);
  g_object_unref(tcp);
  g_signal_connect(tls, "accept-certificate",
                   G_CALLBACK(+[](GTlsConnection *, GTlsCertificate *, GTlsCertificateFlags,
                                  gpointer) -> gboolean { return TRUE; }),
                   nullptr);
  if (!g_tls_connection_handshake(G_TLS_CONNECTION(tls), nullptr, nullptr)) {
    g_object_unref(tls);
    return nullptr;
  }
  return tls;
}

// The TLS port's connections that are not WebSockets yet are bounded as
// QUIC's handshakes are: one address holds --max-waiting-per-address (8)
// of them, one more is closed at once, and other addresses still get in.
TEST_F(TlsFallback, OneAddressHoldsOnlySoManyHandshakes) {
  const uint16_t port = tls_daemon_->tls_port();
  std::vector<GIOStream *> silent;  // TCP, never a ClientHello
  for (int i = 0; i < 8; ++i) {
    silent.push_back(tls_port_connection(port, "127.0.0.1", false));
    ASSERT_NE(silent.back(), nullptr);
  }
  // The ninth is closed by the daemon: its read ends at once, unanswered.
  GIOStream *ninth = tls_port_connection(port, "127.0.0.1", false);
  ASSERT_NE(ninth, nullptr);
  GSocket *socket = g_socket_connection_get_socket(G_SOCKET_CONNECTION(ninth));
  g_socket_set_timeout(socket, 5);
  char byte = 0;
  GError *gerror = nullptr;
  gssize got = g_socket_receive(socket, &byte, 1, nullptr, &gerror);
  EXPECT_TRUE(got == 0 || (got < 0 && !g_error_matches(gerror, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)))
      << (gerror != nullptr ? gerror->message : "read a byte");
  g_clear_error(&gerror);
  g_object_unref(ninth);
  // Another address completes its handshake meanwhile.
  GIOStream *other = tls_port_connection(port, "127.0.0.2", true);
  EXPECT_NE(other, nullptr);
  if (other != nullptr) g_object_unref(other);
  // One silent connection leaves; its place is free again.
  g_io_stream_close(silent.back(), nullptr, nullptr);
  g_object_unref(silent.back());
  silent.pop_back();
  EXPECT_TRUE(test::wait_until(
      [&] {
        return metrics().find("wzp_signald_tls_refused_total{reason=\"handshake_failed\"} 1\n") !=
               std::string::npos;
      },
      5s));
  GIOStream *again = tls_port_connection(port, "127.0.0.1", true);
  EXPECT_NE(again, nullptr);
  if (again != nullptr) g_object_unref(again);
  std::string text = metrics();
  EXPECT_NE(text.find("wzp_signald_tls_refused_total{reason=\"handshakes_per_source\"} 1\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("wzp_signald_tls_refused_total{reason=\"handshakes\"} 0\n"),
            std::string::npos);
  for (GIOStream *s : silent) g_object_unref(s);
}

// A daemon that answers QUIC at all keeps the client on QUIC.
TEST_F(TlsFallback, AClientThatReachesQuicStaysOnIt) {
  std::string error;
  auto session = Session::connect(quic_config(), crypto::Identity::generate(), error);
  ASSERT_TRUE(session) << error;
  EXPECT_FALSE(session->over_tls());
  EXPECT_STREQ(session->transport(), "quic");
}

}  // namespace
}  // namespace wzp::signal
