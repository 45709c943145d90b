// End-to-end room forwarding: the real wzp-signald process, real QUIC
// clients on loopback (one libwzp/quic endpoint holding every participant's
// connection, each logged in with its own identity and joined to one room),
// speakers sending one wzp packet (full header, 60-byte payload) every 20 ms.
// Peer in the same run: a plain UDP forwarder process (recvfrom, then one
// sendto per other member: the floor of any forwarder, without QUIC, crypto
// or room checks) fed the same packets at the same pace from plain sockets.
// For each stack: datagrams delivered per second and the forwarder
// process's CPU per delivered datagram (/proc/<pid>/task/*/schedstat), and
// the ratio.
//
// Usage: bench_signald_quic [seconds per case, default 3]
#include <sodium.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "bench/signald/udp_fanout.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/quic/endpoint.hpp"
#include "libwzp/signal/message.hpp"
#include "libwzp/wire/header.hpp"
#include "tests/support/paths.hpp"
#include "tests/support/signald_daemon.hpp"

namespace {

using namespace wzp;
using namespace std::chrono_literals;

constexpr auto kFrame = 20ms;
constexpr size_t kPayload = 60;
const std::string kRoom = "00112233445566778899aabbccddeeff";

// CPU seconds the process's threads have run so far, from each thread's
// schedstat (nanoseconds; /proc/<pid>/stat counts only in 10 ms ticks).
double process_cpu_seconds(pid_t pid) {
  uint64_t total_ns = 0;
  std::error_code error;
  for (const auto &task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    std::ifstream schedstat(task.path() / "schedstat");
    uint64_t on_cpu_ns = 0;
    if (schedstat >> on_cpu_ns) total_ns += on_cpu_ns;
  }
  return static_cast<double>(total_ns) / 1e9;
}

std::vector<uint8_t> media_packet(uint32_t stream, uint32_t sequence) {
  wire::MediaHeader header;
  header.codec = wire::codec::kOpus;
  header.stream_id = stream;
  header.sequence = sequence;
  std::vector<uint8_t> packet(wire::kMaxPacketSize);
  packet.resize(wire::write_full(header, nullptr, packet));
  packet.insert(packet.end(), kPayload, 0x5a);
  return packet;
}

struct Result {
  double delivered_per_s = 0;
  double expected_per_s = 0;
  double cpu_us_per_datagram = 0;
};

// One room of QUIC participants in the real daemon.
class QuicRoom {
 public:
  QuicRoom(const test::SignaldDaemon &daemon, size_t participants)
      : certificate_(daemon.certificate()) {
    quic::EndpointConfig config;
    config.bind_address = "127.0.0.1";
    config.tls.server_fingerprint = daemon.certificate();
    config.tls.alpn = {"wzp-signal/1"};
    config.max_connections = participants + 1;
    std::string error;
    endpoint_ = quic::Endpoint::create(config, nullptr, error);
    if (!endpoint_) throw std::runtime_error("client endpoint: " + error);
    members_ = std::vector<Member>(participants);
    for (auto &member : members_) {
      member.connection = endpoint_->dial("127.0.0.1", daemon.quic_port(), handlers(member), error);
      if (!member.connection || !member.connection->wait_established(10s)) {
        throw std::runtime_error("cannot connect to wzp-signald: " + error);
      }
      member.connection->send_message(
          text(signal::Hello{member.identity.signing_public_key(), std::nullopt, "bench"}));
    }
    for (int i = 0; i < 500 && joined_ < participants; ++i) std::this_thread::sleep_for(20ms);
    if (joined_ < participants) throw std::runtime_error("participants did not all join");
  }

  uint64_t delivered() const { return delivered_; }
  void send(size_t speaker, uint32_t sequence) {
    members_[speaker].connection->send_datagram(
        media_packet(static_cast<uint32_t>(speaker), sequence));
  }

 private:
  struct Member {
    crypto::Identity identity = crypto::Identity::generate();
    std::shared_ptr<quic::Connection> connection;
  };

  static std::vector<uint8_t> text(const signal::Message &message) {
    std::string serialized = signal::serialize(message, std::nullopt);
    return {serialized.begin(), serialized.end()};
  }

  // Runs on the endpoint's I/O thread: the login and join conversation.
  quic::ConnectionHandlers handlers(Member &member) {
    quic::ConnectionHandlers h;
    h.on_message = [this, &member](std::span<const uint8_t> bytes) {
      auto parsed = signal::parse({reinterpret_cast<const char *>(bytes.data()), bytes.size()});
      if (!parsed.message) return;
      if (auto *challenge = std::get_if<signal::Challenge>(&*parsed.message)) {
        auto transcript = signal::auth_transcript(challenge->nonce, certificate_);
        member.connection->send_message(text(signal::Auth{member.identity.sign(transcript)}));
      } else if (std::holds_alternative<signal::Welcome>(*parsed.message)) {
        member.connection->send_message(text(signal::RoomJoin{kRoom, {}}));
      } else if (auto *event = std::get_if<signal::RoomEvent>(&*parsed.message)) {
        if (event->joined &&
            event->fingerprint == crypto::format_fingerprint(member.identity.fingerprint())) {
          ++joined_;
        }
      }
    };
    h.on_datagram = [this](std::span<const uint8_t>) {
      delivered_.fetch_add(1, std::memory_order_relaxed);
    };
    return h;
  }

