// wzp: places and answers calls, joins rooms, and manages the identity.
#include <glib.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "client/call_command.hpp"
#include "client/identity_command.hpp"
#include "client/loopback_command.hpp"
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

// Our elements are found without GST_PLUGIN_PATH: beside the program in the
// build tree (client/wzp, gst-plugins/) or where `cmake --install` put them
// (bin/wzp, lib/<triplet>/gstreamer-1.0/), whatever the prefix. The folder
// goes first on the path GStreamer reads at gst_init, so a stale system copy
// never shadows this build's elements.
void use_own_plugins() {
  gchar *exe = g_file_read_link("/proc/self/exe", nullptr);
  if (exe == nullptr) return;
  gchar *bin = g_path_get_dirname(exe);
  for (const char *relative : {WZP_PLUGIN_DIR_FROM_BUILD, WZP_PLUGIN_DIR_FROM_BIN}) {
    gchar *dir = g_build_filename(bin, relative, nullptr);
    gchar *canonical = g_canonicalize_filename(dir, nullptr);
    g_free(dir);
    if (g_file_test(canonical, G_FILE_TEST_IS_DIR)) {
      // GStreamer reads GST_PLUGIN_PATH_1_0 instead of GST_PLUGIN_PATH when set.
      const char *variable =
          g_getenv("GST_PLUGIN_PATH_1_0") != nullptr ? "GST_PLUGIN_PATH_1_0" : "GST_PLUGIN_PATH";
      const char *current = g_getenv(variable);
      std::string path = canonical;
      if (current != nullptr && *current != '\0')
        path += G_SEARCHPATH_SEPARATOR_S + std::string(current);
      g_setenv(variable, path.c_str(), TRUE);
      g_free(canonical);
      break;
    }
    g_free(canonical);
  }
  g_free(bin);
  g_free(exe);
}

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
  use_own_plugins();
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
