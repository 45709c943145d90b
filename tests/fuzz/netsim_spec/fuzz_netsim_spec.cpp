// The impairment spec parser on arbitrary text: it either refuses with a
// message or yields a valid configuration that round-trips through to_spec
// and that the model can run.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "libwzp/netsim/impairment.hpp"
#include "libwzp/netsim/spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  using namespace wzp::netsim;
  const std::string_view spec(reinterpret_cast<const char *>(data), size);
  DirectionConfig config;
  const std::string error = parse_spec(spec, DirectionConfig{}, config);
  if (!error.empty()) {
    if (!(config == DirectionConfig{})) std::abort();  // a refusal changes nothing
    return 0;
  }
  if (!validate(config).empty()) std::abort();
  DirectionConfig again;
  if (!parse_spec(to_spec(config), DirectionConfig{}, again).empty()) std::abort();
  ImpairmentModel model(config);
  for (int i = 0; i < 64; ++i) {
    const Verdict verdict = model.submit(Micros{i * 1000}, 1200);
    if (verdict.copies > 2) std::abort();
    for (uint8_t c = 0; c < verdict.copies; ++c) {
      if (verdict.deliver_at[c] < Micros{i * 1000}) std::abort();
    }
  }
  return 0;
}
