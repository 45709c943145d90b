// `wzp room` as three users run it: the real wzp-signald and three real wzp
// processes with their own identities, each sending its own tone into the
// same room (joined by one invite) and recording the mix. Each recording
// must hold the other two tones (and not its own, nor noise); a squatter who
// pre-created the room's name with an allow-list locks nobody out; an
// eavesdropper who joins the room's id (as the relay could let anyone do)
// with a card that cannot prove the room secret gets the forwarded packets
// but never a key; after one member leaves, the other two hear each other on
// rotated keys and no longer the leaver.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <numbers>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "libwzp/crypto/member_card.hpp"
#include "libwzp/crypto/room_access.hpp"
#include "libwzp/signal/session.hpp"
#include "tests/integration/client/audio_compare.hpp"
#include "tests/integration/client/clients_fixture.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/process.hpp"
#include "tests/support/signald_daemon.hpp"

namespace wzp::test {
namespace {

using namespace std::chrono_literals;

const std::map<std::string, double> kTones = {{"alice", 500}, {"bob", 1100}, {"carol", 1900}};

// Power of one frequency (Goertzel), per sample.
double tone_power(const std::vector<float> &samples, int rate, double frequency) {
  double coefficient = 2.0 * std::cos(2.0 * std::numbers::pi * frequency / rate);
  double s1 = 0, s2 = 0;
  for (float sample : samples) {
    double s0 = sample + coefficient * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  double power = s1 * s1 + s2 * s2 - coefficient * s1 * s2;
  return power / (static_cast<double>(samples.size()) * samples.size());
}

// Packets a member dropped for want of a key after the room's first second,
// counted as the room sweep does (bench/live/room_sweep.py): from the second
// status line after the last member's join to the last status line (`no
// key` is cumulative). None when the output has no such lines.
std::optional<uint64_t> no_key_after_first_second(const std::string &output, size_t members) {
  const std::regex full("^joined: .* \\(" + std::to_string(members) + " in the room\\)");
  const std::regex no_key("^room .*, no key (\\d+),");
  std::vector<uint64_t> counts;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) {
    std::smatch count;
    if (std::regex_search(line, full)) {
      counts.clear();
    } else if (std::regex_search(line, count, no_key)) {
      counts.push_back(std::stoull(count[1]));
    }
  }
  if (counts.size() < 2) return std::nullopt;
  return counts.back() - counts[1];
}

class ClientRoom : public ClientsWithDaemon {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("client-room");
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    for (const auto &[who, tone] : kTones) {
      write_tone(dir_ / (who + ".wav"), tone);
      ASSERT_NO_FATAL_FAILURE(make_identity(who));
    }
  }

  // Every member joins with the same invite, as one member would have
  // handed it to the others.
  const crypto::RoomInvite invite_ = crypto::new_room_invite("ops");

