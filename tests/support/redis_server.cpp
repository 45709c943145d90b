#include "tests/support/redis_server.hpp"

#include "tests/support/paths.hpp"

namespace wzp::test {

using namespace std::chrono_literals;

RedisServer::RedisServer(const std::filesystem::path &dir, uint16_t port,
                         std::vector<std::string> config)
    : port_(port != 0 ? port : free_tcp_port()) {
  std::filesystem::create_directories(dir);
  std::vector<std::string> args{
      "--port", std::to_string(port_), "--bind", "127.0.0.1",   "--dir", dir.string(), "--save",
      "",       "--appendonly",        "no",     "--daemonize", "no",    "--logfile",  ""};
  args.insert(args.end(), config.begin(), config.end());
  process_ = std::make_unique<ChildProcess>("/usr/bin/redis-server", std::move(args));
  ready_ = process_->wait_for_line(std::regex("Ready to accept connections"), 10s).has_value();
}

std::string RedisServer::cli(const std::vector<std::string> &args) const {
  std::vector<std::string> all{"-h", "127.0.0.1", "-p", std::to_string(port_)};
  if (!user_.empty()) all.insert(all.end(), {"--user", user_});
  all.insert(all.end(), args.begin(), args.end());
  // The password in the environment: redis-cli warns of one on its command line.
  std::map<std::string, std::string> env;
  if (!password_.empty()) env["REDISCLI_AUTH"] = password_;
  ChildProcess cli("/usr/bin/redis-cli", all, env);
  cli.wait_exit(10s);
  cli.wait_output_closed(5s);
  std::string out;
  for (const auto &line : cli.lines()) out += (out.empty() ? "" : "\n") + line;
  return out;
}

}  // namespace wzp::test
