// Identity files may be damaged or hostile. Only the header parser runs
// here: the KDF would make each input slow, and its limits are what the
// parser must enforce before any allocation.
#include <cstddef>
#include <cstdint>

#include "libwzp/crypto/identity_file.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  wzp::crypto::IdentityFileHeader header;
  parse_identity_header({data, size}, header);
  return 0;
}