  std::unique_ptr<ChildProcess> join(const std::string &who, std::string &fingerprint,
                                     std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {"room",
                                     "join",
                                     crypto::format_room_invite(invite_),
                                     "--in",
                                     (dir_ / (who + ".wav")).string(),
                                     "--out",
                                     (dir_ / ("at_" + who + ".wav")).string()};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    auto member = std::make_unique<ChildProcess>(build_binary("client/wzp"), args, env(who));
    const std::regex signed_in_as("signed in to .* as ([0-9a-f:]+)");
    auto signed_in = member->wait_for_line(signed_in_as, 20s);
    std::string output;
    for (const auto &line : member->lines()) output += line + "\n";
    EXPECT_TRUE(signed_in) << who << ":\n" << output;
    std::smatch m;
    if (signed_in && std::regex_search(*signed_in, m, signed_in_as)) fingerprint = m[1];
    EXPECT_TRUE(member->wait_for_line(std::regex("in room ops as sender"), 20s));
    return member;
  }
};

TEST_F(ClientRoom, ThreeMembersHearEachOtherOutsiderGetsNoKeyLeaverIsGone) {
  signal::SessionConfig config;
  config.port = daemon_->quic_port();
  config.server_fingerprint = daemon_->certificate();
  std::string error;
  // Someone who guessed the name "ops" pre-creates, with an allow-list of
  // its own, every room id the name alone gives: Warzone's room hash and the
  // open room. The members' room id comes from the invite's secret, so
  // nobody is locked out.
  // (One room per connection: a squatter per room.)
  std::vector<std::unique_ptr<signal::Session>> squatters;
  for (const std::string &room :
       {crypto::hash_room_name("ops"), crypto::open_room_access("ops").hex_id()}) {
    crypto::Identity squat = crypto::Identity::generate();
    auto squatter = signal::Session::connect(config, squat, error);
    ASSERT_NE(squatter, nullptr) << error;
    uint64_t id = squatter->next_request_id();
    squatter->send(signal::RoomJoin{room, {crypto::format_fingerprint(squat.fingerprint())}}, id);
    auto reply = squatter->wait_reply(id, 5s);
    ASSERT_TRUE(reply && std::holds_alternative<signal::Ok>(reply->message));
    squatters.push_back(std::move(squatter));
  }

  std::map<std::string, std::string> fingerprints;
  std::map<std::string, std::unique_ptr<ChildProcess>> members;
  // Bob pads his packets to 64-byte classes (wzpencrypt padding): the relay
  // routes them and the others hear him as well.
  for (const auto &[who, tone] : kTones) {
    members[who] =
        join(who, fingerprints[who],
             who == "bob" ? std::vector<std::string>{"--pad", "64"} : std::vector<std::string>{});
  }
  for (const auto &[who, member] : members) {
    for (const auto &[other, fingerprint] : fingerprints) {
      if (other == who) continue;
      EXPECT_TRUE(member->wait_for_line(std::regex("hearing " + fingerprint), 20s))
          << who << " never heard " << other;
    }
  }
  // The squatted rooms stayed the squatters' own: nobody else joined them.
  for (auto &squatter : squatters) {
    while (auto received = squatter->next(0ms)) {
      auto *event = std::get_if<signal::RoomEvent>(&received->message);
      EXPECT_TRUE(event == nullptr || event->fingerprint == squatter->welcome().fingerprint)
          << "someone joined a squatted room";
    }
  }

  // An eavesdropper in the members' room (the relay could let anyone in
  // that knows the room id, which it sees) who sends a card of its own: it
  // cannot prove the room secret, so the members' packets reach it and their
  // keys do not, and each member says so.
  crypto::Identity eve = crypto::Identity::generate();
  auto eavesdropper = signal::Session::connect(config, eve, error);
  ASSERT_NE(eavesdropper, nullptr) << error;
  std::atomic<uint64_t> datagrams{0};
  eavesdropper->set_datagram_handler([&](std::span<const uint8_t>) { ++datagrams; });
  const std::string room_id = crypto::room_access(invite_).hex_id();
  eavesdropper->send(signal::RoomJoin{room_id, {}});
  crypto::RoomAccess guess = crypto::room_access(crypto::new_room_invite("ops"));
  guess.id = crypto::room_id_of(room_id);
  eavesdropper->send(signal::RoomSignal{room_id, "", "", crypto::make_member_card(eve, guess, 1)});
  size_t cards = 0, sender_keys = 0;
  for (auto until = std::chrono::steady_clock::now() + 4s;
       std::chrono::steady_clock::now() < until;) {
    auto received = eavesdropper->next(100ms);
    auto *relayed = received ? std::get_if<signal::RoomSignal>(&received->message) : nullptr;
    if (relayed == nullptr) continue;
    auto kind = crypto::room_payload_kind(relayed->payload);
    cards += kind == crypto::RoomPayload::kMemberCard;
    sender_keys += kind == crypto::RoomPayload::kSenderKey;
  }
  for (const auto &[who, member] : members) {
    EXPECT_TRUE(member->wait_for_line(
        std::regex("relay announced " + crypto::format_fingerprint(eve.fingerprint()) +
                   ", who could not prove the room secret: not sent our key"),
        5s))
        << who << " did not flag the eavesdropper";
  }
  EXPECT_GT(datagrams.load(), 100u);
  EXPECT_EQ(cards, 3u);
  EXPECT_EQ(sender_keys, 0u);
  eavesdropper->close();
  // All three talking, the outsider gone: each member's once-a-second status
  // says so five times (4 s), so Carol's recording ends in seconds of
  // everyone.
  std::map<std::string, size_t> mark;
  for (const auto &[who, member] : members) mark[who] = member->line_count();
  for (const auto &[who, member] : members) {
    EXPECT_TRUE(
        member->wait_for_lines(std::regex("2 others, hearing 2, 2 playing"), 5, mark[who], 20s))
        << who << " does not play both others";
  }

  // Carol leaves; Alice and Bob rotate their keys and talk on.
  std::map<std::string, std::string> outputs;
  auto leave = [&](const std::string &who) {
    ChildProcess &member = *members[who];
    member.signal(SIGINT);
    auto status = member.wait_exit(30s);
    ASSERT_TRUE(member.wait_output_closed(5s));
    for (const auto &line : member.lines()) outputs[who] += line + "\n";
    ASSERT_TRUE(status && WIFEXITED(*status)) << outputs[who];
    EXPECT_EQ(WEXITSTATUS(*status), 0) << outputs[who];
    EXPECT_NE(outputs[who].find("members heard         2"), std::string::npos) << outputs[who];
    // The summary says, per member heard, what its branch played.
    std::regex playout(
        "sender id \\d+: played ([1-9]\\d*) \\(FEC \\d+\\), concealed \\d+, "
        "delay \\d+ ms");
    auto heard_lines =
        std::distance(std::sregex_iterator(outputs[who].begin(), outputs[who].end(), playout),
                      std::sregex_iterator());
    EXPECT_EQ(heard_lines, 2) << outputs[who];
  };
  leave("carol");
  for (const char *who : {"alice", "bob"}) {
    EXPECT_TRUE(members[who]->wait_for_line(std::regex("left: " + fingerprints["carol"]), 10s));
    mark[who] = members[who]->line_count();
  }
  // Alice and Bob talk on without her for 4 s (five status lines each), so
  // their recordings end in seconds on the rotated keys.
  for (const char *who : {"alice", "bob"}) {
    EXPECT_TRUE(members[who]->wait_for_lines(std::regex("1 others, hearing \\d+, 1 playing"), 5,
                                             mark[who], 20s))
        << who << " does not play the one other";
  }
  leave("alice");
  leave("bob");

  // Each recording's last seconds: Carol's with everyone, the others' after
  // she left (on the keys rotated when she did).
  for (const auto &[who, tone] : kTones) {
    auto recording = read_wav(dir_ / ("at_" + who + ".wav"));
    ASSERT_TRUE(recording) << outputs[who];
    int rate = recording->rate;
    ASSERT_GT(recording->samples.size(), static_cast<size_t>(5 * rate)) << outputs[who];
    std::vector<float> last(recording->samples.end() - 7 * rate / 2,
                            recording->samples.end() - rate / 2);
    double noise = tone_power(last, rate, 3100);
    std::map<std::string, double> power;
    double weakest_present = 1e9;
    for (const auto &[other, other_tone] : kTones) {
      power[other] = tone_power(last, rate, other_tone);
      bool present = other != who && (who == "carol" || other != "carol");
      if (present) weakest_present = std::min(weakest_present, power[other]);
    }
    for (const auto &[other, other_tone] : kTones) {
      bool present = other != who && (who == "carol" || other != "carol");
      std::printf("%s: %s's tone at %.1f dB of the weakest member heard\n", who.c_str(),
                  other.c_str(), 10 * std::log10(power[other] / weakest_present));
      if (present) {
        // A clear tone, far above a frequency nobody sent.
        EXPECT_GT(power[other], 100 * noise + 1e-4) << who << " does not hear " << other << "\n"
                                                    << outputs[who];
      } else {
        EXPECT_LT(power[other], 1e-3 * weakest_present) << who << " hears " << other << "\n"
                                                        << outputs[who];
      }
    }
  }
}

// `--seconds` ends the stay on its own: the member leaves, its recording
// ends and it exits cleanly (the --seconds timer fired, so it must not be
// removed again: that was a GLib critical, fatal here, on every such exit).
TEST_F(ClientRoom, AMemberLeavesByItselfAfterSeconds) {
  std::map<std::string, std::string> fingerprints;
  auto alice = join("alice", fingerprints["alice"], {"--seconds", "1"});
  auto bob = join("bob", fingerprints["bob"], {"--seconds", "1"});
  for (auto *member : {alice.get(), bob.get()}) {
    auto status = member->wait_exit(30s);
    ASSERT_TRUE(member->wait_output_closed(5s));
    std::string output;
    for (const auto &line : member->lines()) output += line + "\n";
    ASSERT_TRUE(status && WIFEXITED(*status)) << output;
    EXPECT_EQ(WEXITSTATUS(*status), 0) << output;
    EXPECT_NE(output.find("left                  --seconds ended"), std::string::npos) << output;
    EXPECT_EQ(output.find("CRITICAL"), std::string::npos) << output;
  }
}

// The daemon's tier for the room follows what its weakest member reports:
// Alice's path to the relay takes 1100 ms each way, an RTT not even the
// room's starting tier (degraded) allows, so the reports her packets carry
// make the daemon step the room down, and both members are told. (Delay rather than loss: under
// loss the signaling stream currently fails, see docs/rooms.md.)
TEST_F(ClientRoom, TheDaemonStepsTheRoomDownForASlowMember) {
  std::map<std::string, std::string> fingerprints;
  auto alice = join("alice", fingerprints["alice"], {"--network", "delay=1100ms"});
  auto bob = join("bob", fingerprints["bob"]);
  auto lines_of = [](ChildProcess &member) {
    std::string output;
    for (const auto &line : member.lines()) output += line + "\n";
    return output;
  };
  ASSERT_TRUE(alice->wait_for_line(std::regex("hearing " + fingerprints["bob"]), 30s))
      << lines_of(*alice);
  ASSERT_TRUE(bob->wait_for_line(std::regex("hearing " + fingerprints["alice"]), 30s))
      << lines_of(*bob);
  std::regex stepped_down("tier catastrophic \\(");
  auto at_bob = bob->wait_for_line(stepped_down, 40s);
  auto at_alice = alice->wait_for_line(stepped_down, 10s);
  for (auto *member : {alice.get(), bob.get()}) {
    member->signal(SIGINT);
    auto status = member->wait_exit(30s);
    EXPECT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0);
  }
  std::string output = lines_of(*bob) + lines_of(*alice);
  ASSERT_TRUE(at_bob) << output;
  ASSERT_TRUE(at_alice) << output;
  std::printf("bob: %s\nalice: %s\n", at_bob->c_str(), at_alice->c_str());
  // The summary's history has the directed tier after the starting one.
  EXPECT_TRUE(
      std::regex_search(output, std::regex("tier history +degraded \\(start\\); catastrophic")))
      << output;
}

