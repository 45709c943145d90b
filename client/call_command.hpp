// `wzp call`, `wzp send-tone`, `wzp echo-test` and `wzp answer`: a two-way call between two
// clients through wzp-signald (signaling, keys, and media in the call's
// relay room).
#pragma once

namespace wzp::client {

int run_call_command(int argc, char **argv);       // wzp call <peer>
int run_send_tone_command(int argc, char **argv);  // wzp send-tone <peer>
int run_echo_test_command(int argc, char **argv);  // wzp echo-test <peer>
int run_answer_command(int argc, char **argv);     // wzp answer [--echo]

}  // namespace wzp::client
