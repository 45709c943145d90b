#include "libwzp/stream/ws_channel.hpp"

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <utility>
#include <vector>

#include "libwzp/base/host_port.hpp"
#include "libwzp/quic/clock.hpp"
#include "libwzp/quic/tls.hpp"

namespace wzp::stream {

namespace {
// While media waits for the kernel to take it, the queue is looked at this
// often: the kernel says nothing when its unacknowledged bytes shrink.
constexpr guint kRetryMs = 5;
}  // namespace

// Everything the context thread touches. The GLib callbacks hold a raw
// pointer: they are disconnected (teardown) before the Core goes.
struct WsChannel::Core : std::enable_shared_from_this<Core> {
  explicit Core(const ChannelConfig &config, ChannelHandlers handlers)
      : config(config), handlers(std::move(handlers)), sender(config.media) {}
  // The libsoup objects went in teardown(), on their thread.
  ~Core() {
    if (socket != nullptr) g_object_unref(socket);
    if (context != nullptr) g_main_context_unref(context);
  }

  const ChannelConfig config;
  const ChannelHandlers handlers;
  GMainContext *context = nullptr;
  std::string remote_address;
  std::string pin;  // a dialing client's, normalized

  // Context thread only.
  SoupWebsocketConnection *ws = nullptr;
  SoupSession *session = nullptr;
  SoupMessage *message = nullptr;
  guint retry = 0;
  bool torn_down = false;

  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  GSocket *socket = nullptr;  // set once, before open
  StreamSender sender;
  std::deque<std::vector<uint8_t>> messages;
  bool flush_scheduled = false;
  bool is_open = false;
  bool closing = false;
  bool closed = false;
  std::string close_reason;
  std::string error;
  uint64_t datagrams_queued = 0;
  uint64_t datagrams_received = 0;
  uint64_t datagrams_dropped_oversized = 0;  // received, too large for a packet
  uint64_t messages_sent = 0;
  uint64_t messages_received = 0;

  // Any thread, `mutex` held.
  void schedule_flush_locked() {
    if (flush_scheduled || closed) return;
    flush_scheduled = true;
    // Never run here and now (as g_main_context_invoke would on the
    // context's own thread): the caller holds `mutex`, and maybe more.
    GSource *source = g_idle_source_new();
    g_source_set_priority(source, G_PRIORITY_DEFAULT);
    g_source_set_callback(
        source,
        [](gpointer data) -> gboolean {
          (*static_cast<std::shared_ptr<Core> *>(data))->flush();
          return G_SOURCE_REMOVE;
        },
        new std::shared_ptr<Core>(shared_from_this()),
        [](gpointer data) { delete static_cast<std::shared_ptr<Core> *>(data); });
    g_source_attach(source, context);
    g_source_unref(source);
  }

  size_t kernel_unsent() const {
    int fd = socket != nullptr ? g_socket_get_fd(socket) : -1;
    int queued = 0;
    if (fd < 0 || ioctl(fd, SIOCOUTQ, &queued) != 0 || queued < 0) return 0;
    return static_cast<size_t>(queued);
  }

