#include "signald/config.hpp"

#include <glib.h>

#include <algorithm>
#include <cstring>
#include <memory>

#include "libwzp/base/version.hpp"
#include "libwzp/signal/message.hpp"

namespace wzp::signald {

std::optional<HostPort> parse_listen_address(const std::string &text, std::string &error) {
  auto parsed = base::parse_host_port(text, &error);
  if (parsed && parsed->host.empty()) parsed->host = "0.0.0.0";
  return parsed;
}

std::optional<PeerConfig> parse_peer(const std::string &text, std::string &error) {
  gchar **parts = g_strsplit(text.c_str(), ",", 4);
  const guint count = g_strv_length(parts);
  std::optional<PeerConfig> peer;
  std::optional<HostPort> address = count == 3 ? base::parse_host_port(parts[0]) : std::nullopt;
  if (address && !address->host.empty() && address->port != 0 && signal::is_fingerprint(parts[2]) &&
      strlen(parts[1]) > 0) {
    peer = PeerConfig{*address, parts[1], parts[2]};
  } else {
    error = "peer: expected HOST:PORT,CERT_SHA256,IDENTITY_FINGERPRINT, got '" + text + "'";
  }
  g_strfreev(parts);
  return peer;
}

namespace {

struct Flags {
  gboolean version = FALSE;  // handled before parsing; the entry lists it in --help
  gchar *config = nullptr;
  gchar *listen = nullptr;
  gchar *http = nullptr;
  gchar *certificate = nullptr;
  gchar *key = nullptr;
  gchar *database = nullptr;
  gchar *auth_url = nullptr;
  gint max_connections = 0;
  gint max_waiting_per_address = 0;
  gchar *federation_listen = nullptr;
  gchar *tls_listen = nullptr;
  gchar *stun_listen = nullptr;
  gchar **peers = nullptr;
  gchar *cluster_redis = nullptr;
  gchar *cluster_advertise = nullptr;
  gchar *cluster_redis_user = nullptr;
  gchar *cluster_redis_password_file = nullptr;
  gchar *cluster_prefix = nullptr;
  ~Flags() {
    for (gchar *s : {config, listen, http, certificate, key, database, auth_url, federation_listen,
                     tls_listen, stun_listen, cluster_redis, cluster_advertise, cluster_redis_user,
                     cluster_redis_password_file, cluster_prefix}) {
      g_free(s);
    }
    g_strfreev(peers);
  }
};

// A password file holds one line (its newline is not part of it).
bool read_password(const std::string &path, std::string &password, std::string &error) {
  gchar *contents = nullptr;
  gsize length = 0;
  GError *gerror = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &length, &gerror)) {
    error = "cluster-redis-password-file: " + std::string(gerror->message);
    g_error_free(gerror);
    return false;
  }
  password.assign(contents, length);
  g_free(contents);
  if (password.ends_with('\n')) password.pop_back();
  if (password.ends_with('\r')) password.pop_back();
  if (password.empty() || password.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
    password.clear();
    error = "cluster-redis-password-file: " + path + ": expected the password on one line";
    return false;
  }
  return true;
}

// Redis ACL user names and key prefixes: printable, no spaces.
bool is_redis_name(const std::string &text, size_t max, bool prefix) {
  if (text.empty() || text.size() > max) return false;
  return std::all_of(text.begin(), text.end(), [prefix](char c) {
    return prefix ? g_ascii_isalnum(c) || c == '_' || c == '-' || c == '.' : g_ascii_isgraph(c);
  });
}

