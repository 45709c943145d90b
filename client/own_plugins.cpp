#include "client/own_plugins.hpp"

#include <glib.h>

#include <string>

namespace wzp::client {

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

}  // namespace wzp::client
