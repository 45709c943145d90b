#include "libwzp/nat/port_mapping.hpp"

#include <arpa/inet.h>
#include <miniupnpc/miniupnpc.h>
#include <miniupnpc/upnpcommands.h>
#include <miniupnpc/upnperrors.h>
// Debian builds libnatpmp with strnatpmperr but its header hides it behind this.
#define ENABLE_STRNATPMPERR
#include <natpmp.h>
#include <poll.h>
#include <sodium.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "libwzp/nat/pcp.hpp"

namespace wzp::nat {
namespace {

using Clock = std::chrono::steady_clock;

// What giving a mapping back may cost a hanging-up client at most.
constexpr std::chrono::milliseconds kReleaseWait{300};
// UPnP's error for an external port another client holds, and how many
// ports we ask for before giving up (each an HTTP round trip on the LAN).
constexpr int kConflictInMappingEntry = 718;
constexpr int kUpnpPortsAsked = 4;

// A port of 1024-65535 other than `refused`.
uint16_t random_other_port(uint16_t refused) {
  uint16_t port;
  do {
    port = static_cast<uint16_t>(1024 + randombytes_uniform(65536 - 1024));
  } while (port == refused);
  return port;
}

std::chrono::milliseconds remaining(Clock::time_point deadline) {
  return std::max(std::chrono::milliseconds(0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
}

// Sends nothing itself: waits for the answer to the request `p` has pending,
// letting libnatpmp resend on its schedule (250 ms, doubling), until
// `deadline`. NATPMP_TRYAGAIN when the deadline passed first.
int natpmp_answer(natpmp_t &p, natpmpresp_t &response, Clock::time_point deadline) {
  for (;;) {
    timeval timeout{};
    if (getnatpmprequesttimeout(&p, &timeout) < 0) return NATPMP_ERR_GETTIMEOFDAYERR;
    const auto left = remaining(deadline);
    if (left.count() == 0) return NATPMP_TRYAGAIN;
    const long long wait_us =
        std::min<long long>(timeout.tv_sec * 1000000LL + timeout.tv_usec, left.count() * 1000LL);
    timeval wait{static_cast<time_t>(wait_us / 1000000),
                 static_cast<suseconds_t>(wait_us % 1000000)};
    fd_set fds;
    FD_ZERO(&fds);
    FD_SET(p.s, &fds);
    select(p.s + 1, &fds, nullptr, nullptr, &wait);
    const int r = readnatpmpresponseorretry(&p, &response);
    if (r != NATPMP_TRYAGAIN) return r;
  }
}

class NatPmpMapping final : public PortMapping {
 public:
  NatPmpMapping(natpmp_t handle, uint16_t local_port, TransportAddress external,
                std::chrono::seconds lifetime, std::chrono::seconds requested)
      : handle_(handle), local_port_(local_port), requested_(requested) {
    external_ = external;
    lifetime_ = lifetime;
  }
  ~NatPmpMapping() override {
    // RFC 6886 3.4: a lifetime of 0 deletes the mapping.
    if (sendnewportmappingrequest(&handle_, NATPMP_PROTOCOL_UDP, local_port_, 0, 0) >= 0) {
      natpmpresp_t response;
      natpmp_answer(handle_, response, Clock::now() + kReleaseWait);
    }
    closenatpmp(&handle_);
  }
  const char *protocol() const override { return "NAT-PMP"; }
  bool renew(Clock::time_point deadline, std::string &error) override {
    // RFC 6886 3.3: the same request again, asking for the port we hold.
    int r = sendnewportmappingrequest(&handle_, NATPMP_PROTOCOL_UDP, local_port_, external_.port,
                                      static_cast<uint32_t>(requested_.count()));
    natpmpresp_t response;
    if (r >= 0) r = natpmp_answer(handle_, response, deadline);
    if (r < 0) {
      error = std::string("NAT-PMP: ") +
              (r == NATPMP_TRYAGAIN ? "no answer from the gateway in time" : strnatpmperr(r));
      return false;
    }
    external_.port = response.pnu.newportmapping.mappedpublicport;
    lifetime_ = std::chrono::seconds(response.pnu.newportmapping.lifetime);
    granted_ = Clock::now();
    return true;
  }

 private:
  natpmp_t handle_;
  uint16_t local_port_;
  std::chrono::seconds requested_;
};

class UpnpMapping final : public PortMapping {
 public:
  UpnpMapping(UPNPUrls urls, IGDdatas data, std::string internal_port, std::string lan_address,
              TransportAddress external, std::chrono::seconds lifetime)
      : urls_(urls),
        data_(data),
        external_port_(std::to_string(external.port)),
        internal_port_(std::move(internal_port)),
        lan_address_(std::move(lan_address)) {
    external_ = external;
    lifetime_ = lifetime;
  }
  ~UpnpMapping() override {
    UPNP_DeletePortMapping(urls_.controlURL, data_.first.servicetype, external_port_.c_str(), "UDP",
                           nullptr);
    FreeUPNPUrls(&urls_);
  }
  const char *protocol() const override { return "UPnP IGD"; }
  // An AddPortMapping for the same port and client replaces the lease
  // (IGD 2's AddPortMapping; miniupnpd does so). miniupnpc's HTTP request
  // has a timeout of its own, not `deadline` (docs/nat.md, "Time").
  bool renew(Clock::time_point, std::string &error) override {
    const std::string lease = std::to_string(lifetime_.count());
    if (int r = UPNP_AddPortMapping(urls_.controlURL, data_.first.servicetype,
                                    external_port_.c_str(), internal_port_.c_str(),
                                    lan_address_.c_str(), "wzp", "UDP", nullptr, lease.c_str());
        r != UPNPCOMMAND_SUCCESS) {
      error = std::string("UPnP: AddPortMapping: ") + strupnperror(r);
      return false;
    }
    granted_ = Clock::now();
    return true;
  }

 private:
  UPNPUrls urls_;
  IGDdatas data_;
  std::string external_port_;
  std::string internal_port_;
  std::string lan_address_;
};

// Sends `request` on `fd` (connected to the gateway's PCP port) and waits
// for its answer until `deadline`, sending again after 250 ms, then
// doubling, as libnatpmp does for NAT-PMP (RFC 6887 8.1.1's 3 s first
// wait is longer than a call's whole gathering budget).
std::optional<pcp::MapResponse> pcp_exchange(int fd, const pcp::MapRequest &request,
                                             Clock::time_point deadline, std::string &error) {
  const auto bytes = pcp::encode_map_request(request);
  auto wait = std::chrono::milliseconds(250);
  for (;;) {
    if (send(fd, bytes.data(), bytes.size(), 0) < 0) {
      error = std::string("PCP: ") + std::strerror(errno);
      return std::nullopt;
    }
    const auto resend_at = Clock::now() + wait;
    for (;;) {
      const auto until = std::min(resend_at, deadline);
      pollfd pfd{fd, POLLIN, 0};
      const auto left = remaining(until);
      if (left.count() == 0 || poll(&pfd, 1, static_cast<int>(left.count())) != 1) break;
      uint8_t answer[1100];
      const ssize_t n = recv(fd, answer, sizeof answer, 0);
      if (n < 0) {
        // ECONNREFUSED: the gateway's ICMP says nothing listens on 5351.
        error = errno == ECONNREFUSED ? "PCP: the gateway does not answer PCP"
                                      : std::string("PCP: ") + std::strerror(errno);
        return std::nullopt;
      }
      return pcp::parse_map_response({answer, static_cast<size_t>(n)}, request, error);
    }
    if (Clock::now() >= deadline) {
      error = "PCP: no answer from the gateway in time";
      return std::nullopt;
    }
    wait *= 2;
  }
}

class PcpMapping final : public PortMapping {
 public:
  PcpMapping(int fd, pcp::MapRequest request, const pcp::MapResponse &response)
      : fd_(fd), request_(request) {
    external_ = response.external;
    lifetime_ = std::chrono::seconds(response.lifetime);
  }
  ~PcpMapping() override {
    // RFC 6887 15: the same nonce with a lifetime of 0 deletes it.
    request_.lifetime = 0;
    std::string ignored;
    pcp_exchange(fd_, request_, Clock::now() + kReleaseWait, ignored);
    close(fd_);
  }
  const char *protocol() const override { return "PCP"; }
  bool renew(Clock::time_point deadline, std::string &error) override {
    // RFC 6887 11.2.1: the same MAP, nonce and all.
    auto response = pcp_exchange(fd_, request_, deadline, error);
    if (!response) return false;
    external_ = response->external;
    lifetime_ = std::chrono::seconds(response->lifetime);
    granted_ = Clock::now();
    return true;
  }

 private:
  int fd_;
  pcp::MapRequest request_;
};

}  // namespace

std::unique_ptr<PortMapping> map_with_pcp(const MappingRequest &request, std::string &error) {
  // libnatpmp finds the default gateway (PCP's server listens on NAT-PMP's
  // port, 5351); the exchange is ours.
  natpmp_t natpmp;
  if (int r = initnatpmp(&natpmp, 0, 0); r < 0) {
    error = std::string("PCP: ") + strnatpmperr(r);
    return nullptr;
  }
  const in_addr_t gateway = natpmp.gateway;
  closenatpmp(&natpmp);
  const int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(pcp::kServerPort);
  to.sin_addr.s_addr = gateway;
  sockaddr_in local{};
  socklen_t local_length = sizeof local;
  if (fd < 0 || connect(fd, reinterpret_cast<const sockaddr *>(&to), sizeof to) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr *>(&local), &local_length) != 0) {
    error = std::string("PCP: ") + std::strerror(errno);
    if (fd >= 0) close(fd);
    return nullptr;
  }
  pcp::MapRequest map;
  // The gateway checks that the client address is the packet's source.
  map.client = IpAddress::v4_from(ntohl(local.sin_addr.s_addr));
  map.internal_port = request.local_port;
  map.lifetime = static_cast<uint32_t>(request.lifetime.count());
  randombytes_buf(map.nonce.data(), map.nonce.size());
  auto response = pcp_exchange(fd, map, request.deadline, error);
  if (!response) {
    close(fd);
    return nullptr;
  }
  return std::make_unique<PcpMapping>(fd, map, *response);
}

std::unique_ptr<PortMapping> map_with_natpmp(const MappingRequest &request, std::string &error) {
  natpmp_t handle;
  if (int r = initnatpmp(&handle, 0, 0); r < 0) {
    error = std::string("NAT-PMP: ") + strnatpmperr(r);
    return nullptr;
  }
  auto fail = [&](int r) -> std::unique_ptr<PortMapping> {
    error = std::string("NAT-PMP: ") +
            (r == NATPMP_TRYAGAIN ? "no answer from the gateway in time" : strnatpmperr(r));
    closenatpmp(&handle);
    return nullptr;
  };
  natpmpresp_t response;
  int r = sendpublicaddressrequest(&handle);
  if (r < 0) return fail(r);
  if (r = natpmp_answer(handle, response, request.deadline); r < 0) return fail(r);
  IpAddress ip;
  std::memcpy(ip.bytes.data(), &response.pnu.publicaddress.addr, 4);
  r = sendnewportmappingrequest(&handle, NATPMP_PROTOCOL_UDP, request.local_port,
                                request.local_port,
                                static_cast<uint32_t>(request.lifetime.count()));
  if (r < 0) return fail(r);
  if (r = natpmp_answer(handle, response, request.deadline); r < 0) return fail(r);
  TransportAddress external{ip, response.pnu.newportmapping.mappedpublicport};
  return std::make_unique<NatPmpMapping>(handle, request.local_port, external,
                                         std::chrono::seconds(response.pnu.newportmapping.lifetime),
                                         request.lifetime);
}

std::unique_ptr<PortMapping> map_with_upnp(const MappingRequest &request, std::string &error) {
  // miniupnpc's discovery waits up to `delay` for an answer and once more
  // after the last one, and upnpDiscover() repeats that for four device
  // types when nothing answers (4 s without a gateway at 500 ms): ask for
  // the gateway alone, and with a third of what is left, at most 500 ms (a
  // gateway on the LAN answers within milliseconds).
  const auto left = remaining(request.deadline);
  const int delay = static_cast<int>(std::min<int64_t>(500, left.count() / 3));
  if (delay < 100) {
    error = "UPnP: no time left to discover a gateway";
    return nullptr;
  }
  int discover_error = 0;
  UPNPDev *devices =
      upnpDiscoverDevice("urn:schemas-upnp-org:device:InternetGatewayDevice:1", delay, nullptr,
                         nullptr, UPNP_LOCAL_PORT_ANY, 0, 2, &discover_error);
  if (devices == nullptr) {
    error = "UPnP: no gateway answered discovery";
    return nullptr;
  }
  UPNPUrls urls{};
  IGDdatas data{};
  char lan_address[64] = {};
  const int found = UPNP_GetValidIGD(devices, &urls, &data, lan_address, sizeof lan_address);
  freeUPNPDevlist(devices);
  if (found != 1) {
    error = found == 0 ? "UPnP: no internet gateway device found"
                       : "UPnP: the gateway found is not connected";
    if (found != 0) FreeUPNPUrls(&urls);
    return nullptr;
  }
  auto fail = [&](const std::string &why) -> std::unique_ptr<PortMapping> {
    error = "UPnP: " + why;
    FreeUPNPUrls(&urls);
    return nullptr;
  };
  char external_text[40] = {};
  if (int r = UPNP_GetExternalIPAddress(urls.controlURL, data.first.servicetype, external_text);
      r != UPNPCOMMAND_SUCCESS) {
    return fail(std::string("GetExternalIPAddress: ") + strupnperror(r));
  }
  auto ip = IpAddress::parse(external_text);
  if (!ip) return fail("the gateway's external address is not numeric");
  if (remaining(request.deadline).count() == 0) return fail("out of time before mapping");
  const std::string internal = std::to_string(request.local_port);
  const std::string lease = std::to_string(request.lifetime.count());
  uint16_t external = request.local_port;
  for (int asked = 1;; ++asked) {
    const int r = UPNP_AddPortMapping(urls.controlURL, data.first.servicetype,
                                      std::to_string(external).c_str(), internal.c_str(),
                                      lan_address, "wzp", "UDP", nullptr, lease.c_str());
    if (r == UPNPCOMMAND_SUCCESS) break;
    // Another client holds the port outside (ConflictInMappingEntry):
    // ask for others. IGD 1 cannot let the gateway choose (NAT-PMP and
    // PCP do), and a random one is as good as any other to a peer.
    if (r != kConflictInMappingEntry || asked == kUpnpPortsAsked ||
        remaining(request.deadline).count() == 0) {
      return fail(std::string("AddPortMapping: ") + strupnperror(r) +
                  (asked > 1 ? " (" + std::to_string(asked) + " ports asked)" : ""));
    }
    external = random_other_port(external);
  }
  return std::make_unique<UpnpMapping>(urls, data, internal, lan_address,
                                       TransportAddress{*ip, external}, request.lifetime);
}

}  // namespace wzp::nat
