// `wzp call` against daemons that lie: a real wzp process, a real QUIC
// daemon. A lookup the daemon answers with someone else is refused before
// anything rings; text a peer sends reaches the terminal defused.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/wait.h>

#include <cctype>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/quic/endpoint.hpp"
#include "libwzp/signal/message.hpp"
#include "libwzp/signal/session.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

// A daemon that logs its users in properly (it holds the certificate they
// pinned) and then answers every lookup with `impostor`. Call offers are
// recorded and refused, so a call that gets that far ends at once.
class LyingDaemon {
 public:
  explicit LyingDaemon(std::string impostor) : impostor_(std::move(impostor)) {
    quic::EndpointConfig config;
    config.bind_address = "127.0.0.1";
    config.accept_connections = true;
    config.tls.alpn = {"wzp-signal/1"};
    std::string error;
    endpoint_ = quic::Endpoint::create(
        config,
        [this](const std::shared_ptr<quic::Connection> &connection) {
          quic::ConnectionHandlers handlers;
          std::weak_ptr<quic::Connection> weak = connection;
          handlers.on_message = [this, weak](std::span<const uint8_t> bytes) {
            if (auto c = weak.lock()) {
              on_message(
                  *c, signal::parse({reinterpret_cast<const char *>(bytes.data()), bytes.size()}));
            }
          };
          return handlers;
        },
        error);
    EXPECT_TRUE(endpoint_) << error;
  }
  uint16_t port() const { return endpoint_ ? endpoint_->local_port() : 0; }
  std::string certificate() const { return endpoint_ ? endpoint_->fingerprint() : ""; }
  // The callees of the call offers it received.
  std::vector<std::string> offered_to() {
    std::lock_guard lock(mutex_);
    return offered_to_;
  }

 private:
  static void send(quic::Connection &to, const signal::Message &message,
                   std::optional<uint64_t> request_id = std::nullopt) {
    std::string text = signal::serialize(message, request_id);
    to.send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
  }
  void on_message(quic::Connection &from, const signal::Parsed &parsed) {
    if (!parsed.message) return;
    std::lock_guard lock(mutex_);
    const signal::Message &message = *parsed.message;
    if (auto *hello = std::get_if<signal::Hello>(&message)) {
      user_key_ = hello->public_key;
      randombytes_buf(nonce_.data(), nonce_.size());
      send(from, signal::Challenge{nonce_, "1111:1111:1111:1111:1111:1111:1111:1111"});
    } else if (auto *auth = std::get_if<signal::Auth>(&message)) {
      if (!crypto::verify_signature(user_key_,
                                    signal::auth_transcript(nonce_, endpoint_->fingerprint()),
                                    auth->signature)) {
        send(from, signal::Error{"bad_signature", "", std::nullopt});
        return;
      }
      send(from, signal::Welcome{crypto::format_fingerprint(crypto::fingerprint_of(user_key_)),
                                 std::nullopt});
      send(from, signal::PresenceList{});
    } else if (auto *resolve = std::get_if<signal::AliasResolve>(&message)) {
      send(from, signal::AliasResolved{resolve->query, impostor_, "bob"}, parsed.request_id);
    } else if (auto *offer = std::get_if<signal::CallOffer>(&message)) {
      offered_to_.push_back(offer->callee);
      send(from, signal::Error{"unknown_callee", "", offer->call_id});
    }
  }

  std::string impostor_;
  std::unique_ptr<quic::Endpoint> endpoint_;
  std::mutex mutex_;
  signal::PublicKey user_key_{};
  signal::Nonce nonce_{};
  std::vector<std::string> offered_to_;
};

struct Outcome {
  int exit_code = -1;
  std::string output;
};

class ClientRelayTrust : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_GE(sodium_init(), 0);
    dir_ = make_temp_dir("client-relay-trust");
    ChildProcess id(build_binary("client/wzp"), {"id", "new"}, env("", ""));
    auto status = id.wait_exit(30s);
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::map<std::string, std::string> env(const std::string &server, const std::string &pin) const {
    return {{"WZP_IDENTITY", (dir_ / "alice.id").string()},
            {"WZP_PASSPHRASE", "pass of alice"},
            {"WZP_SERVER", server},
            {"WZP_SERVER_FINGERPRINT", pin},
            {"GST_PLUGIN_PATH", (build_dir() / "gst-plugins").string()},
            {"G_DEBUG", "fatal-criticals"}};
  }
  Outcome call(const std::string &callee, uint16_t port, const std::string &pin) {
    ChildProcess alice(build_binary("client/wzp"), {"call", callee},
                       env("127.0.0.1:" + std::to_string(port), pin));
    Outcome outcome;
    auto status = alice.wait_exit(60s);
    EXPECT_TRUE(alice.wait_output_closed(5s));
    for (const auto &line : alice.lines()) outcome.output += line + "\n";
    if (status && WIFEXITED(*status)) outcome.exit_code = WEXITSTATUS(*status);
    return outcome;
  }

  std::filesystem::path dir_;
};

