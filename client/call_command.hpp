// `wzp call`, `wzp send-tone` and `wzp answer`: a two-way call between two
// clients through wzp-signald (signaling, keys, and media in the call's
// relay room).
#pragma once

namespace wzp::client {

int run_call_command(int argc, char **argv);       // wzp call <peer>
int run_send_tone_command(int argc, char **argv);  // wzp send-tone <peer>
int run_answer_command(int argc, char **argv);     // wzp answer

}  // namespace wzp::client