  std::string certificate_;  // the pin, which logins sign
  std::unique_ptr<quic::Endpoint> endpoint_;
  std::vector<Member> members_;
  std::atomic<size_t> joined_{0};
  std::atomic<uint64_t> delivered_{0};
};

// Sends `speakers` packets every 20 ms for `duration`, then lets the last
// ones drain, and measures the forwarder's CPU over the whole span.
template <typename SendFn, typename DeliveredFn>
Result drive(pid_t forwarder, size_t participants, size_t speakers,
             std::chrono::milliseconds duration, SendFn send, DeliveredFn delivered) {
  const uint64_t before = delivered();
  const double cpu_before = process_cpu_seconds(forwarder);
  const auto start = std::chrono::steady_clock::now();
  auto next = start;
  uint32_t sequence = 0;
  while (next - start < duration) {
    for (size_t speaker = 0; speaker < speakers; ++speaker) send(speaker, sequence);
    ++sequence;
    next += kFrame;
    std::this_thread::sleep_until(next);
  }
  std::this_thread::sleep_for(300ms);  // the last packets' copies arrive
  const double cpu = process_cpu_seconds(forwarder) - cpu_before;
  const double seconds = std::chrono::duration<double>(duration).count();
  const auto count = static_cast<double>(delivered() - before);
  Result result;
  result.delivered_per_s = count / seconds;
  result.expected_per_s = static_cast<double>(sequence * speakers * (participants - 1)) / seconds;
  result.cpu_us_per_datagram = count > 0 ? cpu * 1e6 / count : 0;
  return result;
}

}  // namespace

int main(int argc, char **argv) {
  const auto duration = std::chrono::milliseconds(argc > 1 ? std::atoi(argv[1]) * 1000 : 3000);
  if (duration <= 0ms) {
    std::fprintf(stderr, "usage: %s [seconds per case]\n", argv[0]);
    return 2;
  }
  if (sodium_init() < 0) return 1;
  if (getenv("WZP_BUILD_DIR") == nullptr) setenv("WZP_BUILD_DIR", WZP_BENCH_BUILD_DIR, 1);

  std::printf("room forwarding, %lld ms per case, one %zu-byte packet per speaker every 20 ms\n",
              static_cast<long long>(duration.count()), media_packet(0, 0).size());
  std::printf("%-14s %12s %12s %10s %12s %12s %10s %8s\n", "case", "expected/s", "wzp dgram/s",
              "wzp us/dg", "udp dgram/s", "udp us/dg", "wzp cpu", "ratio");
  const std::pair<size_t, size_t> cases[] = {{2, 1},   {2, 2},  {10, 1}, {10, 3},
                                             {10, 10}, {50, 1}, {50, 3}, {50, 50}};
  for (auto [participants, speakers] : cases) {
    auto dir = test::make_temp_dir("bench-signald");
    Result quic, udp;
    try {
      // Every participant dials from 127.0.0.1 at once, before any logs in.
      test::SignaldDaemon daemon(dir,
                                 {"--max-waiting-per-address", std::to_string(participants + 1)});
      if (!daemon.ready()) throw std::runtime_error("wzp-signald did not start");
      QuicRoom room(daemon, participants);
      quic = drive(
          daemon.process().pid(), participants, speakers, duration,
          [&](size_t s, uint32_t seq) { room.send(s, seq); }, [&] { return room.delivered(); });
    } catch (const std::exception &e) {
      std::fprintf(stderr, "%zu/%zu: %s\n", participants, speakers, e.what());
      std::filesystem::remove_all(dir);
      return 1;
    }
    std::filesystem::remove_all(dir);
    {
      bench::UdpFanout fanout(participants);
      udp = drive(
          fanout.forwarder_pid(), participants, speakers, duration,
          [&](size_t s, uint32_t seq) {
            fanout.send(s, media_packet(static_cast<uint32_t>(s), seq));
          },
          [&] { return fanout.delivered(); });
    }
    char name[32];
    std::snprintf(name, sizeof name, "room%zu/speak%zu", participants, speakers);
    // CPU share of one core the daemon used while forwarding.
    double cpu_share = quic.cpu_us_per_datagram * quic.delivered_per_s / 1e6;
    std::printf(
        "%-14s %12.0f %12.0f %10.2f %12.0f %12.2f %9.0f%% %8.2f\n", name, quic.expected_per_s,
        quic.delivered_per_s, quic.cpu_us_per_datagram, udp.delivered_per_s,
        udp.cpu_us_per_datagram, 100 * cpu_share,
        quic.cpu_us_per_datagram > 0 ? udp.cpu_us_per_datagram / quic.cpu_us_per_datagram : 0.0);
    std::fflush(stdout);
  }
  std::printf("ratio = udp CPU per datagram / wzp CPU per datagram (above 1: wzp is cheaper)\n");
  return 0;
}