  // Context thread: writes the messages, then as much media as may go.
  void flush() {
    std::deque<std::vector<uint8_t>> out;
    std::string reason;
    bool close_now = false;
    {
      std::lock_guard lock(mutex);
      flush_scheduled = false;
      if (ws == nullptr || closed) return;
      out.swap(messages);
      messages_sent += out.size();
      close_now = closing;
      reason = close_reason;
    }
    for (const auto &text : out) {
      GBytes *bytes = g_bytes_new(text.data(), text.size());
      soup_websocket_connection_send_message(ws, SOUP_WEBSOCKET_DATA_TEXT, bytes);
      g_bytes_unref(bytes);
    }
    if (close_now) {
      if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_NORMAL, reason.c_str());
      }
      return;
    }
    std::vector<uint8_t> datagram;
    bool waiting = false;
    while (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN) {
      {
        std::lock_guard lock(mutex);
        auto next = sender.next(quic::now_ns(), kernel_unsent());
        if (next.empty()) {
          waiting = !sender.empty();
          break;
        }
        datagram.assign(next.begin(), next.end());
        sender.taken();
      }
      soup_websocket_connection_send_binary(ws, datagram.data(), datagram.size());
    }
    if (waiting && retry == 0) {
      GSource *source = g_timeout_source_new(kRetryMs);
      g_source_set_callback(
          source,
          [](gpointer data) -> gboolean {
            auto *core = static_cast<Core *>(data);
            core->retry = 0;
            core->flush();
            return G_SOURCE_REMOVE;
          },
          this, nullptr);
      retry = g_source_attach(source, context);
      g_source_unref(source);
    }
  }

  // Context thread.
  void attach(SoupWebsocketConnection *connection, GSocket *tcp) {
    ws = connection;
    soup_websocket_connection_set_max_incoming_payload_size(ws, config.max_message_size + 1024);
    // Pings keep middleboxes' idea of the connection alive.
    soup_websocket_connection_set_keepalive_interval(ws, 5);
    if (tcp != nullptr) {
      GError *gerror = nullptr;
      g_socket_set_option(tcp, SOL_SOCKET, SO_SNDBUF, config.socket_send_buffer, &gerror);
      g_clear_error(&gerror);
      // Each packet leaves at once, not batched with the next one.
      g_socket_set_option(tcp, IPPROTO_TCP, TCP_NODELAY, 1, &gerror);
      g_clear_error(&gerror);
      g_socket_set_option(tcp, IPPROTO_TCP, TCP_USER_TIMEOUT,
                          static_cast<gint>(config.dead_after.count()), &gerror);
      g_clear_error(&gerror);
    }
    g_signal_connect(ws, "message", G_CALLBACK(on_message), this);
    g_signal_connect(ws, "error", G_CALLBACK(on_error), this);
    g_signal_connect(ws, "closed", G_CALLBACK(on_closed), this);
    std::lock_guard lock(mutex);
    socket = tcp != nullptr ? G_SOCKET(g_object_ref(tcp)) : nullptr;
    is_open = true;
    changed.notify_all();
    if (!messages.empty() || !sender.empty()) schedule_flush_locked();
  }

  // Context thread: the end, told once.
  void finish(const std::string &why) {
    {
      std::lock_guard lock(mutex);
      if (closed) return;
      closed = true;
      is_open = false;
      if (error.empty()) error = why;
      changed.notify_all();
    }
    if (handlers.on_closed) handlers.on_closed(why);
  }

  // Context thread: no callback reaches this Core after it.
  void teardown() {
    if (torn_down) return;
    torn_down = true;
    if (retry != 0) {
      GSource *source = g_main_context_find_source_by_id(context, retry);
      if (source != nullptr) g_source_destroy(source);
      retry = 0;
    }
    if (message != nullptr) g_signal_handlers_disconnect_by_data(message, this);
    if (ws != nullptr) {
      g_signal_handlers_disconnect_by_data(ws, this);
      if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_OPEN) {
        soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "gone");
      }
      g_clear_object(&ws);
    }
    if (session != nullptr) soup_session_abort(session);
    g_clear_object(&message);
    g_clear_object(&session);
    std::lock_guard lock(mutex);
    closed = true;
    is_open = false;
    changed.notify_all();
  }

  static void on_message(SoupWebsocketConnection *, gint type, GBytes *bytes, gpointer data) {
    auto *core = static_cast<Core *>(data);
    gsize size = 0;
    const auto *raw = static_cast<const uint8_t *>(g_bytes_get_data(bytes, &size));
    std::span<const uint8_t> payload(raw, size);
    if (type == SOUP_WEBSOCKET_DATA_TEXT) {
      {
        std::lock_guard lock(core->mutex);
        ++core->messages_received;
      }
      if (core->handlers.on_message) core->handlers.on_message(payload);
      return;
    }
    {
      std::lock_guard lock(core->mutex);
      if (size > core->config.media.max_datagram_size) {
        ++core->datagrams_dropped_oversized;
        return;
      }
      ++core->datagrams_received;
    }
    if (core->handlers.on_datagram) core->handlers.on_datagram(payload);
  }

  static void on_error(SoupWebsocketConnection *, GError *gerror, gpointer data) {
    auto *core = static_cast<Core *>(data);
    std::lock_guard lock(core->mutex);
    if (core->error.empty()) core->error = gerror->message;
  }

  static void on_closed(SoupWebsocketConnection *ws, gpointer data) {
    auto *core = static_cast<Core *>(data);
    const char *why = soup_websocket_connection_get_close_data(ws);
    gushort code = soup_websocket_connection_get_close_code(ws);
    std::string error;
    {
      std::lock_guard lock(core->mutex);
      error = core->error;
    }
    if (error.empty() && code != SOUP_WEBSOCKET_CLOSE_NORMAL) {
      error =
          why != nullptr && *why != '\0' ? why : "connection lost (" + std::to_string(code) + ")";
    }
    core->finish(error);
  }

  // A dialing client's pin, whatever the system's CAs say of the certificate.
  bool pinned(GTlsCertificate *certificate) const {
    if (certificate == nullptr) return false;
    GByteArray *der = nullptr;
    g_object_get(certificate, "certificate", &der, nullptr);
    if (der == nullptr) return false;
    std::string seen = quic::normalize_fingerprint(quic::sha256_fingerprint({der->data, der->len}));
    g_byte_array_unref(der);
    return seen == pin;
  }

  static gboolean on_accept_certificate(SoupMessage *, GTlsCertificate *certificate,
                                        GTlsCertificateFlags, gpointer data) {
    return static_cast<Core *>(data)->pinned(certificate);
  }

  static void on_network_event(SoupMessage *, GSocketClientEvent event, GIOStream *connection,
                               gpointer data) {
    auto *core = static_cast<Core *>(data);
    if (event != G_SOCKET_CLIENT_CONNECTED || !G_IS_SOCKET_CONNECTION(connection)) return;
    GSocket *tcp = g_socket_connection_get_socket(G_SOCKET_CONNECTION(connection));
    std::lock_guard lock(core->mutex);
    if (core->socket != nullptr) g_object_unref(core->socket);
    core->socket = G_SOCKET(g_object_ref(tcp));
  }

  static void on_connected(GObject *source, GAsyncResult *result, gpointer data) {
    auto *core = static_cast<Core *>(data);
    GError *gerror = nullptr;
    SoupWebsocketConnection *ws =
        soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &gerror);
    if (core->torn_down) {  // gave up waiting (the dial's timeout)
      if (ws != nullptr) g_object_unref(ws);
      g_clear_error(&gerror);
      return;
    }
    if (ws == nullptr) {
      std::string why = gerror != nullptr ? gerror->message : "unknown error";
      g_clear_error(&gerror);
      core->finish(why);
      return;
    }
    if (!core->pinned(soup_message_get_tls_peer_certificate(core->message))) {
      soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "certificate");
      g_object_unref(ws);
      core->finish("the daemon's certificate does not match the pinned fingerprint");
      return;
    }
    GSocket *tcp = nullptr;
    {
      std::lock_guard lock(core->mutex);
      tcp = std::exchange(core->socket, nullptr);
    }
    core->attach(ws, tcp);
    if (tcp != nullptr) g_object_unref(tcp);
  }

  void start_dial(const std::string &url) {
    session = soup_session_new();
    message = soup_message_new("GET", url.c_str());
    if (message == nullptr) {
      finish("not a valid address: " + url);
      return;
    }
    g_signal_connect(message, "accept-certificate", G_CALLBACK(on_accept_certificate), this);
    g_signal_connect(message, "network-event", G_CALLBACK(on_network_event), this);
    const char *protocols[] = {kSignalProtocol, nullptr};
    soup_session_websocket_connect_async(session, message, nullptr, const_cast<char **>(protocols),
                                         G_PRIORITY_DEFAULT, nullptr, on_connected, this);
  }
};

