// A gateway's PCP answer on arbitrary bytes: refused with a reason, or a
// grant that echoes the request (nonce, port) and names a usable-looking
// external address and a non-zero port. The request is fixed, so seeds
// made from it (a grant, refusals) reach past the nonce check.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libwzp/nat/pcp.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::nat;
  pcp::MapRequest request;
  request.client = IpAddress::v4_from(0x0a0f010a);  // 10.15.1.10
  request.internal_port = 40000;
  request.lifetime = 3600;
  for (size_t i = 0; i < request.nonce.size(); ++i) {
    request.nonce[i] = static_cast<uint8_t>(0xa0 + i);
  }
  std::string error;
  auto response = pcp::parse_map_response({data, size}, request, error);
  if (!response) {
    if (error.empty()) std::abort();
    return 0;
  }
  if (size < pcp::kMapMessageSize || response->external.port == 0) std::abort();
  auto again = TransportAddress::parse(response->external.to_string());
  if (!again || *again != response->external) std::abort();
  return 0;
}