TEST_F(ClientRelayTrust, AFullFingerprintResolvedToSomeoneElseIsNotCalled) {
  auto bob = crypto::Identity::generate();
  auto mallory = crypto::Identity::generate();
  std::string mallory_fingerprint = crypto::format_fingerprint(mallory.fingerprint());
  LyingDaemon daemon(mallory_fingerprint);
  ASSERT_NE(daemon.port(), 0);

  auto full =
      call(crypto::format_fingerprint(bob.fingerprint()), daemon.port(), daemon.certificate());
  EXPECT_EQ(full.exit_code, 1) << full.output;
  EXPECT_NE(full.output.find("which is not the fingerprint asked for"), std::string::npos)
      << full.output;
  // A prefix, typed without colons and in upper case, is held to the same.
  std::string bob_prefix =
      *signal::fingerprint_digits(crypto::format_fingerprint(bob.fingerprint()));
  for (char &c : bob_prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto prefix = call(bob_prefix.substr(0, 10), daemon.port(), daemon.certificate());
  EXPECT_EQ(prefix.exit_code, 1) << prefix.output;
  EXPECT_NE(prefix.output.find("which is not the fingerprint asked for"), std::string::npos)
      << prefix.output;
  EXPECT_TRUE(daemon.offered_to().empty());

  // Asked for mallory's own prefix, the same answer is believed and called.
  auto honest = call(mallory_fingerprint.substr(0, 9), daemon.port(), daemon.certificate());
  EXPECT_EQ(honest.exit_code, 1) << honest.output;
  EXPECT_NE(honest.output.find("unknown callee"), std::string::npos) << honest.output;
  EXPECT_EQ(daemon.offered_to(), std::vector<std::string>{mallory_fingerprint});
}

TEST_F(ClientRelayTrust, AHangupReasonCannotDriveTheCallersTerminal) {
  auto daemon_dir = dir_ / "daemon";
  std::filesystem::create_directories(daemon_dir);
  SignaldDaemon daemon(daemon_dir);
  ASSERT_TRUE(daemon.ready());
  signal::SessionConfig config;
  config.port = daemon.quic_port();
  config.server_fingerprint = daemon.certificate();
  auto mallory = crypto::Identity::generate();
  std::string error;
  auto session = signal::Session::connect(config, mallory, error);
  ASSERT_TRUE(session) << error;
  uint64_t claim = session->next_request_id();
  session->send(signal::AliasClaim{"mallory"}, claim);
  auto claimed = session->wait_reply(claim, 5s);
  ASSERT_TRUE(claimed && std::holds_alternative<signal::Ok>(claimed->message));

  // Clear the screen, retitle the window, then fake a line of our own.
  const std::string reason = "\x1b[2J\x1b]0;owned\x07\rwzp call: connected to bob";
  std::thread hang_up([&] {
    for (auto deadline = std::chrono::steady_clock::now() + 30s;
         std::chrono::steady_clock::now() < deadline;) {
      auto received = session->next(200ms);
      if (!received) continue;
      if (auto *offer = std::get_if<signal::CallOffer>(&received->message)) {
        session->send(signal::CallHangup{offer->call_id, reason});
        return;
      }
    }
  });
  auto outcome = call("@mallory", daemon.quic_port(), daemon.certificate());
  hang_up.join();
  EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
  EXPECT_EQ(outcome.output.find('\x1b'), std::string::npos) << outcome.output;
  EXPECT_EQ(outcome.output.find('\x07'), std::string::npos) << outcome.output;
  EXPECT_EQ(outcome.output.find('\r'), std::string::npos) << outcome.output;
  EXPECT_NE(outcome.output.find("the call ended: \\x1b[2J\\x1b]0;owned\\x07\\x0dwzp call"),
            std::string::npos)
      << outcome.output;
}

}  // namespace
}  // namespace wzp::test
