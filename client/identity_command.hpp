// `wzp id new | show | mnemonic | import`: the identity file.
#pragma once

namespace wzp::client {

int run_identity_command(int argc, char **argv);

}  // namespace wzp::client