// Applies one setting named as in the key file; false with `error` if invalid.
bool apply(Config &config, const std::string &name, const std::string &value, std::string &error) {
  if (name == "listen" || name == "http") {
    auto parsed = parse_listen_address(value, error);
    if (!parsed) {
      error = name + ": " + error;
      return false;
    }
    (name == "listen" ? config.listen : config.http) = *parsed;
  } else if (name == "federation-listen" || name == "tls-listen" || name == "stun-listen") {
    auto parsed = parse_listen_address(value, error);
    if (!parsed) {
      error = name + ": " + error;
      return false;
    }
    (name == "tls-listen"    ? config.tls_listen
     : name == "stun-listen" ? config.stun_listen
                             : config.federation_listen) = *parsed;
  } else if (name == "cluster-redis" || name == "cluster-advertise") {
    auto parsed = base::parse_host_port(value, &error);
    if (!parsed || parsed->host.empty() || parsed->port == 0) {
      error = name + ": expected HOST:PORT" + (parsed ? "" : " (" + error + ")");
      return false;
    }
    (name == "cluster-redis" ? config.cluster_redis : config.cluster_advertise) = *parsed;
  } else if (name == "cluster-redis-user") {
    if (!is_redis_name(value, 128, false)) {
      error = "cluster-redis-user: expected a Redis ACL user name";
      return false;
    }
    config.cluster_redis_user = value;
  } else if (name == "cluster-redis-password-file") {
    if (!read_password(value, config.cluster_redis_password, error)) return false;
  } else if (name == "cluster-prefix") {
    if (!is_redis_name(value, 32, true)) {
      error = "cluster-prefix: expected 1 to 32 of A-Z a-z 0-9 _ - .";
      return false;
    }
    config.cluster_prefix = value;
  } else if (name == "peer") {
    // In the key file, several relays are separated by ';'.
    gchar **entries = g_strsplit(value.c_str(), ";", -1);
    bool ok = true;
    for (gchar **entry = entries; ok && *entry != nullptr; ++entry) {
      auto peer = parse_peer(g_strstrip(*entry), error);
      if (peer) config.peers.push_back(*peer);
      ok = peer.has_value();
    }
    g_strfreev(entries);
    if (!ok) return false;
  } else if (name == "cert") {
    config.certificate_file = value;
  } else if (name == "key") {
    config.private_key_file = value;
  } else if (name == "database") {
    config.database = value;
  } else if (name == "auth-url") {
    config.auth_url = value;
  } else if (name == "max-connections") {
    int n = std::atoi(value.c_str());
    if (n <= 0) {
      error = "max-connections: expected a positive number";
      return false;
    }
    config.max_connections = static_cast<size_t>(n);
  } else if (name == "max-waiting-per-address") {
    int n = std::atoi(value.c_str());
    if (n <= 0) {
      error = "max-waiting-per-address: expected a positive number";
      return false;
    }
    config.max_waiting_per_address = static_cast<size_t>(n);
  } else {
    error = "unknown setting '" + name + "'";
    return false;
  }
  return true;
}

bool load_key_file(Config &config, const char *path, std::string &error) {
  std::unique_ptr<GKeyFile, decltype(&g_key_file_free)> file(g_key_file_new(), g_key_file_free);
  GError *gerror = nullptr;
  if (!g_key_file_load_from_file(file.get(), path, G_KEY_FILE_NONE, &gerror)) {
    error = std::string(path) + ": " + gerror->message;
    g_error_free(gerror);
    return false;
  }
  gsize count = 0;
  gchar **keys = g_key_file_get_keys(file.get(), "signald", &count, nullptr);
  bool ok = true;
  for (gsize i = 0; ok && i < count; ++i) {
    gchar *value = g_key_file_get_string(file.get(), "signald", keys[i], nullptr);
    ok = apply(config, keys[i], value ? value : "", error);
    if (!ok) error = std::string(path) + ": " + error;
    g_free(value);
  }
  g_strfreev(keys);
  return ok;
}

}  // namespace

