#include <gtest/gtest.h>
#include <sodium.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/media.hpp"
#include "libwzp/quality/room.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/integration/signald_daemon/daemon.hpp"
#include "tests/support/paths.hpp"

namespace wzp::signald::test {
namespace {

using namespace wzp::signal;

const std::string kCanary = "PLAINTEXT-CANARY-never-on-the-server-";

// A media packet as a real sender makes it: full header, payload sealed
// with the room's sender key, the header (and any quality report in it) as
// associated data.
std::vector<uint8_t> sealed_packet(const crypto::EpochKeys &keys, uint32_t stream,
                                   const std::string &plaintext,
                                   const wire::QualityReport *report = nullptr) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = stream;
  header.sequence = 1;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  size_t header_size = wire::write_full(header, report, packet);
  packet.resize(header_size);
  packet.insert(packet.end(), plaintext.begin(), plaintext.end());
  packet.resize(packet.size() + crypto::kTagSize);
  std::span<uint8_t> payload(packet.data() + header_size, plaintext.size());
  crypto::seal(keys, stream, 1, std::span(packet.data(), header_size), payload,
               packet.data() + header_size + plaintext.size());
  return packet;
}

std::optional<std::string> open_packet(const crypto::EpochKeys &keys, std::vector<uint8_t> packet) {
  wire::PacketView view;
  if (wire::parse_full(packet, view) != wire::WireError::kOk) return std::nullopt;
  size_t header_size = view.header_bytes.size();
  size_t text_size = packet.size() - header_size - crypto::kTagSize;
  std::span<uint8_t> payload(packet.data() + header_size, text_size);
  if (!crypto::open(keys, view.header.stream_id, view.header.sequence,
                    std::span(packet.data(), header_size), payload,
                    packet.data() + header_size + text_size)) {
    return std::nullopt;
  }
  return std::string(payload.begin(), payload.end());
}

// Searches every readable, writable mapping of a process for `needle`, in
// bounded chunks. Mappings over 1 GiB are sanitizer shadow reservations, not
// data the daemon wrote.
bool process_memory_contains(pid_t pid, const std::string &needle) {
  constexpr uint64_t kChunk = 1 << 20;
  constexpr uint64_t kMaxMapping = uint64_t{1} << 30;
  std::ifstream maps("/proc/" + std::to_string(pid) + "/maps");
  std::ifstream mem("/proc/" + std::to_string(pid) + "/mem", std::ios::binary);
  std::string line;
  std::vector<char> chunk(kChunk + needle.size());
  while (std::getline(maps, line)) {
    std::istringstream fields(line);
    std::string range, perms;
    fields >> range >> perms;
    if (perms.size() < 2 || perms[0] != 'r' || perms[1] != 'w') continue;
    size_t dash = range.find('-');
    uint64_t begin = std::stoull(range.substr(0, dash), nullptr, 16);
    uint64_t end = std::stoull(range.substr(dash + 1), nullptr, 16);
    if (end - begin > kMaxMapping) continue;
    for (uint64_t at = begin; at < end; at += kChunk) {
      // Overlap chunks by the needle's length so no match straddles a gap.
      uint64_t want = std::min<uint64_t>(end - at, kChunk + needle.size());
      mem.clear();
      mem.seekg(static_cast<std::streamoff>(at));
      mem.read(chunk.data(), static_cast<std::streamsize>(want));
      std::string_view view(chunk.data(), static_cast<size_t>(mem.gcount()));
      if (view.find(needle) != std::string_view::npos) return true;
    }
  }
  return false;
}

TEST(SignaldRooms, ThreePartiesReceiveEachOthersMediaAndTheServerNeverSeesPlaintext) {
  ASSERT_GE(sodium_init(), 0);
  auto dir = wzp::test::make_temp_dir("signald-rooms");
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.ready());
  const std::string room = crypto::hash_room_name("integration-room");
  crypto::TrafficSecret secret;
  randombytes_buf(secret.data(), secret.size());
  const auto keys = crypto::EpochKeys::derive(0, secret);  // never given to the daemon

