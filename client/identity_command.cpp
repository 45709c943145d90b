#include "client/identity_command.hpp"

#include <glib.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>
#include <system_error>

#include "client/command_line.hpp"
#include "client/terminal.hpp"
#include "libwzp/base/hex.hpp"
#include "libwzp/crypto/bip39.hpp"
#include "libwzp/crypto/identity.hpp"
#include "libwzp/crypto/identity_file.hpp"

namespace wzp::client {
namespace {

constexpr const char *kSummary =
    "Subcommands:\n"
    "  new       create a new identity (refuses to replace one without --force)\n"
    "  show      print the fingerprint and public keys\n"
    "  mnemonic  print the 24-word backup of the seed\n"
    "  import    restore an identity from 24 words in FILE (default: standard input)\n"
    "\n"
    "The passphrase comes from WZP_PASSPHRASE, or is asked on the terminal.";

struct Options {
  gchar *identity = nullptr;
  gboolean force = FALSE;
  ~Options() { g_free(identity); }
};

int fail(const std::string &message) {
  std::fprintf(stderr, "wzp id: %s\n", message.c_str());
  return 1;
}

bool ensure_parent(const std::filesystem::path &path, std::string &error) {
  auto parent = path.parent_path();
  if (parent.empty()) return true;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) {
    error = "cannot create " + parent.string() + ": " + ec.message();
    return false;
  }
  return true;
}

int save(const std::filesystem::path &path, const crypto::Seed &seed, bool force) {
  std::string error;
  if (!ensure_parent(path, error)) return fail(error);
  auto passphrase = read_passphrase("New passphrase: ", true, error);
  if (!passphrase) return fail(error);
  auto result = crypto::save_identity_file(path, seed, *passphrase, force);
  if (result == crypto::IdentityFileError::kExists) {
    return fail(path.string() + " already holds an identity; pass --force to replace it");
  }
  if (result != crypto::IdentityFileError::kOk) {
    return fail(path.string() + ": " + crypto::to_string(result));
  }
  auto identity = crypto::Identity::from_seed(seed);
  std::printf("identity written to %s\nfingerprint %s\n", path.c_str(),
              crypto::format_fingerprint(identity.fingerprint()).c_str());
  return 0;
}

int load(const std::filesystem::path &path, crypto::Seed &seed) {
  std::string error;
  auto passphrase = read_passphrase("Passphrase: ", false, error);
  if (!passphrase) return fail(error);
  auto result = crypto::load_identity_file(path, *passphrase, seed);
  if (result != crypto::IdentityFileError::kOk) {
    return fail(path.string() + ": " + crypto::to_string(result));
  }
  return 0;
}

}  // namespace

int run_identity_command(int argc, char **argv) {
  Options options;
  GOptionEntry entries[] = {
      {"identity", 'i', 0, G_OPTION_ARG_FILENAME, &options.identity,
       "Identity file (default: $WZP_IDENTITY or ~/.config/wzp/identity)", "FILE"},
      {"force", 'f', 0, G_OPTION_ARG_NONE, &options.force,
       "Replace an existing identity (new, import)", nullptr},
      {nullptr, 0, 0, G_OPTION_ARG_NONE, nullptr, nullptr, nullptr}};
  CommandHelp help{"new|show|mnemonic|import [FILE]", "Manage the identity this client calls with.",
                   kSummary};
  std::string error;
  if (!parse_command_line(help, entries, false, argc, argv, error)) return fail(error);
  if (argc < 2) return fail("expected one subcommand: new, show, mnemonic or import (see --help)");
  if (argc > 2 && !(argc == 3 && std::string(argv[1]) == "import")) {
    return fail("too many arguments (see --help)");
  }

  std::string sub = argv[1];
  auto path = identity_path(options.identity);
  if (sub == "new") return save(path, crypto::Identity::generate().seed(), options.force);
  if (sub == "import") {
    std::ifstream file;
    if (argc == 3) {
      file.open(argv[2]);
      if (!file) return fail(std::string("cannot read ") + argv[2]);
    }
    std::istream &in = argc == 3 ? file : std::cin;
    std::string words((std::istreambuf_iterator<char>(in)), {});
    std::string why;
    auto seed = crypto::mnemonic_to_seed(words, &why);
    if (!seed) return fail("not a valid backup: " + why);
    return save(path, *seed, options.force);
  }
  if (sub == "show" || sub == "mnemonic") {
    crypto::Seed seed{};
    if (int rc = load(path, seed); rc != 0) return rc;
    if (sub == "mnemonic") {
      std::printf("%s\n", crypto::seed_to_mnemonic(seed).c_str());
      return 0;
    }
    auto identity = crypto::Identity::from_seed(seed);
    std::printf("fingerprint %s\nsigning-key %s\nagreement-key %s\n",
                crypto::format_fingerprint(identity.fingerprint()).c_str(),
                base::to_hex(identity.signing_public_key()).c_str(),
                base::to_hex(identity.agreement_public_key()).c_str());
    return 0;
  }
  return fail("unknown subcommand '" + sub + "' (expected new, show, mnemonic or import)");
}

}  // namespace wzp::client
