// wzp: places and answers calls, joins rooms, and manages the identity.
#include <glib.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "client/call_command.hpp"
#include "client/identity_command.hpp"
#include "client/loopback_command.hpp"
#include "client/own_plugins.hpp"
#include "client/room_command.hpp"
#include "libwzp/base/version.hpp"

namespace {

constexpr const char *kUsage =
    "Usage: wzp <command> [options]\n"
    "\n"
    "Commands:\n"
    "  id new|show|mnemonic|import   manage your identity (wzp id --help)\n"
    "  loopback                      a call to yourself through a simulated hostile network\n"
    "  call <peer>                   call @alias, a fingerprint or a prefix via wzp-signald\n"
    "  answer                        wait for a call and answer it\n"
    "  send-tone <peer>              call and send a test tone\n"
    "  echo-test <peer>              call someone running 'wzp answer --echo' and measure\n"
    "  room invite|join              make a room's invite; join a room call by its invite\n"
    "\n"
    "Run 'wzp <command> --help' for a command's options; 'wzp --version' for the build.\n";

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (std::strcmp(argv[1], "--version") == 0) {
    std::printf("wzp %s\n", wzp::base::version());
    return 0;
  }
  wzp::client::use_own_plugins();
  std::string command = argv[1];
  if (command == "id") return wzp::client::run_identity_command(argc - 1, argv + 1);
  if (command == "loopback") return wzp::client::run_loopback_command(argc - 1, argv + 1);
  if (command == "call") return wzp::client::run_call_command(argc - 1, argv + 1);
  if (command == "answer") return wzp::client::run_answer_command(argc - 1, argv + 1);
  if (command == "room") return wzp::client::run_room_command(argc - 1, argv + 1);
  if (command == "send-tone") return wzp::client::run_send_tone_command(argc - 1, argv + 1);
  if (command == "echo-test") return wzp::client::run_echo_test_command(argc - 1, argv + 1);
  std::fprintf(stderr, "wzp: unknown command '%s'\n\n%s", command.c_str(), kUsage);
  return 2;
}
