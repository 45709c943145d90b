#!/usr/bin/python3
"""Talks to wzp-web's WebSocket and /metrics directly, without a browser,
and writes what it saw as JSON for limits_test.cpp to judge (this script
asserts nothing). Every step waits for the bridge's answer, never for a
time.

  probe_bridge.py ORIGIN limits|auth OUT_JSON MESSAGE_BYTES

limits: from 127.0.0.5, connections that are never WebSockets: one sends
nothing, one half a TLS ClientHello, one half an HTTP request after its
TLS handshake, then one more than the bridge lets one address hold, until
each is closed. A session that never joins and one that joins (with the
good token) and makes only an offer without audio, both from 127.0.0.4,
until each is closed; meanwhile, each on a fresh WebSocket from 127.0.0.1: a
message over MESSAGE_BYTES, one that is not JSON, a binary one, a join with
another room's invite, and a flood until the bridge closes the socket.
Then sessions from 127.0.0.1, then 127.0.0.2, then 127.0.0.3, each until
one is refused (the bridge is full by the third).
auth: joins without a token, with a bad one, then with the good one on the
same WebSocket.
Either way /metrics last.
"""
import json
import socket
import ssl
import struct
import sys
import time
import urllib.parse
import urllib.request

import websocket

CONTEXT = ssl.create_default_context()
CONTEXT.check_hostname = False
CONTEXT.verify_mode = ssl.CERT_NONE
PATIENCE = 15  # seconds to wait for any one answer before giving up


def connect(origin, source="127.0.0.1"):
    """A WebSocket to the bridge from the loopback address `source`."""
    host, port = urllib.parse.urlparse(origin).netloc.rsplit(":", 1)
    raw = socket.create_connection((host, int(port)), timeout=PATIENCE, source_address=(source, 0))
    tls = CONTEXT.wrap_socket(raw, server_hostname=host)
    return websocket.create_connection(f"wss://{host}:{port}/ws", socket=tls, timeout=PATIENCE)


def next_event(ws):
    """The next message as a dict, or {"closed": code, "reason": text}."""
    while True:
        # Frame by frame: the bridge may be gone by the time we would answer
        # its close, which is no failure here.
        try:
            frame = ws.recv_frame()
        except (websocket.WebSocketException, OSError) as e:
            return {"closed": None, "reason": str(e)}
        if frame.opcode == websocket.ABNF.OPCODE_CLOSE:
            code = struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None
            try:  # as a browser does, so the bridge lets the session go now
                ws.send_close()
                ws.shutdown()
            except (websocket.WebSocketException, OSError):
                pass
            return {"closed": code, "reason": frame.data[2:].decode(errors="replace")}
        if frame.opcode == websocket.ABNF.OPCODE_TEXT:
            message = json.loads(frame.data)
            if message.get("type") not in ("status", "event"):
                return message


def tcp_to(origin, source):
    host, port = urllib.parse.urlparse(origin).netloc.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=PATIENCE,
                                    source_address=(source, 0))


def client_hello():
    """The first flight of a real TLS handshake, as a browser would send it."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = CONTEXT.wrap_bio(incoming, outgoing, server_hostname="127.0.0.1")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def waiting_connections(origin, source):
    """Connections from `source` that stay short of a request: one silent,
    one with half a ClientHello, one with half a request; then one more."""
    silent = tcp_to(origin, source)
    half_hello = tcp_to(origin, source)
    hello = client_hello()
    half_hello.sendall(hello[:len(hello) // 2])
    half_request = CONTEXT.wrap_socket(tcp_to(origin, source), server_hostname="127.0.0.1")
    half_request.sendall(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websock")
    return {"silent": silent, "half_hello": half_hello, "half_request": half_request,
            "one_more": tcp_to(origin, source)}


def closed_by_bridge(sock):
    """Whether the bridge closed `sock` (end of stream or reset) rather than
    leaving it open past PATIENCE, and anything it sent first."""
    try:
        data = sock.recv(4096)
        return data == b"", data.decode(errors="replace")
    except (ConnectionError, ssl.SSLError) as e:
        return True, str(e)
    except socket.timeout:
        return False, "still open"
    finally:
        sock.close()


def answer_to(origin, message, binary=False):
    ws = connect(origin)
    if binary:
        ws.send_binary(message)
    else:
        ws.send(message)
    reply = next_event(ws)
    ws.close()
    return reply


def until_closed(ws):
    """Every message up to the close, the close last."""
    seen = []
    while "closed" not in (seen[-1] if seen else {}):
        seen.append(next_event(ws))
    return seen


def fill(origin, source):
    """Sessions from `source` until one is refused: how many were served,
    what the refused one heard (up to its close), and the served ones, still
    open. A served session answers an ICE candidate before any offer with
    not_ready; a refused one hears why and is closed."""
    served = []
    while len(served) < 16:
        ws = connect(origin, source)
        ws.send(json.dumps({"type": "ice", "candidate": "candidate:x", "sdpMLineIndex": 0}))
        reply = next_event(ws)
        if reply.get("code") != "not_ready":
            return {"served": len(served), "refusal": [reply] + until_closed(ws)}, served
        served.append(ws)
    return {"served": len(served), "refusal": []}, served


def wait_idle(origin):
    """Until the bridge has let every session go (closing takes its round trip)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        if "wzp_web_sessions_active 0\n" in metrics(origin):
            return
        time.sleep(0.02)


