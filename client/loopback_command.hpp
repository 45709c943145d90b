// `wzp loopback`: a whole call on this machine — two identities run the call
// handshake, a sender and a receiver pipeline talk QUIC through an impaired
// network (libwzp/netsim), and a report says what survived.
#pragma once

namespace wzp::client {

int run_loopback_command(int argc, char **argv);

}  // namespace wzp::client