namespace {

// Runs `work` on `context` and waits for it: here and now when no other
// thread is running the context (a daemon's main thread, or a context whose
// loop has stopped), else on the thread that runs it.
void run_on(GMainContext *context, std::function<void()> work) {
  if (g_main_context_acquire(context)) {
    work();
    g_main_context_release(context);
    return;
  }
  struct Job {
    std::function<void()> work;
    std::mutex mutex;
    std::condition_variable done_changed;
    bool done = false;
  } job{std::move(work), {}, {}, false};
  g_main_context_invoke(
      context,
      [](gpointer data) -> gboolean {
        auto *running = static_cast<Job *>(data);
        running->work();
        std::lock_guard lock(running->mutex);
        running->done = true;
        running->done_changed.notify_all();
        return G_SOURCE_REMOVE;
      },
      &job);
  std::unique_lock lock(job.mutex);
  job.done_changed.wait(lock, [&] { return job.done; });
}

}  // namespace

std::shared_ptr<WsChannel> WsChannel::dial(const std::string &host, uint16_t port,
                                           const std::string &pin, const ChannelConfig &config,
                                           ChannelHandlers handlers,
                                           std::chrono::milliseconds timeout, std::string &error) {
  std::shared_ptr<WsChannel> channel(new WsChannel);
  auto core = std::make_shared<Core>(config, std::move(handlers));
  core->pin = quic::normalize_fingerprint(pin);
  core->remote_address = base::format_host_port(host, port);
  core->context = g_main_context_new();
  channel->core_ = core;
  channel->loop_ = g_main_loop_new(core->context, FALSE);
  GMainContext *context = core->context;
  GMainLoop *loop = channel->loop_;
  channel->thread_ = std::thread([context, loop] {
    g_main_context_push_thread_default(context);
    g_main_loop_run(loop);
    g_main_context_pop_thread_default(context);
  });
  std::string url = "https://" + core->remote_address + kSignalPath;
  // On the channel's thread, whenever it gets to it (not here, as run_on
  // would while that thread has not yet taken its context).
  GSource *source = g_idle_source_new();
  g_source_set_callback(
      source,
      [](gpointer data) -> gboolean {
        auto *job = static_cast<std::pair<std::shared_ptr<Core>, std::string> *>(data);
        job->first->start_dial(job->second);
        return G_SOURCE_REMOVE;
      },
      new std::pair<std::shared_ptr<Core>, std::string>(core, url),
      [](gpointer data) {
        delete static_cast<std::pair<std::shared_ptr<Core>, std::string> *>(data);
      });
  g_source_attach(source, context);
  g_source_unref(source);
  std::unique_lock lock(core->mutex);
  core->changed.wait_for(lock, timeout, [&] { return core->is_open || core->closed; });
  if (core->is_open) return channel;
  error = core->closed ? core->error : "timed out";
  return nullptr;
}

