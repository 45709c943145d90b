// Forwarded datagrams per second and CPU per datagram for rooms of 2, 10 and
// 50 participants with 1, 3 or all speaking, on loopback: the daemon core
// (header check, room lookup, quality report, fan-out) sending each copy with
// sendto() to a local UDP socket, against a bare loop of the same sendto()
// calls ("udp_fanout": the floor any forwarder pays). And signal messages
// per second through the core against a bare nlohmann parse + dump, and
// the core's time for an alias claim and release (the fsync is not its).
//
// Anchors from other SFUs (not run here): mediasoup ~500 consumers per core;
// Jitsi Videobridge 1,000+ streams at ~20 % of a 4-core Xeon.
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>

#include "libwzp/crypto/identity.hpp"
#include "libwzp/wire/header.hpp"
#include "signald/core/server.hpp"

namespace {

const std::string kCertificateSha256(64, 'c');  // what the benched core claims and clients sign

using namespace wzp;
using namespace wzp::signald;

// A UDP socket nobody reads, on loopback: sendto() does the kernel work of a
// real send; the receiver's buffer overflowing only drops copies.
class LoopbackSink {
 public:
  LoopbackSink() {
    receiver_ = socket(AF_INET, SOCK_DGRAM, 0);
    sender_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(receiver_, reinterpret_cast<sockaddr *>(&addr), sizeof addr);
    socklen_t len = sizeof target_;
    getsockname(receiver_, reinterpret_cast<sockaddr *>(&target_), &len);
  }
  ~LoopbackSink() {
    close(receiver_);
    close(sender_);
  }
  void send(std::span<const uint8_t> bytes) {
    sendto(sender_, bytes.data(), bytes.size(), MSG_DONTWAIT,
           reinterpret_cast<const sockaddr *>(&target_), sizeof target_);
  }

 private:
  int receiver_ = -1, sender_ = -1;
  sockaddr_in target_{};
};

class BenchOutbox : public Outbox {
 public:
  void send(ConnectionId to, const signal::Message &message, std::optional<uint64_t>) override {
    if (auto *challenge = std::get_if<signal::Challenge>(&message)) challenges[to] = *challenge;
  }
  void close(ConnectionId, const std::string &) override {}
  void forward(ConnectionId, std::span<const uint8_t> datagram) override { sink.send(datagram); }

  std::map<ConnectionId, signal::Challenge> challenges;
  LoopbackSink sink;
};

struct Daemon {
  Daemon() {
    dir =
        std::filesystem::temp_directory_path() / ("wzp-bench-signald-" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string error;
    store = Store::open(dir / "bench.db", error);
    writer = std::make_unique<StoreWriter>(Store::open(dir / "bench.db", error), [] {});
    ServerSettings settings;
    settings.messages_per_second = 1e12;  // measure the work, not the limiter
    settings.message_burst = 1e12;
    server =
        std::make_unique<Server>(outbox, *store, *writer, "0000:0000:0000:0000:0000:0000:0000:0000",
                                 kCertificateSha256, nullptr, settings);
  }
  ~Daemon() {
    server.reset();
    writer.reset();
    store.reset();
    std::filesystem::remove_all(dir);
  }
  ConnectionId login() {
    auto identity = crypto::Identity::generate();
    ConnectionId conn = next++;
    server->on_connect(conn, "127.0.0.1:1", now);
    server->on_message(
        conn, signal::serialize(signal::Hello{identity.signing_public_key(), {}, ""}), now);
    const auto &challenge = outbox.challenges[conn];
    server->on_message(conn,
                       signal::serialize(signal::Auth{identity.sign(
                           signal::auth_transcript(challenge.nonce, kCertificateSha256))}),
                       now);
    return conn;
  }

  std::filesystem::path dir;
  BenchOutbox outbox;
  std::unique_ptr<Store> store;
  std::unique_ptr<StoreWriter> writer;
  std::unique_ptr<Server> server;
  Now now{std::chrono::steady_clock::now(), 1700000000};
  ConnectionId next = 1;
};

std::vector<uint8_t> media_packet(uint32_t stream) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = stream;
  auto report = wire::QualityReport::from(0.02, 120, 15, 300);
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, &report, packet));
  packet.resize(packet.size() + 60 + 16, 0x5a);  // a 20 ms Opus frame, sealed
  return packet;
}

