// What the client needs from the terminal and the environment: passphrases
// and file locations, with clear errors for scripts.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "libwzp/crypto/identity.hpp"

namespace wzp::client {

// WZP_PASSPHRASE if set, otherwise asks on the terminal without echo.
// nullopt (with `error` set) when neither is possible, or when a new
// passphrase (`confirm`) is empty.
std::optional<std::string> read_passphrase(const std::string &prompt, bool confirm,
                                           std::string &error);

// --identity, else WZP_IDENTITY, else $XDG_CONFIG_HOME/wzp/identity
// (~/.config/wzp/identity).
std::filesystem::path identity_path(const char *option_value);

// The identity at identity_path(option_value), unlocked with
// read_passphrase(); nullopt with `error` saying why.
std::optional<crypto::Identity> load_identity(const char *option_value, std::string &error);

}  // namespace wzp::client
