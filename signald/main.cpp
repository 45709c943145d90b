// wzp-signald: the signaling daemon. Clients connect over QUIC (ALPN
// wzp-signal/1); the HTTP API listens on its own port. Logs go to stderr;
// one readiness line goes to stdout once everything listens.
#include <glib-unix.h>
#include <glib.h>
#include <sodium.h>

#include <cstdio>
#include <mutex>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/quic/tls.hpp"
#include "signald/config.hpp"
#include "signald/core/federation.hpp"
#include "signald/core/server.hpp"
#include "signald/core/store.hpp"
#include "signald/core/store_writer.hpp"
#include "signald/federation_transport.hpp"
#include "signald/http_api.hpp"
#include "signald/quic_transport.hpp"
#include "signald/redis_cluster.hpp"
#include "signald/stun_responder.hpp"
#include "signald/tls_identity.hpp"
#include "signald/tls_transport.hpp"
#include "signald/token_validator.hpp"

namespace {

using namespace wzp;
using namespace wzp::signald;

// The daemon's own identity, kept in the database so its fingerprint (which
// federated relays trust) is stable across restarts.
std::optional<crypto::Identity> load_identity(Store &store) {
  if (auto seed = store.identity_seed(); seed && seed->size() == crypto::kSeedSize) {
    crypto::Seed bytes;
    std::copy(seed->begin(), seed->end(), bytes.begin());
    sodium_memzero(seed->data(), seed->size());
    auto identity = crypto::Identity::from_seed(bytes);
    sodium_memzero(bytes.data(), bytes.size());
    return identity;
  }
  auto identity = crypto::Identity::generate();
  std::vector<uint8_t> seed(identity.seed().begin(), identity.seed().end());
  bool stored = store.set_identity_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  if (!stored) return std::nullopt;
  return identity;
}

// What waited for the store's writes to be durable (replies to alias
// claims...) runs on the main loop, under the core mutex.
struct StoreCompletions {
  std::mutex *mutex;
  Server *server = nullptr;
};

gboolean run_store_completions(gpointer data) {
  auto *completions = static_cast<StoreCompletions *>(data);
  std::lock_guard lock(*completions->mutex);
  completions->server->on_store_written(wall_and_steady_now());
  return G_SOURCE_REMOVE;
}

struct Shutdown {
  GMainLoop *loop;
  std::mutex *mutex;
  Server *server;
  QuicTransport *transport;
  TlsTransport *tls;
  FederationTransport *relays;
  Federation *federation;
  RedisCluster *cluster;
  int waited_ms = 0;
};

// After SIGTERM: close every connection with a reason, wait (up to 2 s) for
// the closes to leave, then stop.
gboolean drain(gpointer data) {
  auto *shutdown = static_cast<Shutdown *>(data);
  size_t open = 0;
  {
    std::lock_guard lock(*shutdown->mutex);
    open = shutdown->transport->open_connections() +
           (shutdown->tls != nullptr ? shutdown->tls->open_connections() : 0);
  }
  shutdown->waited_ms += 50;
  if (open == 0 || shutdown->waited_ms >= 2000) {
    g_main_loop_quit(shutdown->loop);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_terminate(gpointer data) {
  auto *shutdown = static_cast<Shutdown *>(data);
  g_message("shutting down");
  if (shutdown->cluster != nullptr) shutdown->cluster->leave();
  {
    std::lock_guard lock(*shutdown->mutex);
    shutdown->server->shutdown("server shutting down");
  }
  g_timeout_add(50, drain, shutdown);
  return G_SOURCE_REMOVE;
}

}  // namespace

int main(int argc, char **argv) {
  std::string error, help;
  auto config = parse_config(argc, argv, error, help);
  if (!config) {
    if (!help.empty()) {
      g_print("%s", help.c_str());
      return 0;
    }
    g_printerr("wzp-signald: %s\n", error.c_str());
    return 2;
  }
  if (sodium_init() < 0) {
    g_printerr("wzp-signald: libsodium failed to initialise\n");
    return 1;
  }
  auto store = Store::open(config->database, error);
  if (!store) {
    g_printerr("wzp-signald: database %s: %s\n", config->database.c_str(), error.c_str());
    return 1;
  }
  auto identity = load_identity(*store);
  if (!identity) {
    g_printerr("wzp-signald: cannot store the daemon identity: %s\n", store->last_error().c_str());
    return 1;
  }
  std::string fingerprint = crypto::format_fingerprint(identity->fingerprint());

  quic::TlsConfig tls;
  tls.alpn = {kSignalAlpn};
  tls.certificate_file = config->certificate_file;
  tls.private_key_file = config->private_key_file;
  if (tls.certificate_file.empty()) {
    CertificateFiles generated = generated_certificate_files(config->database);
    if (!ensure_certificate(generated, error)) {
      g_printerr("wzp-signald: TLS certificate: %s\n", error.c_str());
      return 1;
    }
    tls.certificate_file = generated.certificate.string();
    tls.private_key_file = generated.private_key.string();
  }
  // Known before the first client connects: logins are signed over it.
  auto certificate = quic::TlsContext::create(tls, true, error);
  if (!certificate) {
    g_printerr("wzp-signald: TLS certificate: %s\n", error.c_str());
    return 1;
  }
  std::string certificate_sha256 = certificate->fingerprint();
  certificate.reset();

  std::mutex core_mutex;
  // Writes sync on their own connection and thread, never under the core
  // mutex; reads stay on `store`.
  auto writer_store = Store::open(config->database, error);
  if (!writer_store) {
    g_printerr("wzp-signald: database %s: %s\n", config->database.c_str(), error.c_str());
    return 1;
  }
  StoreCompletions completions{&core_mutex};
  StoreWriter writer(std::move(writer_store),
                     [&completions] { g_idle_add(run_store_completions, &completions); });
  ConnectionIds connection_ids;
  QuicTransport transport(core_mutex, connection_ids);
  std::unique_ptr<TlsTransport> tls_transport;
  if (config->tls_listen)
    tls_transport = std::make_unique<TlsTransport>(core_mutex, connection_ids);
  Transports transports(transport, tls_transport.get());
  std::unique_ptr<HttpTokenValidator> validator;
  if (!config->auth_url.empty()) {
    validator = std::make_unique<HttpTokenValidator>(g_main_context_default(), core_mutex,
                                                     config->auth_url);
  }
  ServerSettings settings;
  settings.max_unauthenticated_per_source = config->max_waiting_per_address;
  Server server(transports, *store, writer, fingerprint, certificate_sha256, validator.get(),
                settings);
  completions.server = &server;

  HttpApi http(core_mutex, server);
  if (!http.listen(config->http.host, config->http.port, error)) {
    g_printerr("wzp-signald: HTTP %s:%u: %s\n", config->http.host.c_str(), config->http.port,
               error.c_str());
    return 1;
  }
  quic::EndpointConfig quic_config;
  quic_config.bind_address = config->listen.host;
  quic_config.bind_port = config->listen.port;
  quic_config.accept_connections = true;
  quic_config.max_connections = config->max_connections;
  quic_config.tls = tls;
  quic_config.keep_alive = std::chrono::seconds(5);
  quic_config.idle_timeout = std::chrono::seconds(30);
  // Clients carry signaling and voice, which fit 1200 bytes; probes would
  // hold a slow client's link as it joins a room (docs/quic.md).
  quic_config.path_mtu_discovery = false;
  if (!transport.start(quic_config, server, error)) {
    g_printerr("wzp-signald: QUIC %s:%u: %s\n", config->listen.host.c_str(), config->listen.port,
               error.c_str());
    return 1;
  }
  if (transport.certificate_fingerprint() != certificate_sha256) {
    g_printerr("wzp-signald: the TLS certificate changed while starting\n");
    return 1;
  }
  // The same certificate over TLS: a login binds to it either way.
  if (tls_transport &&
      !tls_transport->start(config->tls_listen->host, config->tls_listen->port,
                            tls.certificate_file, tls.private_key_file, certificate_sha256,
                            TlsLimits{.connections = config->max_connections,
                                      .handshakes_per_source = config->max_waiting_per_address},
                            server, error)) {
    g_printerr("wzp-signald: TLS %s:%u: %s\n", config->tls_listen->host.c_str(),
               config->tls_listen->port, error.c_str());
    return 1;
  }
  if (tls_transport) http.set_tls(tls_transport.get());

  StunResponder stun;
  if (config->stun_listen &&
      !stun.start(config->stun_listen->host, config->stun_listen->port, error)) {
    g_printerr("wzp-signald: STUN %s:%u: %s\n", config->stun_listen->host.c_str(),
               config->stun_listen->port, error.c_str());
    return 1;
  }
  if (config->stun_listen) http.set_stun(&stun);

  // Destroyed in reverse: the relay links stop before Federation goes.
  std::unique_ptr<Federation> federation;
  std::unique_ptr<FederationTransport> relays;
  if (config->federation_listen) {
    std::vector<std::string> trusted;
    for (const auto &peer : config->peers) trusted.push_back(peer.identity);
    relays = std::make_unique<FederationTransport>(core_mutex);
    federation = std::make_unique<Federation>(*relays, server, *identity, trusted);
    federation->set_mesh(config->cluster_redis.has_value());
    http.set_federation(federation.get());
    quic::EndpointConfig relay_config = quic_config;
    relay_config.bind_address = config->federation_listen->host;
    relay_config.bind_port = config->federation_listen->port;
    relay_config.tls.alpn = {kFederationAlpn};
    relay_config.path_mtu_discovery = true;  // trunks pack several packets into one
    // Two per peer (a redial can overlap the link it replaces) and spares,
    // so connections that never authenticate (closed after
    // kLinkAuthTimeout) do not keep a trusted relay out.
    relay_config.max_connections =
        2 * (config->peers.size() + (config->cluster_redis ? kMaxClusterNodes : 0)) + 8;
    if (!relays->start(relay_config, *federation, fingerprint, config->peers, error)) {
      g_printerr("wzp-signald: federation %s:%u: %s\n", config->federation_listen->host.c_str(),
                 config->federation_listen->port, error.c_str());
      return 1;
    }
  }

  // Before the loop runs; destroyed before the Server and Federation it uses.
  std::unique_ptr<RedisCluster> cluster;
  if (config->cluster_redis) {
    HostPort advertised = config->cluster_advertise.value_or(*config->federation_listen);
    if (advertised.port == 0) advertised.port = relays->port();
    cluster = std::make_unique<RedisCluster>(
        core_mutex, server, *federation, *relays,
        RedisAccess{*config->cluster_redis, config->cluster_redis_user,
                    config->cluster_redis_password, config->cluster_prefix},
        PeerConfig{advertised, relays->certificate_fingerprint(), fingerprint});
    std::lock_guard lock(core_mutex);
    server.set_alias_registry(cluster.get());
    server.set_missed_call_registry(cluster.get());
    http.set_cluster(cluster.get());
  }

  GMainLoop *loop = g_main_loop_new(nullptr, FALSE);
  Shutdown shutdown{loop,         &core_mutex,      &server,      &transport, tls_transport.get(),
                    relays.get(), federation.get(), cluster.get()};
  g_unix_signal_add(SIGTERM, on_terminate, &shutdown);
  g_unix_signal_add(SIGINT, on_terminate, &shutdown);
  auto tick = [](gpointer data) -> gboolean {
    auto *s = static_cast<Shutdown *>(data);
    {
      std::lock_guard lock(*s->mutex);
      const Now now = wall_and_steady_now();
      s->server->tick(now);
      if (s->federation != nullptr) s->federation->tick(now.steady);
    }
    if (s->relays != nullptr) s->relays->maintain();  // without the core mutex
    return G_SOURCE_CONTINUE;
  };
  g_timeout_add(100, tick, &shutdown);

  g_message("identity %s, database %s%s", fingerprint.c_str(), config->database.c_str(),
            validator ? ", bearer tokens checked" : "");
  std::string extra_line;  // the TLS fallback and federation, when on
  if (tls_transport) {
    extra_line = " tls=" + base::format_host_port(config->tls_listen->host, tls_transport->port());
  }
  if (config->stun_listen) {
    extra_line += " stun=" + base::format_host_port(config->stun_listen->host, stun.port());
  }
  if (relays) {
    extra_line += " federation=" + config->federation_listen->host + ":" +
                  std::to_string(relays->port()) +
                  " federation_cert_sha256=" + relays->certificate_fingerprint();
  }
  if (cluster) {
    extra_line += " cluster=" +
                  base::format_host_port(config->cluster_redis->host, config->cluster_redis->port);
  }
  g_print("wzp-signald ready quic=%s:%u http=%s:%u cert_sha256=%s identity=%s%s\n",
          config->listen.host.c_str(), transport.port(), config->http.host.c_str(), http.port(),
          transport.certificate_fingerprint().c_str(), fingerprint.c_str(), extra_line.c_str());
  fflush(stdout);

  g_main_loop_run(loop);
  if (cluster) {
    {
      std::lock_guard lock(core_mutex);
      server.set_alias_registry(nullptr);
      server.set_missed_call_registry(nullptr);
      http.set_cluster(nullptr);
    }
    cluster.reset();
  }
  if (relays) relays->stop();
  if (tls_transport) tls_transport->stop();
  transport.stop();
  g_main_loop_unref(loop);
  g_message("stopped");
  return 0;
}