  std::vector<std::unique_ptr<Client>> clients;
  std::vector<crypto::Identity> identities;
  for (int i = 0; i < 3; ++i) {
    identities.push_back(crypto::Identity::generate());
    clients.push_back(std::make_unique<Client>(daemon));
    ASSERT_TRUE(clients.back()->login(identities.back()));
  }
  clients[0]->send(AliasClaim{"memcanaryalias"}, 1);
  ASSERT_TRUE(clients[0]->wait_for<Ok>());
  for (auto &client : clients) {
    client->send(RoomJoin{room, {}}, 2);
    ASSERT_TRUE(client->wait_for<Ok>());
  }
  // Everyone has seen the third join before media starts.
  for (auto &client : clients) {
    std::optional<RoomEvent> event;
    do {
      event = client->wait_for<RoomEvent>();
      ASSERT_TRUE(event);
    } while (event->participants < 3);
  }

  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(
        clients[i]->send_datagram(sealed_packet(keys, 100 + i, kCanary + std::to_string(i))));
  }
  for (uint32_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(clients[i]->wait_datagrams(2)) << "client " << i;
    std::set<std::string> heard;
    for (const auto &packet : clients[i]->datagrams()) {
      auto text = open_packet(keys, packet);
      ASSERT_TRUE(text) << "a forwarded packet failed authentication";
      heard.insert(*text);
    }
    std::set<std::string> expected;
    for (uint32_t j = 0; j < 3; ++j) {
      if (j != i) expected.insert(kCanary + std::to_string(j));
    }
    EXPECT_EQ(heard, expected);
  }
  auto metrics = daemon.get("/metrics").body;
  EXPECT_NE(metrics.find("wzp_signald_datagrams_forwarded_total 6\n"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("wzp_signald_participants 3\n"), std::string::npos);

  // The scan works (the alias is in the daemon's memory) and finds no
  // plaintext: the daemon only ever held sealed payloads.
  pid_t pid = daemon.process().pid();
  EXPECT_TRUE(process_memory_contains(pid, "memcanaryalias"));
  EXPECT_FALSE(process_memory_contains(pid, kCanary));

  clients[1]->send(RoomLeave{room});
  auto left = clients[0]->wait_for<RoomEvent>();
  ASSERT_TRUE(left);
  EXPECT_FALSE(left->joined);
  EXPECT_EQ(left->fingerprint, fingerprint(identities[1]));
  std::filesystem::remove_all(dir);
}

// The daemon's clock, not the test's, times the room's hold
// (libwzp/quality RoomPolicy): the step down arrives once the lossy member's
// controller has kept it. Recovery takes minutes of such holds; its timing
// is tested without a clock in tests/unit/signald/rooms_test.cpp.
TEST(SignaldRooms, LossyParticipantPullsTheDirectiveDownOnceItsStepHasHeld) {
  ASSERT_GE(sodium_init(), 0);
  auto dir = wzp::test::make_temp_dir("signald-room-quality");
  Daemon daemon(dir);
  ASSERT_TRUE(daemon.ready());
  const std::string room = crypto::hash_room_name("quality-room");
  crypto::TrafficSecret secret;
  randombytes_buf(secret.data(), secret.size());
  const auto keys = crypto::EpochKeys::derive(0, secret);
  const auto lossy_identity = crypto::Identity::generate();
  Client steady(daemon), lossy(daemon);
  ASSERT_TRUE(steady.login(crypto::Identity::generate()));
  ASSERT_TRUE(lossy.login(lossy_identity));
  for (Client *client : {&steady, &lossy}) {
    client->send(RoomJoin{room, {}}, 1);
    ASSERT_TRUE(client->wait_for<Ok>());
  }

  // 60 % loss: the tier libwzp/quality gives that path, once it persists.
  // Reported every 200 ms until the room follows (or well past the hold).
  const auto collapse = wire::QualityReport::from(0.60, 300, 40, 100);
  const quality::Tier floor = quality::classify(quality::PathObservation::from(collapse));
  ASSERT_EQ(floor, quality::Tier::kCatastrophic);
  const auto started = std::chrono::steady_clock::now();
  std::optional<QualityDirective> at_steady;
  while (!at_steady && std::chrono::steady_clock::now() - started < 40s) {
    ASSERT_TRUE(lossy.send_datagram(sealed_packet(keys, 9, "speech", &collapse)));
    at_steady = steady.wait_for<QualityDirective>(200ms);
  }
  ASSERT_TRUE(at_steady);
  EXPECT_GE(std::chrono::steady_clock::now() - started, quality::RoomPolicy{}.member_down_hold);
  auto at_lossy = lossy.wait_for<QualityDirective>();
  ASSERT_TRUE(at_lossy);
  for (const auto &directive : {*at_steady, *at_lossy}) {
    EXPECT_EQ(directive.room, room);
    EXPECT_EQ(directive.tier, floor);
    // Named by its fingerprint's first four bytes.
    EXPECT_EQ(
        directive.reason,
        "weakest link " + crypto::format_fingerprint(lossy_identity.fingerprint()).substr(0, 9));
  }
  EXPECT_FALSE(steady.wait_for<QualityDirective>(500ms)) << "one directive, not a swing";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wzp::signald::test