std::shared_ptr<WsChannel> WsChannel::adopt(SoupWebsocketConnection *ws, GSocket *socket,
                                            const std::string &remote_address,
                                            const ChannelConfig &config, ChannelHandlers handlers) {
  std::shared_ptr<WsChannel> channel(new WsChannel);
  auto core = std::make_shared<Core>(config, std::move(handlers));
  core->remote_address = remote_address;
  core->context = g_main_context_ref_thread_default();
  channel->core_ = core;
  core->attach(SOUP_WEBSOCKET_CONNECTION(g_object_ref(ws)), socket);
  return channel;
}

WsChannel::~WsChannel() {
  auto core = core_;
  if (!core) return;
  run_on(core->context, [core] { core->teardown(); });
  if (loop_ != nullptr) {
    // Quit from inside the loop: a quit before the thread's g_main_loop_run
    // has begun is lost (run marks the loop running again), and the join
    // then waits for ever (a dial given up at once, e.g. with no time left).
    GSource *quit = g_idle_source_new();
    g_source_set_callback(
        quit,
        [](gpointer loop) -> gboolean {
          g_main_loop_quit(static_cast<GMainLoop *>(loop));
          return G_SOURCE_REMOVE;
        },
        loop_, nullptr);
    g_source_attach(quit, core->context);
    g_source_unref(quit);
    thread_.join();
    g_main_loop_unref(loop_);
    // What was still pending (an aborted dial's callback, flushes holding
    // the Core) runs here, finding the channel torn down.
    g_main_context_push_thread_default(core->context);
    while (g_main_context_iteration(core->context, FALSE)) {
    }
    g_main_context_pop_thread_default(core->context);
  }
}

bool WsChannel::send_message(std::span<const uint8_t> message) {
  std::lock_guard lock(core_->mutex);
  if (core_->closed || core_->closing || message.size() > core_->config.max_message_size) {
    return false;
  }
  core_->messages.emplace_back(message.begin(), message.end());
  core_->schedule_flush_locked();
  return true;
}

bool WsChannel::send_datagram(std::span<const uint8_t> datagram) {
  std::lock_guard lock(core_->mutex);
  if (core_->closed || core_->closing) return false;
  ++core_->datagrams_queued;
  if (!core_->sender.push(datagram, quic::now_ns())) return false;
  core_->schedule_flush_locked();
  return true;
}

bool WsChannel::open() const {
  std::lock_guard lock(core_->mutex);
  return core_->is_open && !core_->closed;
}

quic::ConnectionStats WsChannel::stats() const {
  quic::ConnectionStats stats;
  std::lock_guard lock(core_->mutex);
  const auto &dropped = core_->sender.counters();
  stats.datagrams_queued = core_->datagrams_queued;
  stats.datagrams_sent = core_->sender.written();
  stats.datagrams_received = core_->datagrams_received;
  stats.datagrams_dropped_stale = dropped.dropped_stale;
  stats.datagrams_dropped_full = dropped.dropped_full;
  stats.datagrams_dropped_oversized = dropped.dropped_oversized;
  stats.messages_sent = core_->messages_sent;
  stats.messages_received = core_->messages_received;
  // TCP's own RTT estimate: what the status line shows for QUIC's.
  struct tcp_info info {};
  socklen_t length = sizeof info;
  int fd = core_->socket != nullptr ? g_socket_get_fd(core_->socket) : -1;
  if (fd >= 0 && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &length) == 0) {
    stats.path.smoothed_rtt_ms = info.tcpi_rtt / 1000.0;
    stats.path.rtt_variance_ms = info.tcpi_rttvar / 1000.0;
    stats.path.min_rtt_ms = info.tcpi_rtt / 1000.0;
    stats.path.bytes_in_flight = core_->kernel_unsent();
  }
  return stats;
}

void WsChannel::close(const std::string &reason) {
  std::lock_guard lock(core_->mutex);
  if (core_->closed || core_->closing) return;
  core_->closing = true;
  core_->close_reason = reason;
  core_->schedule_flush_locked();
}

bool WsChannel::wait_closed(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(core_->mutex);
  return core_->changed.wait_for(lock, timeout, [this] { return core_->closed; });
}

std::string WsChannel::error() const {
  std::lock_guard lock(core_->mutex);
  return core_->error;
}

const std::string &WsChannel::remote_address() const { return core_->remote_address; }

}  // namespace wzp::stream