void set_rates(benchmark::State &state, int64_t forwarded_per_iteration) {
  state.SetItemsProcessed(state.iterations() * forwarded_per_iteration);
  state.counters["cpu_ns_per_datagram"] =
      benchmark::Counter(static_cast<double>(state.iterations() * forwarded_per_iteration),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void room_forward_wzp(benchmark::State &state) {
  const auto participants = static_cast<size_t>(state.range(0));
  const auto speakers = static_cast<size_t>(state.range(1));
  Daemon daemon;
  const std::string room(32, 'a');
  std::vector<ConnectionId> conns;
  for (size_t i = 0; i < participants; ++i) {
    conns.push_back(daemon.login());
    daemon.server->on_message(conns.back(), signal::serialize(signal::RoomJoin{room, {}}),
                              daemon.now);
  }
  std::vector<std::vector<uint8_t>> packets;
  for (size_t s = 0; s < speakers; ++s) packets.push_back(media_packet(static_cast<uint32_t>(s)));
  // Each iteration is one 20 ms frame of each speaker's, within its budget.
  SteadyTime now = daemon.now.steady;
  for (auto _ : state) {
    now += std::chrono::milliseconds(20);
    for (size_t s = 0; s < speakers; ++s) daemon.server->on_datagram(conns[s], packets[s], now);
  }
  if (daemon.server->counters().datagrams_forwarded == 0) state.SkipWithError("nothing forwarded");
  const auto policed =
      daemon.server->counters().drops[static_cast<size_t>(DropReason::kOverBudget)];
  if (policed > 0) state.SkipWithError("honest speakers were policed");
  set_rates(state, static_cast<int64_t>(speakers * (participants - 1)));
}

void room_forward_udp_fanout(benchmark::State &state) {
  const auto participants = static_cast<size_t>(state.range(0));
  const auto speakers = static_cast<size_t>(state.range(1));
  LoopbackSink sink;
  std::vector<std::vector<uint8_t>> packets;
  for (size_t s = 0; s < speakers; ++s) packets.push_back(media_packet(static_cast<uint32_t>(s)));
  for (auto _ : state) {
    for (size_t s = 0; s < speakers; ++s) {
      for (size_t p = 0; p < participants; ++p) {
        if (p != s) sink.send(packets[s]);
      }
    }
  }
  set_rates(state, static_cast<int64_t>(speakers * (participants - 1)));
}

void room_args(benchmark::internal::Benchmark *b) {
  for (auto [n, speakers] :
       {std::pair{2, 1}, {2, 2}, {10, 1}, {10, 3}, {10, 10}, {50, 1}, {50, 3}, {50, 50}}) {
    b->Args({n, speakers});
  }
}
BENCHMARK(room_forward_wzp)->Name("room_forward/wzp")->Apply(room_args);
BENCHMARK(room_forward_udp_fanout)->Name("room_forward/udp_fanout")->Apply(room_args);

const std::string kResolve =
    R"({"type":"alias_resolve","version":1,"request_id":7,"query":"@benchmark"})";

void signal_message_wzp(benchmark::State &state) {
  Daemon daemon;
  ConnectionId conn = daemon.login();
  daemon.server->on_message(conn, signal::serialize(signal::AliasClaim{"benchmark"}), daemon.now);
  daemon.writer->wait_until_written();
  for (auto _ : state) daemon.server->on_message(conn, kResolve, daemon.now);
  state.SetItemsProcessed(state.iterations());
}

void signal_message_json(benchmark::State &state) {
  for (auto _ : state) {
    auto doc = nlohmann::json::parse(kResolve);
    benchmark::DoNotOptimize(doc.dump());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(signal_message_wzp)->Name("signal_message/wzp");
BENCHMARK(signal_message_json)->Name("signal_message/nlohmann_roundtrip");

// How long an alias claim and its release hold the core (in the daemon, the
// lock that also forwards media), with the database on disk (issue 13): the
// writer thread syncs meanwhile; sending the replies it has finished is
// counted.
void alias_change_core_time(benchmark::State &state) {
  Daemon daemon;
  ConnectionId conn = daemon.login();
  uint64_t request = 0;
  for (auto _ : state) {
    daemon.server->on_message(conn, signal::serialize(signal::AliasClaim{"churn"}, ++request),
                              daemon.now);
    daemon.server->on_message(conn, signal::serialize(signal::AliasRelease{"churn"}, ++request),
                              daemon.now);
    daemon.server->on_store_written(daemon.now);
  }
  state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(alias_change_core_time)->Name("alias_change/core_time")->UseRealTime();

}  // namespace
