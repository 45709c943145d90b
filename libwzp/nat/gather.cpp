#include "libwzp/nat/gather.hpp"

#include <future>

#include "libwzp/nat/interfaces.hpp"

namespace wzp::nat {
namespace {
// Ports offered past a sequential NAT's latest mapping: the peer's is the
// next unless other destinations (other peers' candidates, other hosts
// behind the NAT) took some first.
constexpr size_t kPredicted = 4;
}  // namespace

Gathered gather(const GatherConfig &config) {
  const auto deadline = std::chrono::steady_clock::now() + config.budget;
  Gathered out;
  std::vector<Candidate> all;

  struct Mapped {
    std::unique_ptr<PortMapping> mapping;
    std::string error;
  };
  auto map_by = [&](auto method) {
    return std::async(std::launch::async, [&config, deadline, method] {
      Mapped result;
      result.mapping = method(MappingRequest{config.local_port, config.mapping_lifetime, deadline},
                              result.error);
      return result;
    });
  };
  std::vector<std::future<Mapped>> mappings;
  if (config.port_mapping) {
    mappings.push_back(map_by(map_with_natpmp));
    mappings.push_back(map_by(map_with_pcp));
    mappings.push_back(map_by(map_with_upnp));
  }
  std::future<std::optional<std::string>> reflected;
  if (config.reflect) {
    reflected = std::async(std::launch::async, [&config] { return config.reflect(config.budget); });
  }

  struct Again {
    std::optional<TransportAddress> address;
    std::string error;
  };
  std::future<Again> again;
  if (config.reflect_again) {
    again = std::async(std::launch::async, [&config] {
      Again result;
      result.address = config.reflect_again(config.budget, result.error);
      return result;
    });
  }

  if (config.host) {
    std::string error;
    auto interfaces = list_interface_addresses(error);
    if (!error.empty()) out.notes.push_back(error);
    auto host = host_candidates(interfaces, config.local_port);
    all.insert(all.end(), host.begin(), host.end());
  }
  if (reflected.valid()) {
    auto address_text = reflected.get();
    std::string why = "no reflection from the daemon";
    std::optional<TransportAddress> address;
    if (address_text) address = TransportAddress::parse(*address_text, &why);
    std::optional<Candidate> candidate;
    if (address) {
      candidate = outside_candidate(CandidateType::kReflexive, *address, config.local_port);
      why = "the daemon sees us at " + address->to_string() + ", no address a peer can use";
    }
    if (candidate) {
      all.push_back(*candidate);
    } else {
      out.notes.push_back("reflexive: " + why);
    }
    if (again.valid()) {
      Again second = again.get();
      if (address && second.address) {
        out.behaviour = classify_mapping(config.local_port, *address, *second.address);
        // A sequential NAT maps the socket for the peer a step or a few
        // further on: offer those ports (docs/nat.md, "Hard NATs").
        const size_t count = out.behaviour->kind == MappingKind::kSequential ? kPredicted : 0;
        for (const auto &next : predict_mappings(*out.behaviour, *second.address, count)) {
          if (auto predicted =
                  outside_candidate(CandidateType::kReflexive, next, config.local_port)) {
            all.push_back(*predicted);
          }
        }
      } else {
        out.notes.push_back("mapping behaviour: " +
                            (second.address ? "no first reflection" : second.error));
      }
    }
  }
  for (auto &future : mappings) {
    Mapped mapped = future.get();
    if (!mapped.mapping) {
      out.notes.push_back(mapped.error);
      continue;
    }
    auto candidate =
        outside_candidate(CandidateType::kMapped, mapped.mapping->external(), config.local_port);
    if (!candidate) {
      out.notes.push_back(std::string(mapped.mapping->protocol()) + ": mapped to " +
                          mapped.mapping->external().to_string() + ", no address a peer can use");
      continue;
    }
    all.push_back(*candidate);
    out.mappings.push_back(std::move(mapped.mapping));
  }
  out.candidates = rank(std::move(all), config.limit);
  return out;
}

}  // namespace wzp::nat
