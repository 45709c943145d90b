// `wzp call` and `wzp room` against daemons that lie: a real wzp process, a
// real QUIC daemon. A lookup the daemon answers with someone else is refused
// before anything rings, and one it can fake (an @alias, a short prefix) is
// called only after saying whom the daemon chose; text a peer sends reaches
// the terminal defused; a room member the relay invents gets no sender key.
#include <gtest/gtest.h>
#include <sodium.h>
#include <sys/wait.h>

#include <cctype>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/crypto/room_membership.hpp"
#include "libwzp/quic/endpoint.hpp"
#include "libwzp/signal/message.hpp"
#include "libwzp/signal/session.hpp"
#include "tests/integration/client/audio_compare.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

// A daemon that logs its users in properly (it holds the certificate they
// pinned) and hands every later message, with the signed-in user's key, to
// `answer`, on its I/O thread and under its lock.
class FakeDaemon {
 public:
  using Answer = std::function<void(quic::Connection &, const signal::Parsed &,
                                    const signal::PublicKey &user)>;
  explicit FakeDaemon(Answer answer) : answer_(std::move(answer)) {
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
  std::mutex &mutex() { return mutex_; }

  static void send(quic::Connection &to, const signal::Message &message,
                   std::optional<uint64_t> request_id = std::nullopt) {
    std::string text = signal::serialize(message, request_id);
    to.send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
  }

 private:
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
    } else {
      answer_(from, parsed, user_key_);
    }
  }

  Answer answer_;
  std::unique_ptr<quic::Endpoint> endpoint_;
  std::mutex mutex_;
  signal::PublicKey user_key_{};
  signal::Nonce nonce_{};
};

// Answers every lookup with `impostor`. Call offers are recorded and
// refused, so a call that gets that far ends at once.
class LyingDaemon {
 public:
  explicit LyingDaemon(std::string impostor)
      : impostor_(std::move(impostor)),
        daemon_([this](quic::Connection &from, const signal::Parsed &parsed,
                       const signal::PublicKey &) {
          if (auto *resolve = std::get_if<signal::AliasResolve>(&*parsed.message)) {
            FakeDaemon::send(from, signal::AliasResolved{resolve->query, impostor_, "bob"},
                             parsed.request_id);
          } else if (auto *offer = std::get_if<signal::CallOffer>(&*parsed.message)) {
            offered_to_.push_back(offer->callee);
            FakeDaemon::send(from, signal::Error{"unknown_callee", "", offer->call_id});
          }
        }) {}
  uint16_t port() const { return daemon_.port(); }
  std::string certificate() const { return daemon_.certificate(); }
  // The callees of the call offers it received.
  std::vector<std::string> offered_to() {
    std::lock_guard lock(daemon_.mutex());
    return offered_to_;
  }

 private:
  std::string impostor_;
  std::vector<std::string> offered_to_;
  FakeDaemon daemon_;  // last: its thread may call back as soon as it exists
};

// A relay that runs a room for the one real `wzp room` that joins it and
// announces two more members in it: planted identities whose side of the
// room the relay plays itself with a RoomMembership each, so whatever the
// real member sends them is opened as a member's client would.
class RoomRelay {
 public:
  // Makes a planted member's membership once the room id is known.
  using Join = std::function<std::unique_ptr<crypto::RoomMembership>(const std::string &room)>;
  struct Planted {
    const crypto::Identity *identity = nullptr;
    Join join;
  };
  explicit RoomRelay(std::vector<Planted> planted)
      : planted_(std::move(planted)),
        daemon_([this](quic::Connection &from, const signal::Parsed &parsed,
                       const signal::PublicKey &user) { on_message(from, parsed, user); }) {
    members_.resize(planted_.size());
  }
  uint16_t port() const { return daemon_.port(); }
  std::string certificate() const { return daemon_.certificate(); }
  // The room id the real member joined.
  std::string room() {
    std::lock_guard lock(daemon_.mutex());
    return room_;
  }
  // Sender key messages the real member addressed to planted member `i`.
  size_t sender_keys_to(size_t i) {
    std::lock_guard lock(daemon_.mutex());
    return members_[i].sender_keys;
  }
  // Whether planted member `i` can open the real member's packets.
  bool can_read_user(size_t i) {
    std::lock_guard lock(daemon_.mutex());
    return members_[i].membership &&
           members_[i].membership->can_read(crypto::fingerprint_of(user_));
  }

