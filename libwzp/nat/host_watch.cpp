#include "libwzp/nat/host_watch.hpp"

#include <algorithm>

namespace wzp::nat {

std::vector<Candidate> HostWatch::update(Time now, const std::vector<Candidate> &hosts,
                                         const std::vector<Candidate> &offered, size_t limit) {
  next_ = now + kInterval;
  std::vector<Candidate> fresh;
  for (const auto &host : hosts) {
    const auto same = [&](const Candidate &c) { return c.address == host.address; };
    if (std::none_of(offered.begin(), offered.end(), same) &&
        std::none_of(fresh.begin(), fresh.end(), same)) {
      fresh.push_back(host);
    }
  }
  fresh = rank(std::move(fresh), limit);
  fresh.resize(std::min(fresh.size(), limit > offered.size() ? limit - offered.size() : 0));
  return fresh;
}

}  // namespace wzp::nat
