#!/usr/bin/python3
"""wzp-web's CPU per browser session (bench/web/run.sh runs it).

  sessions.py BUILD_DIR WORK_DIR "N1 N2 ..."

For each N: N headless Chromium tabs, two to a room (/room/bench-N-K,
processing off), until each page is in the call and has heard its peer;
then wzp-web's CPU time (utime + stime from /proc) over WINDOW seconds of
wall time. Prints, per N, wzp-web's share of one core, per session, and
the marginal cost per session between successive N (what one more session
costs, without the bridge's idle cost): 100 % over that is the sessions
one core carries.
"""
import json
import os
import re
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import websocket

WINDOW = 20  # seconds measured, once every tab is in the call
TICK = os.sysconf("SC_CLK_TCK")


def started(args, pattern, env=None):
    """A process and the match of the first line of its output matching `pattern`."""
    process = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        m = re.search(pattern, line)
        if m:
            return process, m
    process.kill()
    raise RuntimeError(f"{args[0]} did not start")


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


class Tab:
    def __init__(self, devtools_port, url):
        request = urllib.request.Request(
            f"http://127.0.0.1:{devtools_port}/json/new?" + urllib.parse.quote(url, safe=":/@?=&"),
            method="PUT")
        self.target = json.load(urllib.request.urlopen(request, timeout=10))
        self.ws = websocket.create_connection(self.target["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def evaluate(self, expression):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": "Runtime.evaluate",
                                 "params": {"expression": expression, "returnByValue": True}}))
        while True:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                return reply.get("result", {}).get("result", {}).get("value")

    def close(self, devtools_port):
        self.ws.close()
        urllib.request.urlopen(
            f"http://127.0.0.1:{devtools_port}/json/close/{self.target['id']}", timeout=10).read()


def measure(devtools_port, origin, web_pid, sessions):
    tabs = [Tab(devtools_port, f"{origin}/room/bench-{sessions}-{i // 2}?processing=off")
            for i in range(sessions)]
    deadline = time.monotonic() + 120
    hearing = "window.wzp && wzp.state === 'in the call' && wzp.status && " \
              "wzp.status.members.some(m => m.heard)"
    while not all(tab.evaluate(hearing) for tab in tabs):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{sessions} sessions: not every tab hears its peer in 120 s")
        time.sleep(0.5)
    cpu, wall = cpu_seconds(web_pid), time.monotonic()
    time.sleep(WINDOW)
    share = (cpu_seconds(web_pid) - cpu) / (time.monotonic() - wall)
    for tab in tabs:
        tab.close(devtools_port)
    return share


def main():
    build, work, counts = sys.argv[1], sys.argv[2], [int(n) for n in sys.argv[3].split()]
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(build, "gst-plugins"))
    daemon, ready = started(
        [os.path.join(build, "signald/wzp-signald"), "--listen", "127.0.0.1:0", "--http",
         "127.0.0.1:0", "--database", os.path.join(work, "signald.db")],
        r"ready quic=\S+:(\d+) http=\S+ cert_sha256=(\S+)", dict(env, G_MESSAGES_DEBUG="wzp-signald"))
    web, serving = started(
        [os.path.join(build, "web/wzp-web"), "--signald", f"127.0.0.1:{ready[1]}",
         "--signald-fingerprint", ready[2], "--address", "127.0.0.1", "--port", "0",
         "--max-sessions-per-address", "64", "--max-waiting-per-address", "32"],
        r"serving (https://127\.0\.0\.1:\d+)/", env)
    chromium, devtools = started(
        ["/usr/bin/chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={work}/chromium", "--remote-debugging-port=0",
         "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
         f"--use-file-for-fake-audio-capture={work}/speech.wav",
         "--autoplay-policy=no-user-gesture-required", "--ignore-certificate-errors",
         "--disable-features=WebRtcHideLocalIpsWithMdns", "--disable-renderer-backgrounding",
         "--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
         "about:blank"],
        r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", dict(os.environ, HOME=work))
    # Keep the pipes drained so no process blocks on a full one.
    for p in (daemon, web, chromium):
        subprocess.Popen(["cat"], stdin=p.stdout, stdout=subprocess.DEVNULL)
    try:
        with open("/proc/loadavg") as f:
            print(f"load average before: {' '.join(f.read().split()[:3])}")
        print("| sessions | wzp-web CPU (% of a core) | per session | marginal per session |")
        print("|---|---|---|---|")
        previous = None
        for n in counts:
            share = measure(int(devtools[1]), serving[1], web.pid, n)
            marginal = "" if previous is None else \
                f"{100 * (share - previous[1]) / (n - previous[0]):.1f} %"
            print(f"| {n} | {100 * share:.1f} % | {100 * share / n:.1f} % | {marginal} |",
                  flush=True)
            previous = (n, share)
        with open("/proc/loadavg") as f:
            print(f"load average after: {' '.join(f.read().split()[:3])}")
    finally:
        for p in (chromium, web, daemon):
            p.terminate()
            p.wait(timeout=10)


if __name__ == "__main__":
    main()
