// --auth-url: a client's bearer token is valid if an HTTP POST of it to the
// URL (JSON {"token": ...} and an Authorization: Bearer header) answers 2xx
// and, when the body is JSON with a "valid" field, that field is true. The
// request runs on the GLib main loop; the answer is delivered under the core
// mutex. Tokens never appear in logs.
#pragma once

#include <libsoup/soup.h>

#include <mutex>
#include <string>

#include "signald/core/server.hpp"

namespace wzp::signald {

class HttpTokenValidator final : public TokenValidator {
 public:
  HttpTokenValidator(GMainContext *main_context, std::mutex &core_mutex, std::string url);
  ~HttpTokenValidator() override;

  // Called with the core mutex held, on any thread.
  void validate(const std::string &token, Done done) override;

 private:
  struct Request;
  static gboolean start(gpointer request);
  static void finished(GObject *session, GAsyncResult *result, gpointer request);

  GMainContext *main_context_;
  std::mutex &mutex_;
  std::string url_;
  SoupSession *session_;
  GCancellable *cancellable_;
};

}  // namespace wzp::signald
