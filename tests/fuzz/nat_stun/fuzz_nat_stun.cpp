// A STUN Binding exchange on arbitrary bytes, both sides: as a server's
// request (a request parsed gives back its transaction id and answers with
// a response the client side reads back) and as a client's answer to a
// fixed transaction (refused with a reason, or an address with a port that
// prints back to itself). Seeds are answers to that transaction.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "libwzp/nat/stun.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::nat;
  std::span<const uint8_t> bytes(data, size);
  if (auto id = stun::parse_binding_request(bytes)) {
    const auto seen = *TransportAddress::parse("11.15.0.12:40001");
    std::string error;
    auto back = stun::parse_binding_response(stun::encode_binding_response(*id, seen), *id, error);
    if (!back || *back != seen) std::abort();
  }
  stun::TransactionId id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(0xb0 + i);
  std::string error;
  auto address = stun::parse_binding_response(bytes, id, error);
  if (!address) {
    if (error.empty()) std::abort();
    return 0;
  }
  if (size < stun::kHeaderSize || address->port == 0) std::abort();
  auto again = TransportAddress::parse(address->to_string());
  if (!again || *again != *address) std::abort();
  return 0;
}
