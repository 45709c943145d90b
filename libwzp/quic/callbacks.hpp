// The ngtcp2 callbacks of a Connection, with access to its I/O-thread
// state. Private to connection.cpp.
#pragma once

#include <gnutls/crypto.h>
#include <ngtcp2/ngtcp2_crypto_gnutls.h>

#include <algorithm>

#include "libwzp/quic/clock.hpp"
#include "libwzp/quic/connection.hpp"
#include "libwzp/quic/tls.hpp"

namespace wzp::quic {

struct NgCallbacks {
  // user_data is a Connection's callback_target_.
  static Connection *self(void *user_data) { return *static_cast<Connection **>(user_data); }

  static ngtcp2_conn *get_conn(ngtcp2_crypto_conn_ref *ref) { return self(ref->user_data)->conn_; }
  static void rand(uint8_t *dest, size_t size, const ngtcp2_rand_ctx *) {
    gnutls_rnd(GNUTLS_RND_RANDOM, dest, size);
  }
  static int new_connection_id(ngtcp2_conn *, ngtcp2_cid *cid, uint8_t *token, size_t cidlen,
                               void *user_data) {
    Connection *c = self(user_data);
    if (gnutls_rnd(GNUTLS_RND_RANDOM, cid->data, cidlen) != 0) return NGTCP2_ERR_CALLBACK_FAILURE;
    cid->datalen = cidlen;
    auto secret = c->host_.reset_secret();
    if (ngtcp2_crypto_generate_stateless_reset_token(token, secret.data(), secret.size(), cid) !=
            0 ||
        !c->host_.register_cid(*cid, c)) {
      return NGTCP2_ERR_CALLBACK_FAILURE;
    }
    c->cids_.push_back(*cid);
    return 0;
  }
  static int remove_connection_id(ngtcp2_conn *, const ngtcp2_cid *cid, void *user_data) {
    Connection *c = self(user_data);
    c->host_.unregister_cid(*cid);
    std::erase_if(c->cids_, [cid](const ngtcp2_cid &known) { return ngtcp2_cid_eq(&known, cid); });
    return 0;
  }
  static int handshake_completed(ngtcp2_conn *, void *user_data) {
    self(user_data)->on_handshake_completed();
    return self(user_data)->local_error_.empty() ? 0 : NGTCP2_ERR_CALLBACK_FAILURE;
  }
  static int handshake_confirmed(ngtcp2_conn *, void *user_data) {
    self(user_data)->on_handshake_confirmed();
    return 0;
  }
  static int recv_datagram(ngtcp2_conn *, uint32_t, const uint8_t *data, size_t size,
                           void *user_data) {
    Connection *c = self(user_data);
    if (size == 0) return 0;  // an unconfirmed client's probe (send_signaling_probe)
    if (size == 1 && data[0] == kRestartRequest) {
      c->bounce_for_server(now_ns());
      return 0;
    }
    ++c->io_stats_.datagrams_received;
    c->note_active();
    if (c->handlers_.on_datagram) c->handlers_.on_datagram({data, size});
    return 0;
  }
  static int ack_datagram(ngtcp2_conn *, uint64_t id, void *user_data) {
    if (is_media_datagram_id(id)) ++self(user_data)->io_stats_.datagrams_acked;
    return 0;
  }
  static int lost_datagram(ngtcp2_conn *, uint64_t id, void *user_data) {
    if (is_media_datagram_id(id)) ++self(user_data)->io_stats_.datagrams_lost;
    return 0;
  }
  static int recv_stream_data(ngtcp2_conn *conn, uint32_t, int64_t stream_id, uint64_t,
                              const uint8_t *data, size_t size, void *user_data, void *) {
    Connection *c = self(user_data);
    c->on_stream_data(stream_id, {data, size});
    if (!c->local_error_.empty()) return NGTCP2_ERR_CALLBACK_FAILURE;
    // The bytes are consumed: give the peer its flow-control credit back.
    ngtcp2_conn_extend_max_stream_offset(conn, stream_id, size);
    ngtcp2_conn_extend_max_offset(conn, size);
    return 0;
  }
  static int acked_stream_data_offset(ngtcp2_conn *, int64_t stream_id, uint64_t offset,
                                      uint64_t size, void *user_data, void *) {
    Connection *c = self(user_data);
    if (stream_id == c->send_stream_) c->on_stream_acked(offset, size);
    return 0;
  }
  static int stream_close(ngtcp2_conn *, uint32_t, int64_t stream_id, uint64_t, void *user_data,
                          void *) {
    Connection *c = self(user_data);
    c->readers_.erase(stream_id);
    if (stream_id == c->send_stream_) {
      c->send_stream_ = -1;
      c->stream_chunks_.clear();
      c->stream_front_ = c->stream_end_ = c->stream_acked_ = c->stream_written_ = 0;
      c->stream_padding_ = 0;
    }
    return 0;
  }
  static int verify_pinned(gnutls_session_t session) {
    auto *ref = static_cast<ngtcp2_crypto_conn_ref *>(gnutls_session_get_ptr(session));
    Connection *c = self(ref->user_data);
    return TlsContext::check_pinned(session, c->pin(), c->local_error_) ? 0 : -1;
  }

  static ngtcp2_callbacks table(bool server) {
    ngtcp2_callbacks cb{};
    if (server) {
      cb.recv_client_initial = ngtcp2_crypto_recv_client_initial_cb;
    } else {
      cb.client_initial = ngtcp2_crypto_client_initial_cb;
      cb.recv_retry = ngtcp2_crypto_recv_retry_cb;
    }
    cb.recv_crypto_data = ngtcp2_crypto_recv_crypto_data_cb;
    cb.encrypt = ngtcp2_crypto_encrypt_cb;
    cb.decrypt = ngtcp2_crypto_decrypt_cb;
    cb.hp_mask = ngtcp2_crypto_hp_mask_cb;
    cb.update_key = ngtcp2_crypto_update_key_cb;
    cb.delete_crypto_aead_ctx = ngtcp2_crypto_delete_crypto_aead_ctx_cb;
    cb.delete_crypto_cipher_ctx = ngtcp2_crypto_delete_crypto_cipher_ctx_cb;
    cb.get_path_challenge_data = ngtcp2_crypto_get_path_challenge_data_cb;
    cb.version_negotiation = ngtcp2_crypto_version_negotiation_cb;
    cb.rand = rand;
    cb.get_new_connection_id = new_connection_id;
    cb.remove_connection_id = remove_connection_id;
    cb.handshake_completed = handshake_completed;
    cb.handshake_confirmed = handshake_confirmed;
    cb.recv_datagram = recv_datagram;
    cb.ack_datagram = ack_datagram;
    cb.lost_datagram = lost_datagram;
    cb.recv_stream_data = recv_stream_data;
    cb.acked_stream_data_offset = acked_stream_data_offset;
    cb.stream_close = stream_close;
    return cb;
  }
};

}  // namespace wzp::quic
