#include "signald/token_validator.hpp"

#include <nlohmann/json.hpp>

namespace wzp::signald {

struct HttpTokenValidator::Request {
  HttpTokenValidator *validator;
  std::string token;
  Done done;
  SoupMessage *message = nullptr;
};

HttpTokenValidator::HttpTokenValidator(GMainContext *main_context, std::mutex &core_mutex,
                                       std::string url)
    : main_context_(main_context),
      mutex_(core_mutex),
      url_(std::move(url)),
      session_(soup_session_new_with_options("timeout", 5, "user-agent", "wzp-signald", nullptr)),
      cancellable_(g_cancellable_new()) {}

HttpTokenValidator::~HttpTokenValidator() {
  g_cancellable_cancel(cancellable_);
  g_object_unref(cancellable_);
  g_object_unref(session_);
}

void HttpTokenValidator::validate(const std::string &token, Done done) {
  // libsoup is driven from the main loop; QUIC callbacks arrive elsewhere.
  // Always deferred: the caller holds the core mutex that start() may take.
  GSource *source = g_idle_source_new();
  g_source_set_callback(source, start, new Request{this, token, std::move(done)}, nullptr);
  g_source_attach(source, main_context_);
  g_source_unref(source);
}

gboolean HttpTokenValidator::start(gpointer data) {
  auto *request = static_cast<Request *>(data);
  HttpTokenValidator &self = *request->validator;
  request->message = soup_message_new("POST", self.url_.c_str());
  if (request->message == nullptr) {
    {
      std::lock_guard lock(self.mutex_);
      request->done(false, "the auth URL is not a valid URL");
    }
    delete request;
    return G_SOURCE_REMOVE;
  }
  std::string body = nlohmann::json{{"token", request->token}}.dump();
  GBytes *bytes = g_bytes_new(body.data(), body.size());
  soup_message_set_request_body_from_bytes(request->message, "application/json", bytes);
  g_bytes_unref(bytes);
  std::string bearer = "Bearer " + request->token;
  soup_message_headers_replace(soup_message_get_request_headers(request->message), "Authorization",
                               bearer.c_str());
  soup_session_send_and_read_async(self.session_, request->message, G_PRIORITY_DEFAULT,
                                   self.cancellable_, finished, request);
  return G_SOURCE_REMOVE;
}

void HttpTokenValidator::finished(GObject *session, GAsyncResult *result, gpointer data) {
  auto *request = static_cast<Request *>(data);
  GError *error = nullptr;
  GBytes *body = soup_session_send_and_read_finish(SOUP_SESSION(session), result, &error);
  bool cancelled = error != nullptr && g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  if (!cancelled) {  // cancelled means the validator is being destroyed
    bool accepted = false;
    std::string reason;
    if (error != nullptr) {
      reason = std::string("token validator unreachable: ") + error->message;
    } else {
      guint status = soup_message_get_status(request->message);
      gsize size = 0;
      const char *text = static_cast<const char *>(g_bytes_get_data(body, &size));
      auto json = nlohmann::json::parse(text, text + size, nullptr, false);
      bool says_invalid =
          json.is_object() && json.contains("valid") && json["valid"] != nlohmann::json(true);
      accepted = SOUP_STATUS_IS_SUCCESSFUL(status) && !says_invalid;
      if (!accepted)
        reason = "token refused by the validator (HTTP " + std::to_string(status) + ")";
    }
    std::lock_guard lock(request->validator->mutex_);
    request->done(accepted, reason);
  }
  if (error != nullptr) g_error_free(error);
  if (body != nullptr) g_bytes_unref(body);
  g_object_unref(request->message);
  delete request;
}

}  // namespace wzp::signald
