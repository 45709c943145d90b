#include "libwzp/stream/tcp_listener.hpp"

#include <sys/socket.h>

namespace wzp::stream {

GSocketService *listen_tcp(const std::string &host, uint16_t port, GCallback on_incoming,
                           gpointer data, uint16_t &bound_port, std::string &error) {
  GInetAddress *inet = g_inet_address_new_from_string(host.c_str());
  if (inet == nullptr) {
    error = "not a numeric address: " + host;
    return nullptr;
  }
  GSocketAddress *address = g_inet_socket_address_new(inet, port);
  g_object_unref(inet);
  GSocketService *service = g_socket_service_new();
  // GLib's default backlog (10) drops a burst's SYNs, which costs each a
  // second's retransmission; libsoup's own listener uses SOMAXCONN.
  g_socket_listener_set_backlog(G_SOCKET_LISTENER(service), SOMAXCONN);
  GSocketAddress *bound = nullptr;
  GError *gerror = nullptr;
  const bool listening =
      g_socket_listener_add_address(G_SOCKET_LISTENER(service), address, G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_TCP, nullptr, &bound, &gerror);
  g_object_unref(address);
  if (!listening) {
    error = std::string("cannot listen: ") + gerror->message;
    g_error_free(gerror);
    g_object_unref(service);
    return nullptr;
  }
  bound_port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
  g_object_unref(bound);
  g_signal_connect(service, "incoming", on_incoming, data);
  g_socket_service_start(service);
  return service;
}

}  // namespace wzp::stream
