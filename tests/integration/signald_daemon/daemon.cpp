#include "tests/integration/signald_daemon/daemon.hpp"

#include <gtest/gtest.h>

#include "libwzp/base/host_port.hpp"

namespace wzp::signald::test {

Daemon::HttpReply Daemon::get(const std::string &path, const std::string &host) const {
  HttpReply reply;
  SoupSession *session = soup_session_new_with_options("timeout", 5, nullptr);
  std::string url = "http://" + base::format_host_port(host, http_port()) + path;
  SoupMessage *message = soup_message_new("GET", url.c_str());
  GError *error = nullptr;
  GBytes *body = soup_session_send_and_read(session, message, nullptr, &error);
  if (body != nullptr) {
    reply.status = soup_message_get_status(message);
    gsize size = 0;
    auto *data = static_cast<const char *>(g_bytes_get_data(body, &size));
    reply.body.assign(data, size);
    const char *type =
        soup_message_headers_get_content_type(soup_message_get_response_headers(message), nullptr);
    reply.content_type = type ? type : "";
    g_bytes_unref(body);
  } else {
    ADD_FAILURE() << "GET " << url << ": " << error->message;
    g_error_free(error);
  }
  g_object_unref(message);
  g_object_unref(session);
  return reply;
}

Client::Client(const Daemon &daemon) : Client(daemon, daemon.quic_port()) {}

Client::Client(const Daemon &daemon, uint16_t port) : Client(daemon, port, "127.0.0.1") {}

Client::Client(const Daemon &daemon, const std::string &bind_address)
    : Client(daemon, daemon.quic_port(), bind_address) {}

std::unique_ptr<Client> Client::try_dial(const Daemon &daemon, const std::string &bind_address) {
  return std::unique_ptr<Client>(new Client(daemon, daemon.quic_port(), bind_address, true));
}

Client::Client(const Daemon &daemon, uint16_t port, const std::string &bind_address,
               bool dial_may_fail)
    : certificate_(daemon.certificate()) {
  quic::EndpointConfig config;
  config.bind_address = bind_address;
  config.tls.server_fingerprint = daemon.certificate();
  config.tls.alpn = {"wzp-signal/1"};
  std::string error;
  endpoint_ = quic::Endpoint::create(config, nullptr, error);
  if (!endpoint_) {
    ADD_FAILURE() << "client endpoint: " << error;
    return;
  }
  quic::ConnectionHandlers handlers;
  handlers.on_message = [this](std::span<const uint8_t> bytes) {
    signal::Parsed parsed =
        signal::parse({reinterpret_cast<const char *>(bytes.data()), bytes.size()});
    EXPECT_EQ(parsed.error, signal::ParseError::kOk) << parsed.detail;
    std::lock_guard lock(mutex_);
    if (parsed.message) inbox_.push_back(std::move(*parsed.message));
    changed_.notify_all();
  };
  handlers.on_datagram = [this](std::span<const uint8_t> bytes) {
    std::lock_guard lock(mutex_);
    datagrams_.emplace_back(bytes.begin(), bytes.end());
    changed_.notify_all();
  };
  handlers.on_closed = [this](const std::string &why) {
    std::lock_guard lock(mutex_);
    closed_ = true;
    close_error_ = why;
    changed_.notify_all();
  };
  connection_ = endpoint_->dial("127.0.0.1", port, handlers, error);
  if (!connection_ || !connection_->wait_established(5s)) {
    dial_error_ = connection_ ? connection_->error() : error;
    if (!dial_may_fail) ADD_FAILURE() << "dial: " << dial_error_;
    connection_.reset();
  }
}

Client::~Client() {
  connection_.reset();
  endpoint_.reset();
}

void Client::send(const signal::Message &message, std::optional<uint64_t> request_id) {
  send_raw(signal::serialize(message, request_id));
}

void Client::send_raw(const std::string &text) {
  if (connection_) {
    connection_->send_message({reinterpret_cast<const uint8_t *>(text.data()), text.size()});
  }
}

bool Client::send_datagram(const std::vector<uint8_t> &datagram) {
  return connection_ && connection_->send_datagram(datagram);
}

bool Client::wait_datagrams(size_t count, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return datagrams_.size() >= count; });
}

bool Client::wait_datagrams_until(
    const std::function<bool(const std::vector<std::vector<uint8_t>> &)> &done,
    std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return done(datagrams_); });
}

std::vector<std::vector<uint8_t>> Client::datagrams() {
  std::lock_guard lock(mutex_);
  return datagrams_;
}

bool Client::wait_closed(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return closed_; });
}

std::string Client::close_error() {
  std::lock_guard lock(mutex_);
  return close_error_;
}

std::optional<signal::Welcome> Client::login(const crypto::Identity &identity,
                                             std::optional<std::string> token) {
  send(signal::Hello{identity.signing_public_key(), std::move(token), "integration-test"});
  auto challenge = wait_for<signal::Challenge>();
  if (!challenge) return std::nullopt;
  send(signal::Auth{identity.sign(signal::auth_transcript(challenge->nonce, certificate_))});
  return wait_for<signal::Welcome>();
}

std::string fingerprint(const crypto::Identity &identity) {
  return crypto::format_fingerprint(identity.fingerprint());
}

}  // namespace wzp::signald::test