std::optional<Config> parse_config(int argc, char **argv, std::string &error, std::string &help) {
  Flags flags;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &flags.config, "Key file with a [signald] group",
       "FILE"},
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &flags.listen,
       "QUIC address for clients (default 0.0.0.0:4433)", "HOST:PORT"},
      {"http", 0, 0, G_OPTION_ARG_STRING, &flags.http,
       "HTTP API and metrics address (default 127.0.0.1:8480)", "HOST:PORT"},
      {"cert", 0, 0, G_OPTION_ARG_FILENAME, &flags.certificate,
       "TLS certificate (PEM); without it a self-signed one is made once and kept beside the "
       "database",
       "FILE"},
      {"key", 0, 0, G_OPTION_ARG_FILENAME, &flags.key, "TLS private key (PEM)", "FILE"},
      {"database", 'd', 0, G_OPTION_ARG_FILENAME, &flags.database,
       "SQLite database (default wzp-signald.db)", "FILE"},
      {"auth-url", 0, 0, G_OPTION_ARG_STRING, &flags.auth_url,
       "Validate each client's bearer token by POSTing it here", "URL"},
      {"max-connections", 0, 0, G_OPTION_ARG_INT, &flags.max_connections,
       "Most simultaneous client connections (default 1024)", "N"},
      {"max-waiting-per-address", 0, 0, G_OPTION_ARG_INT, &flags.max_waiting_per_address,
       "Most connections from one address (IPv6: one /64) not yet logged in (default 8)", "N"},
      {"tls-listen", 0, 0, G_OPTION_ARG_STRING, &flags.tls_listen,
       "TLS (WebSocket over HTTPS) address for clients whose network blocks UDP, with the "
       "same certificate (off without it; clients try port 443)",
       "HOST:PORT"},
      {"stun-listen", 0, 0, G_OPTION_ARG_STRING, &flags.stun_listen,
       "UDP address answering STUN Binding requests, a second view of each client's NAT "
       "mapping beside the QUIC port's (off without it)",
       "HOST:PORT"},
      {"federation-listen", 0, 0, G_OPTION_ARG_STRING, &flags.federation_listen,
       "QUIC address for links from other relays (federation is off without it)", "HOST:PORT"},
      {"peer", 0, 0, G_OPTION_ARG_STRING_ARRAY, &flags.peers,
       "A relay to federate with (repeat for more)", "HOST:PORT,CERT_SHA256,IDENTITY"},
      {"cluster-redis", 0, 0, G_OPTION_ARG_STRING, &flags.cluster_redis,
       "Be a node of the cluster whose shared state is in this Redis", "HOST:PORT"},
      {"cluster-advertise", 0, 0, G_OPTION_ARG_STRING, &flags.cluster_advertise,
       "The federation address other nodes reach this one at (default: --federation-listen)",
       "HOST:PORT"},
      {"cluster-redis-user", 0, 0, G_OPTION_ARG_STRING, &flags.cluster_redis_user,
       "The Redis ACL user to sign in as (default: Redis's default user)", "NAME"},
      {"cluster-redis-password-file", 0, 0, G_OPTION_ARG_FILENAME,
       &flags.cluster_redis_password_file,
       "The Redis password, on one line (or in the environment: WZP_CLUSTER_REDIS_PASSWORD)",
       "FILE"},
      {"cluster-prefix", 0, 0, G_OPTION_ARG_STRING, &flags.cluster_prefix,
       "The start of every Redis key of the cluster, so clusters can share a Redis "
       "(default wzp)",
       "NAME"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &flags.version, "Print the version and exit", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  // The help text's "Usage:" line names the program; GLib only learns it
  // while parsing, which --help skips.
  if (g_get_prgname() == nullptr) g_set_prgname("wzp-signald");
  std::unique_ptr<GOptionContext, decltype(&g_option_context_free)> context(
      g_option_context_new("- wzp signaling daemon"), g_option_context_free);
  g_option_context_add_main_entries(context.get(), entries, nullptr);
  g_option_context_set_help_enabled(context.get(), FALSE);
  for (int i = 1; i < argc; ++i) {
    if (g_strcmp0(argv[i], "--help") == 0 || g_strcmp0(argv[i], "-h") == 0) {
      gchar *text = g_option_context_get_help(context.get(), TRUE, nullptr);
      help = text;
      g_free(text);
      return std::nullopt;
    }
    if (g_strcmp0(argv[i], "--version") == 0) {
      help = std::string("wzp-signald ") + base::version() + "\n";
      return std::nullopt;
    }
  }
  GError *gerror = nullptr;
  if (!g_option_context_parse(context.get(), &argc, &argv, &gerror)) {
    error = gerror->message;
    g_error_free(gerror);
    return std::nullopt;
  }
  if (argc > 1) {
    error = std::string("unexpected argument '") + argv[1] + "'";
    return std::nullopt;
  }

  Config config;
  if (flags.config && !load_key_file(config, flags.config, error)) return std::nullopt;
  const std::pair<const char *, gchar *> overrides[] = {
      {"listen", flags.listen},
      {"http", flags.http},
      {"cert", flags.certificate},
      {"key", flags.key},
      {"database", flags.database},
      {"auth-url", flags.auth_url},
      {"federation-listen", flags.federation_listen},
      {"tls-listen", flags.tls_listen},
      {"stun-listen", flags.stun_listen},
      {"cluster-redis", flags.cluster_redis},
      {"cluster-advertise", flags.cluster_advertise},
      {"cluster-redis-user", flags.cluster_redis_user},
      {"cluster-redis-password-file", flags.cluster_redis_password_file},
      {"cluster-prefix", flags.cluster_prefix}};
  for (const auto &[name, value] : overrides) {
    if (value && !apply(config, name, value, error)) return std::nullopt;
  }
  if (flags.peers != nullptr) {
    config.peers.clear();  // the flags replace the key file's list
    for (gchar **peer = flags.peers; *peer != nullptr; ++peer) {
      if (!apply(config, "peer", *peer, error)) return std::nullopt;
    }
  }
  if (flags.max_connections != 0 &&
      !apply(config, "max-connections", std::to_string(flags.max_connections), error)) {
    return std::nullopt;
  }
  if (flags.max_waiting_per_address != 0 &&
      !apply(config, "max-waiting-per-address", std::to_string(flags.max_waiting_per_address),
             error)) {
    return std::nullopt;
  }
  if (!config.peers.empty() && !config.federation_listen) {
    error = "--peer needs --federation-listen";
    return std::nullopt;
  }
  if (config.cluster_redis && !config.federation_listen) {
    error = "--cluster-redis needs --federation-listen (nodes link over federation)";
    return std::nullopt;
  }
  if (config.cluster_redis && !config.peers.empty()) {
    // A node passes nothing on (its links are a full mesh), which a relay
    // reached through it would need.
    error = "--peer and --cluster-redis do not mix: a cluster's nodes find each other in Redis";
    return std::nullopt;
  }
  if (!config.cluster_redis && (config.cluster_advertise || !config.cluster_redis_user.empty() ||
                                !config.cluster_redis_password.empty() ||
                                config.cluster_prefix != Config{}.cluster_prefix)) {
    error = std::string(
        "--cluster-advertise, --cluster-redis-user, the Redis password and "
        "--cluster-prefix need --cluster-redis");
    return std::nullopt;
  }
  // A password file wins over the environment.
  if (config.cluster_redis && config.cluster_redis_password.empty()) {
    if (const char *password = g_getenv(kRedisPasswordEnv); password && *password) {
      config.cluster_redis_password = password;
    }
  }
  if (!config.cluster_redis_user.empty() && config.cluster_redis_password.empty()) {
    error =
        std::string("--cluster-redis-user needs a password (--cluster-redis-password-file or ") +
        kRedisPasswordEnv + ")";
    return std::nullopt;
  }
  if (config.cluster_redis && !config.cluster_advertise) {
    const std::string &host = config.federation_listen->host;
    if (host.empty() || host == "0.0.0.0" || host == "::") {
      error = "--cluster-redis with a wildcard --federation-listen needs --cluster-advertise";
      return std::nullopt;
    }
  }
  if (config.certificate_file.empty() != config.private_key_file.empty()) {
    error = "--cert and --key go together";
    return std::nullopt;
  }
  return config;
}

}  // namespace wzp::signald
