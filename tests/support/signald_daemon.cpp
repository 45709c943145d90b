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
  std::filesystem::path program = build_binary("signald/wzp-signald");
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
  ready_ = true;
}

}  // namespace wzp::test