// Issue 19: Carol reaches the relay over the room sweep's lossy path
// (bench/live/room_sweep.py: 30 % bursty loss, 150 +/- 20 ms, 200 kbit/s).
// Each member's summary must show every other member heard mostly from
// real data, and the room's tier must change at most once in its ~32 s
// (the path does not change). The bounds are the sweep's numbers with a
// margin (docs/rooms.md: clean from clean 100 %, clean from Carol
// 97.6-98.3 %, Carol from clean 92.7-94.6 %), not goals. No member may
// drop a packet for want of a key after the room's first second.
TEST_F(ClientRoom, AMemberBehindBurstyLossIsHeardAndTheTierHoldsStill) {
  std::map<std::string, std::string> fingerprints;
  std::map<std::string, std::unique_ptr<ChildProcess>> members;
  // Carol first, and talking until Alice and Bob have left, so the three
  // are together for Alice's and Bob's 30 s however long they take to
  // join: the room is at catastrophic from her first second or two (her
  // leg, as the relay counts it), and her leaving or falling silent first
  // would raise it again, a change that is not the path's. (Alone, she is
  // not taken as silent.) Signing in over this path fails in some runs (the
  // daemon's auth_timeout; docs/rooms.md, "Loss on the signaling
  // connection"), which is not what this test is about: up to three tries,
  // each on another seed, as the sweep does.
  constexpr uint32_t kCarolsSeconds = 120;  // an upper bound: she is interrupted
  write_tone(dir_ / "carol.wav", kTones.at("carol"), kCarolsSeconds);
  for (int attempt = 0; attempt < 3 && !members["carol"]; ++attempt) {
    auto carol = std::make_unique<ChildProcess>(
        build_binary("client/wzp"),
        std::vector<std::string>{
            "room", "join", crypto::format_room_invite(invite_), "--in",
            (dir_ / "carol.wav").string(), "--out", (dir_ / "at_carol.wav").string(), "--seconds",
            std::to_string(kCarolsSeconds), "--network",
            "loss=0.3,burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms,seed=" +
                std::to_string(3 + 10 * attempt)},
        env("carol"));
    if (carol->wait_for_line(std::regex("in room ops as sender"), 60s)) {
      members["carol"] = std::move(carol);
    } else {
      std::printf("carol's try %d did not get in\n", attempt + 1);
      carol->stop();
    }
  }
  ASSERT_TRUE(members["carol"]) << "carol never got into the room";
  members["alice"] = join("alice", fingerprints["alice"], {"--seconds", "30"});
  members["bob"] = join("bob", fingerprints["bob"], {"--seconds", "30"});
  std::map<std::string, std::string> outputs;
  std::map<std::string, uint32_t> sender_ids;
  for (auto &[who, member] : members) {  // alice, bob, then carol
    if (who == "carol") member->signal(SIGINT);
    auto status = member->wait_exit(90s);
    ASSERT_TRUE(member->wait_output_closed(5s));
    for (const auto &line : member->lines()) outputs[who] += line + "\n";
    ASSERT_TRUE(status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << outputs[who];
    std::smatch id;
    ASSERT_TRUE(std::regex_search(outputs[who], id, std::regex("in room ops as sender (\\d+)")));
    sender_ids[who] = static_cast<uint32_t>(std::stoul(id[1]));
  }
  for (const auto &[hearer, output] : outputs) {
    for (const auto &[speaker, id] : sender_ids) {
      if (speaker == hearer) continue;
      std::smatch heard;
      ASSERT_TRUE(std::regex_search(
          output, heard,
          std::regex("sender id " + std::to_string(id) +
                     ": played (\\d+) \\(FEC (\\d+)\\), concealed (\\d+), delay (\\d+) ms")))
          << hearer << " has no line for " << speaker << ":\n"
          << output;
      const double played = std::stod(heard[1]), concealed = std::stod(heard[3]);
      const double real = 100 * played / (played + concealed);
      const double bound = hearer == "carol" ? 80 : speaker == "carol" ? 90 : 99;
      std::printf("%s hears %s: %.2f %% real (played %s, FEC %s, concealed %s, delay %s ms)\n",
                  hearer.c_str(), speaker.c_str(), real, heard[1].str().c_str(),
                  heard[2].str().c_str(), heard[3].str().c_str(), heard[4].str().c_str());
      EXPECT_GE(real, bound) << hearer << " hearing " << speaker;
    }
    std::smatch history;
    ASSERT_TRUE(std::regex_search(output, history, std::regex("tier history +(.*)")));
    const std::string tiers = history[1];
    const auto changes = std::count(tiers.begin(), tiers.end(), ';') - 1;
    std::printf("%s: tier history %s\n", hearer.c_str(), tiers.c_str());
    EXPECT_LE(changes, 1) << hearer << ": " << tiers;
    // Keys are in place before a member's first packets run out of their
    // hold (docs/rooms.md, "Keys under loss"): nothing is dropped for want
    // of a key after the room's first second, Carol's included.
    const auto no_key = no_key_after_first_second(output, 3);
    ASSERT_TRUE(no_key) << hearer << " printed no status after the room filled:\n" << output;
    std::printf("%s: no key after the first second: %llu\n", hearer.c_str(),
                static_cast<unsigned long long>(*no_key));
    EXPECT_EQ(*no_key, 0u) << hearer << ":\n" << output;
    // Each key also went in datagrams (docs/PROTOCOL.md, "Key datagrams"):
    // 5 copies to each of the other two, and copies of theirs came.
    std::smatch keys;
    ASSERT_TRUE(std::regex_search(output, keys,
                                  std::regex("key datagrams +(\\d+) sent; received: (\\d+) "
                                             "taken, (\\d+) repeated, (\\d+) refused")))
        << hearer << ":\n"
        << output;
    std::printf("%s: %s\n", hearer.c_str(), keys[0].str().c_str());
    EXPECT_GE(std::stoul(keys[1]), 10u) << hearer;
    EXPECT_GE(std::stoul(keys[2]) + std::stoul(keys[3]), 2u) << hearer;
  }
}

}  // namespace
}  // namespace wzp::test