 private:
  struct Member {
    std::unique_ptr<crypto::RoomMembership> membership;
    size_t sender_keys = 0;
  };
  std::string fingerprint(size_t i) const {
    return crypto::format_fingerprint(planted_[i].identity->fingerprint());
  }
  // What planted member `i` says goes to the real member.
  void deliver(quic::Connection &to, size_t i, const crypto::MembershipStep &step) {
    for (const auto &out : step.send) {
      if (out.to && *out.to != crypto::fingerprint_of(user_)) continue;
      FakeDaemon::send(to, signal::RoomSignal{room_, fingerprint(i), "", out.payload});
    }
  }
  void on_message(quic::Connection &from, const signal::Parsed &parsed,
                  const signal::PublicKey &user) {
    if (auto *join = std::get_if<signal::RoomJoin>(&*parsed.message)) {
      FakeDaemon::send(from, signal::Ok{}, parsed.request_id);
      room_ = join->room;
      user_ = user;
      auto participants = static_cast<uint32_t>(planted_.size() + 1);
      for (size_t i = 0; i < planted_.size(); ++i) {
        members_[i].membership = planted_[i].join(room_);
        const crypto::Identity &who = *planted_[i].identity;
        members_[i].membership->on_event(who.fingerprint(), true, who.signing_public_key());
        FakeDaemon::send(from, signal::RoomEvent{room_, fingerprint(i), true, participants,
                                                 who.signing_public_key()});
      }
      FakeDaemon::send(
          from, signal::RoomEvent{room_, crypto::format_fingerprint(crypto::fingerprint_of(user_)),
                                  true, participants, user_});
      for (size_t i = 0; i < planted_.size(); ++i) {
        deliver(from, i,
                members_[i].membership->on_event(crypto::fingerprint_of(user_), true, user_));
      }
    } else if (auto *said = std::get_if<signal::RoomSignal>(&*parsed.message)) {
      for (size_t i = 0; i < planted_.size(); ++i) {
        if (!said->to.empty() && said->to != fingerprint(i)) continue;
        if (crypto::room_payload_kind(said->payload) == crypto::RoomPayload::kSenderKey) {
          ++members_[i].sender_keys;
        }
        deliver(from, i,
                members_[i].membership->on_signal(crypto::fingerprint_of(user_), said->payload));
      }
    }
  }

