// Impairment specs: short strings such as
//   "loss=0.3,burst=3,delay=150ms,jitter=20ms,rate=200kbps,dup=0.01,seed=7"
// that may start with a named profile ("warzone,seed=9") whose settings the
// later keys override. Keys: loss (fraction or percent), burst (mean loss
// burst, packets), delay, jitter (us/ms/s), reorder (0/1), dup, rate
// (bps/kbps/mbps, 0 = unlimited), queue (longest queueing delay), seed.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "libwzp/netsim/impairment.hpp"

namespace wzp::netsim {

struct Profile {
  std::string_view name;
  std::string_view spec;  // the settings, in spec syntax, for each direction
  std::string_view description;
};

// clean, lossy, warzone, satellite, congested.
std::span<const Profile> profiles();

// Parses `spec` on top of `base`. Returns an empty string on success, or a
// message naming the offending item; `out` is then left unchanged.
std::string parse_spec(std::string_view spec, const DirectionConfig &base, DirectionConfig &out);

// Why a configuration cannot be simulated faithfully, or "" if it can.
std::string validate(const DirectionConfig &config);

// The spec that parse_spec turns back into `config`.
std::string to_spec(const DirectionConfig &config);

}  // namespace wzp::netsim
