// Where tests find the source tree and the build tree.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace wzp::test {

std::filesystem::path source_dir();
std::filesystem::path build_dir();
// A program built by this tree, e.g. build_binary("signald/wzp-signald").
std::filesystem::path build_binary(const std::string &relative);
// The wzp-signald tests run: $WZP_SIGNALD when set (scripts/asan.sh --daemon
// points it at the fuzz build's ASan + UBSan daemon), else this tree's.
std::filesystem::path signald_binary();
// A UDP port on 127.0.0.1 that was free a moment ago.
uint16_t free_udp_port();
// A TCP port on 127.0.0.1 that was free a moment ago.
uint16_t free_tcp_port();
// A fresh empty directory under the build tree, removed by the caller.
std::filesystem::path make_temp_dir(const std::string &prefix);

}  // namespace wzp::test