  std::vector<Planted> planted_;
  std::vector<Member> members_;
  std::string room_;
  signal::PublicKey user_{};
  FakeDaemon daemon_;  // last: its thread may call back as soon as it exists
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
    return run({"call", callee}, port, pin);
  }
  // `wzp ARGS` as alice, against the daemon on `port`.
  Outcome run(const std::vector<std::string> &args, uint16_t port, const std::string &pin) {
    ChildProcess alice(build_binary("client/wzp"), args,
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
  EXPECT_EQ(full.output.find("daemon's word"), std::string::npos) << full.output;
  // A prefix, typed without colons and in upper case, is held to the same:
  // the 16 digits that are checked, and fewer, which are checked as far as
  // they go.
  std::string bob_prefix =
      *signal::fingerprint_digits(crypto::format_fingerprint(bob.fingerprint()));
  for (char &c : bob_prefix) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  for (size_t digits : {size_t{16}, size_t{10}}) {
    auto prefix = call(bob_prefix.substr(0, digits), daemon.port(), daemon.certificate());
    EXPECT_EQ(prefix.exit_code, 1) << prefix.output;
    EXPECT_NE(prefix.output.find("which is not the fingerprint asked for"), std::string::npos)
        << prefix.output;
  }
  EXPECT_TRUE(daemon.offered_to().empty());

  // Asked for 16 digits of mallory's own, the same answer is believed and
  // called, and nothing says it is the daemon's word.
  auto honest = call(mallory_fingerprint.substr(0, 19), daemon.port(), daemon.certificate());
  EXPECT_EQ(honest.exit_code, 1) << honest.output;
  EXPECT_NE(honest.output.find("unknown callee"), std::string::npos) << honest.output;
  EXPECT_EQ(honest.output.find("daemon's word"), std::string::npos) << honest.output;
  EXPECT_EQ(daemon.offered_to(), std::vector<std::string>{mallory_fingerprint});
}

// A short prefix checks little: a lying daemon grinds a fingerprint that
// starts with the same 4 digits as Bob's in about 65536 tries. The client
// cannot tell it from Bob's, so it says, before anything rings, that the
// daemon chose the callee and which fingerprint it chose.
TEST_F(ClientRelayTrust, AShortPrefixIsTheDaemonsWord) {
  auto bob = crypto::Identity::generate();
  const std::string bob_fingerprint = crypto::format_fingerprint(bob.fingerprint());
  // The lookup answer is only a fingerprint, so random "keys" do for the
  // grind here; a daemon that also wants to answer the call generates a
  // real key per try, the same number of tries.
  std::string impostor;
  do {
    crypto::SigningPublicKey key;
    randombytes_buf(key.data(), key.size());
    impostor = crypto::format_fingerprint(crypto::fingerprint_of(key));
  } while (impostor.substr(0, 4) != bob_fingerprint.substr(0, 4) || impostor == bob_fingerprint);
  LyingDaemon daemon(impostor);
  ASSERT_NE(daemon.port(), 0);

  auto ground = call(bob_fingerprint.substr(0, 4), daemon.port(), daemon.certificate());
  EXPECT_EQ(ground.exit_code, 1) << ground.output;
  EXPECT_EQ(daemon.offered_to(), std::vector<std::string>{impostor});
  const std::string warning = "'" + bob_fingerprint.substr(0, 4) +
                              "' is the daemon's word (an @alias, or a prefix of fewer than 16 "
                              "hex digits, which it can match with a key of its own): it named " +
                              impostor + "; hang up unless";
  auto warned = ground.output.find(warning);
  EXPECT_NE(warned, std::string::npos) << ground.output;
  EXPECT_LT(warned, ground.output.find("calling ")) << ground.output;

  // 15 digits are the daemon's word too, and an @alias is.
  std::string impostor_digits = *signal::fingerprint_digits(impostor);
  for (const std::string &callee : {impostor_digits.substr(0, 15), std::string("@bob")}) {
    auto outcome = call(callee, daemon.port(), daemon.certificate());
    EXPECT_EQ(outcome.exit_code, 1) << outcome.output;
    EXPECT_NE(outcome.output.find("'" + callee + "' is the daemon's word"), std::string::npos)
        << outcome.output;
  }
  EXPECT_EQ(daemon.offered_to().size(), 3u);
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

// Issue 13: the relay decides who is in a room. Here it announces, next to
// Bob (a member who holds the invite), Mallory, an identity of its own that
// knows the room id (the relay sees it) but not the room secret. A member's
// client sends its sender key to Bob and not to Mallory, and says so.
TEST_F(ClientRelayTrust, ARoomMemberTheRelayInventsGetsNoSenderKey) {
  auto bob = crypto::Identity::generate();
  auto mallory = crypto::Identity::generate();
  const crypto::RoomInvite invite = crypto::new_room_invite("ops");
  RoomRelay relay(
      {{&bob,
        [&](const std::string &) {
          return std::make_unique<crypto::RoomMembership>(bob, crypto::room_access(invite), 1);
        }},
       {&mallory, [&](const std::string &room) {
          // All the relay knows is the room id it was asked to join;
          // the proof key it has to guess.
          crypto::RoomAccess guess = crypto::room_access(crypto::new_room_invite("ops"));
          guess.id = crypto::room_id_of(room);
          return std::make_unique<crypto::RoomMembership>(mallory, guess, 1);
        }}});
  ASSERT_NE(relay.port(), 0);
  write_tone(dir_ / "alice.wav", 700);
  auto alice = run({"room", "join", crypto::format_room_invite(invite), "--seconds", "4", "--in",
                    (dir_ / "alice.wav").string(), "--out", (dir_ / "heard.wav").string()},
                   relay.port(), relay.certificate());
  const std::string &output = alice.output;
  ASSERT_EQ(alice.exit_code, 0) << output;

  // The relay saw the room's id, derived from the secret: not the name's hash.
  EXPECT_EQ(relay.room(), crypto::room_access(invite).hex_id());
  EXPECT_NE(relay.room(), crypto::hash_room_name("ops"));
  const std::string bob_fingerprint = crypto::format_fingerprint(bob.fingerprint());
  const std::string mallory_fingerprint = crypto::format_fingerprint(mallory.fingerprint());
  EXPECT_GE(relay.sender_keys_to(0), 1u) << output;
  EXPECT_TRUE(relay.can_read_user(0)) << output;
  EXPECT_NE(output.find("member " + bob_fingerprint + " proved the room secret"), std::string::npos)
      << output;
  EXPECT_NE(output.find("hearing " + bob_fingerprint), std::string::npos) << output;
  EXPECT_EQ(relay.sender_keys_to(1), 0u) << output;
  EXPECT_FALSE(relay.can_read_user(1)) << output;
  EXPECT_NE(output.find("relay announced " + mallory_fingerprint +
                        ", who could not prove the room secret: not sent our key"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("member " + mallory_fingerprint + " proved"), std::string::npos) << output;
  EXPECT_NE(output.find("(1 cards without proof of the room secret)"), std::string::npos) << output;
  // Its status lines count Bob, and Mallory only as the relay's word.
  EXPECT_NE(output.find(": 1 others, 1 announced without a valid card, hearing 1"),
            std::string::npos)
      << output;
}

// An open room (--open) is what its warning says: a relay that guesses the
// name admits a member of its own, who gets the key.
TEST_F(ClientRelayTrust, InAnOpenRoomTheRelayCanAddAMember) {
  auto mallory = crypto::Identity::generate();
  RoomRelay relay({{&mallory, [&](const std::string &) {
                      return std::make_unique<crypto::RoomMembership>(
                          mallory, crypto::open_room_access("friday standup"), 1);
                    }}});
  ASSERT_NE(relay.port(), 0);
  write_tone(dir_ / "alice.wav", 700);
  auto alice = run({"room", "join", "--open", "friday standup", "--seconds", "3", "--in",
                    (dir_ / "alice.wav").string(), "--out", (dir_ / "heard.wav").string()},
                   relay.port(), relay.certificate());
  const std::string &output = alice.output;
  ASSERT_EQ(alice.exit_code, 0) << output;
  EXPECT_NE(output.find("an open room: the relay can add members"), std::string::npos) << output;
  EXPECT_EQ(relay.room(), crypto::open_room_access("friday standup").hex_id());
  EXPECT_GE(relay.sender_keys_to(0), 1u) << output;
  EXPECT_TRUE(relay.can_read_user(0)) << output;
}

}  // namespace
}  // namespace wzp::test
