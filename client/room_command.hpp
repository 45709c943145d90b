// `wzp room <name>`: a room call through wzp-signald (client/room_session.hpp).
#pragma once

namespace wzp::client {

int run_room_command(int argc, char **argv);

}  // namespace wzp::client
