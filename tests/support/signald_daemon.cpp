#include "tests/support/signald_daemon.hpp"

#include <regex>

#include "tests/support/paths.hpp"

namespace wzp::test {

using namespace std::chrono_literals;

SignaldDaemon::SignaldDaemon(const std::filesystem::path &dir, std::vector<std::string> extra_args,
                             std::vector<std::string> launcher,
                             std::map<std::string, std::string> extra_env) {
  std::vector<std::string> args = {"--listen",    "127.0.0.1:0", "--http",
                                   "127.0.0.1:0", "--database",  (dir / "signald.db").string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::filesystem::path program = signald_binary();
  if (!launcher.empty()) {
    args.insert(args.begin(), program.string());
    args.insert(args.begin(), launcher.begin() + 1, launcher.end());
    program = launcher.front();
  }
  extra_env.try_emplace("G_MESSAGES_DEBUG", "wzp-signald");
  process_ = std::make_unique<ChildProcess>(program, args, extra_env);
  static const std::regex kReady(
      R"(wzp-signald ready quic=\S+:(\d+) http=\S+:(\d+) cert_sha256=(\S+) identity=(\S+))");
  auto line = process_->wait_for_line(kReady, 10s);
  if (!line) return;
  std::smatch match;
  std::regex_search(*line, match, kReady);
  quic_port_ = static_cast<uint16_t>(std::stoi(match[1]));
  http_port_ = static_cast<uint16_t>(std::stoi(match[2]));
  certificate_ = match[3];
  identity_ = match[4];
  static const std::regex kTls(R"( tls=\S+:(\d+))");
  if (std::smatch tls; std::regex_search(*line, tls, kTls)) {
    tls_port_ = static_cast<uint16_t>(std::stoi(tls[1]));
  }
  static const std::regex kStun(R"( stun=\S+:(\d+))");
  if (std::smatch stun; std::regex_search(*line, stun, kStun)) {
    stun_port_ = static_cast<uint16_t>(std::stoi(stun[1]));
  }
  ready_ = true;
}

std::vector<std::string> RelaySetup::args() const {
  return {"--cert",
          (dir / "cert.pem").string(),
          "--key",
          (dir / "key.pem").string(),
          "--federation-listen",
          "127.0.0.1:" + std::to_string(federation_port)};
}

std::string RelaySetup::as_peer() const {
  return "127.0.0.1:" + std::to_string(federation_port) + "," + certificate + "," + identity;
}

RelaySetup prepare_relay(const std::filesystem::path &dir) {
  std::filesystem::create_directories(dir);
  RelaySetup relay{dir, free_udp_port()};
  std::string command =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
      "-nodes -days 2 -subj /CN=relay -keyout " +
      (dir / "key.pem").string() + " -out " + (dir / "cert.pem").string() + " 2>/dev/null";
  if (std::system(command.c_str()) != 0) return relay;  // the daemon's start fails and says so
  SignaldDaemon first(dir, relay.args());
  relay.certificate = first.certificate();
  relay.identity = first.identity();
  return relay;
}

}  // namespace wzp::test