def metrics(origin):
    return urllib.request.urlopen(origin + "/metrics", context=CONTEXT,
                                  timeout=PATIENCE).read().decode()


def probe_limits(origin, message_bytes):
    # When each step ended, in seconds from the start (where time goes at load).
    out = {"times": {}}
    start = time.monotonic()

    def done(step):
        out["times"][step] = round(time.monotonic() - start, 3)

    # Connections that are never WebSockets, whose deadline runs meanwhile.
    waiting = waiting_connections(origin, "127.0.0.5")
    out["one_more"] = closed_by_bridge(waiting.pop("one_more"))[0]
    done("waiting")

    # Deadlines, running while the messages below are tried: one session
    # never says what it wants, one joins and makes only an offer the bridge
    # cannot take (which does not count as one).
    silent = connect(origin, "127.0.0.4")
    joining = connect(origin, "127.0.0.4")
    joining.send(json.dumps({"type": "join", "room": "limits-room", "token": "good-token"}))
    out["joined"] = [next_event(joining), next_event(joining)]
    joining.send(json.dumps({"type": "offer", "sdp": "v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
                                                     "a=rtpmap:96 VP8/90000\r\n"}))
    out["bad_offer"] = next_event(joining)
    done("joined")

    out["too_big"] = answer_to(origin, json.dumps({"type": "leave", "pad": "x" * message_bytes}))
    out["not_json"] = answer_to(origin, "{not json")
    out["binary"] = answer_to(origin, b"\x00\x01", binary=True)
    out["wrong_invite"] = answer_to(origin, json.dumps(
        {"type": "join", "room": "limits-room", "invite": "wzp-room:other-room#" + "A" * 43}))
    done("messages")

    # A flood: far beyond the burst, sent without reading; then what came.
    ws = connect(origin)
    sent = 0
    try:
        for _ in range(1000):
            ws.send(json.dumps({"type": "leave"}))
            sent += 1
    except (websocket.WebSocketConnectionClosedException, ConnectionError, BrokenPipeError):
        pass  # closed by the bridge meanwhile
    out["flood"] = {"sent": sent, "seen": until_closed(ws)}
    done("flood")

    out["silent"] = until_closed(silent)
    out["silent_after_s"] = time.monotonic() - start
    out["no_offer"] = until_closed(joining)
    out["waiting"] = {name: closed_by_bridge(sock)[0] for name, sock in waiting.items()}
    done("deadlines")

    # Per address, then in all.
    wait_idle(origin)
    done("idle")
    out["per_address"], open_now = fill(origin, "127.0.0.1")
    out["second_address"], more = fill(origin, "127.0.0.2")
    out["third_address"], _ = fill(origin, "127.0.0.3")
    for ws in open_now + more:
        ws.close()
    done("sessions")
    wait_idle(origin)
    done("all closed")
    return out


def probe_auth(origin):
    out = {}
    ws = connect(origin)
    for name, token in (("no_token", None), ("bad_token", "stolen-token")):
        ws.send(json.dumps({"type": "join", "room": "auth-room", "token": token}))
        out[name] = next_event(ws)
    # The same session signs in once the browser has a good token.
    ws.send(json.dumps({"type": "join", "room": "auth-room", "token": "good-token"}))
    out["good_token"] = [next_event(ws), next_event(ws)]
    ws.close()
    return out


def main():
    origin, scenario, out_path, message_bytes = sys.argv[1:5]
    result = probe_limits(origin, int(message_bytes)) if scenario == "limits" else probe_auth(origin)
    result["metrics"] = metrics(origin)
    with open(out_path, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
