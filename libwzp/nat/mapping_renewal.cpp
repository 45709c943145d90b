#include "libwzp/nat/mapping_renewal.hpp"

#include <algorithm>

namespace wzp::nat {

MappingRenewal::MappingRenewal(Time granted, std::chrono::seconds lifetime)
    : expires_(granted + lifetime) {
  schedule(granted);
}

void MappingRenewal::renewed(Time now, std::chrono::seconds lifetime) {
  expires_ = now + lifetime;
  schedule(now);
}

void MappingRenewal::failed(Time now) {
  // Half of what is left, but not so soon that a gateway gone for good is
  // asked in a burst; no attempt that could only end after the lease.
  const Time half = now + (expires_ - now) / 2;
  const Time retry = std::max(half, now + kMinRetry);
  next_ = retry < expires_ ? retry : Time::max();
}

void MappingRenewal::schedule(Time now) {
  next_ = expires_ > now ? now + (expires_ - now) / 2 : Time::max();
}

}  // namespace wzp::nat
