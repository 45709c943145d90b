#include "client/terminal.hpp"

#include <sodium.h>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "libwzp/crypto/identity_file.hpp"

namespace wzp::client {
namespace {

std::optional<std::string> prompt_once(const std::string &prompt) {
  if (!isatty(STDIN_FILENO)) return std::nullopt;
  std::fprintf(stderr, "%s", prompt.c_str());
  termios old_mode{};
  tcgetattr(STDIN_FILENO, &old_mode);
  termios silent = old_mode;
  silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent);
  std::string line;
  bool ok = static_cast<bool>(std::getline(std::cin, line));
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old_mode);
  std::fprintf(stderr, "\n");
  if (!ok) return std::nullopt;
  return line;
}

}  // namespace

std::optional<std::string> read_passphrase(const std::string &prompt, bool confirm,
                                           std::string &error) {
  // A new passphrase may not be empty: the file would open for anyone.
  // (An old file sealed with an empty one still opens.)
  auto refuse_empty = [&](const char *where) {
    error = std::string("the new passphrase is empty (") + where +
            "): that would leave the identity unprotected; choose a passphrase";
  };
  if (const char *env = std::getenv("WZP_PASSPHRASE")) {
    if (confirm && *env == '\0') {
      refuse_empty("WZP_PASSPHRASE is set but empty");
      return std::nullopt;
    }
    return std::string(env);
  }
  auto first = prompt_once(prompt);
  if (!first) {
    error = "no passphrase: set WZP_PASSPHRASE or run on a terminal";
    return std::nullopt;
  }
  if (confirm && first->empty()) {
    refuse_empty("typed at the prompt");
    return std::nullopt;
  }
  if (confirm) {
    auto second = prompt_once("Repeat passphrase: ");
    if (!second || *second != *first) {
      error = "the passphrases do not match";
      return std::nullopt;
    }
  }
  return first;
}

std::filesystem::path identity_path(const char *option_value) {
  if (option_value != nullptr && *option_value != '\0') return option_value;
  if (const char *env = std::getenv("WZP_IDENTITY"); env != nullptr && *env != '\0') return env;
  std::filesystem::path config;
  if (const char *xdg = std::getenv("XDG_CONFIG_HOME"); xdg != nullptr && *xdg != '\0') {
    config = xdg;
  } else if (const char *home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    config = std::filesystem::path(home) / ".config";
  } else {
    config = ".";
  }
  return config / "wzp" / "identity";
}

std::optional<crypto::Identity> load_identity(const char *option_value, std::string &error) {
  auto path = identity_path(option_value);
  if (!std::filesystem::exists(path)) {
    error = "no identity at " + path.string() + " (create one with 'wzp id new')";
    return std::nullopt;
  }
  auto passphrase = read_passphrase("Passphrase: ", false, error);
  if (!passphrase) return std::nullopt;
  crypto::Seed seed{};
  auto result = crypto::load_identity_file(path, *passphrase, seed);
  if (result != crypto::IdentityFileError::kOk) {
    error = path.string() + ": " + crypto::to_string(result);
    return std::nullopt;
  }
  auto identity = crypto::Identity::from_seed(seed);
  sodium_memzero(seed.data(), seed.size());
  return identity;
}

}  // namespace wzp::client
