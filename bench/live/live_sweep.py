#!/usr/bin/env python3
"""The live sweep (bench/live/run.sh): whole calls as a user runs them
(`wzp loopback --network SPEC --in SPEECH.wav`, the client's defaults) over a
grid of loss, burstiness, delay and seed, with the stock GStreamer chain
(Opus in-band FEC + rtpjitterbuffer, from bench/sweep's wzp_loss_sweep) on
the same impairment settings and seed, at the wire rate each call used.
Prints a markdown table and the call-quality goals, writes a CSV and a PNG.

run.sh passes the binaries and the speech; `--from-csv FILE` prints the
table (and plot) of an earlier run without running anything."""
import argparse
import csv
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

IP_UDP = 28  # bytes per packet on the wire, as bench/sweep counts them
JITTER_MS = {150: 20, 400: 60}
RATE_KBPS = 200
QUEUE_MS = 500
CALL_TIMEOUT_S = 180

CSV_FIELDS = [
    "loss_pct", "kind", "delay_ms", "seed", "rc", "connected", "connect_s", "frames_sent",
    "packets_sent", "repair_sent", "received", "recovered", "played", "played_pct", "concealed",
    "late", "given_up", "m2e_mean_ms", "m2e_p95_ms", "wire_kbps", "up_in", "up_bytes_in",
    "up_lost", "up_queue_drop", "compressed", "compressed_ms", "shrunk", "dropped_unsent",
    "final_tier", "tier_history", "call_s", "max_stall_s", "error", "spec", "stock_real_pct", "stock_mean_ms", "stock_p95_ms", "stock_kbps",
    "stock_asked_kbps", "sweep_wzp_real_pct", "sweep_wzp_mean_ms",
]


def spec_for(loss, kind, delay, seed):
    # "random" is independent loss (burst=0, as bench/sweep's random model):
    # burst=1 would be a Gilbert model whose every loss is isolated, and the
    # model refuses it above 50 % loss (it needs burst >= loss / (1 - loss)).
    burst = 3 if kind == "bursty" else 0
    return (f"loss={loss}%,burst={burst},delay={delay}ms,jitter={jitter_for(delay)}ms,"
            f"rate={RATE_KBPS}kbps,queue={QUEUE_MS}ms,seed={seed}")


def jitter_for(delay):
    return JITTER_MS.get(delay, delay // 7)


def gst_env(plugins, name, work):
    """Each binary with its own build's plugins, and its own registry cache
    (so the two plugin paths do not rescan each other's registry)."""
    env = dict(os.environ)
    if plugins:
        env["GST_PLUGIN_PATH"] = plugins
    env["GST_REGISTRY"] = os.path.join(work, f"registry-{name}.bin")
    return env


def num(pattern, text, cast=float, default=None):
    m = re.search(pattern, text)
    return cast(m.group(1)) if m else default


def parse_call(stdout, stderr, rc, seconds):
    r = {"rc": rc}
    connect = num(r"connected in ([\d.]+) s", stderr)
    r["connected"] = int(connect is not None)
    r["connect_s"] = connect if connect is not None else ""
    r["frames_sent"] = num(r"frames sent\s+(\d+)", stdout, int, 0)
    r["packets_sent"] = num(r"frames sent\s+\d+ \((\d+) packets", stdout, int, 0)
    r["repair_sent"] = num(r"(\d+) of them repair", stdout, int, 0)
    r["received"] = num(r"frames received\s+(\d+) as sent", stdout, int, 0)
    r["recovered"] = num(r"(\d+) recovered by FEC", stdout, int, 0)
    r["played"] = num(r"frames played\s+(\d+) from real data", stdout, int, 0)
    r["concealed"] = num(r"frames concealed\s+(\d+)", stdout, int, 0)
    r["late"] = num(r"late: (\d+)", stdout, int, 0)
    r["given_up"] = num(r"FEC blocks given up: (\d+)", stdout, int, 0)
    r["m2e_mean_ms"] = num(r"mouth-to-ear delay\s+mean ([\d.]+) ms", stdout)
    r["m2e_p95_ms"] = num(r"mouth-to-ear delay\s+mean [\d.]+ ms, p95 ([\d.]+) ms", stdout)
    r["compressed"] = num(r"(\d+) frames played shorter", stdout, int, 0)
    r["compressed_ms"] = num(r"played shorter \((\d+) ms cut\)", stdout, int, 0)
    r["shrunk"] = num(r"ms cut\), (\d+) frames dropped", stdout, int, 0)
    r["dropped_unsent"] = num(r"(\d+) dropped unsent", stdout, int, 0)
    r["final_tier"] = num(r"\n\s*tier\s+(\S+)", "\n" + stdout, str, "")
    r["tier_history"] = num(r"tier history\s+(.*)", stdout, str, "").strip()
    up = num(r"network\s+up (.*?)\|", stdout, str, "")
    r["up_in"] = num(r"\bin=(\d+)", up, int, 0)
    r["up_bytes_in"] = num(r"bytes_in=(\d+)", up, int, 0)
    r["up_lost"] = num(r"lost=(\d+)", up, int, 0)
    r["up_queue_drop"] = num(r"queue_drop=(\d+)", up, int, 0)
    # Media direction, IP/UDP included, over the input's length.
    r["wire_kbps"] = round((r["up_bytes_in"] + IP_UDP * r["up_in"]) * 8 / seconds / 1000, 1)
    # A call that never connected played nothing.
    sent = r["frames_sent"]
    r["played_pct"] = round(100.0 * r["played"] / sent, 3) if sent and r["connected"] else 0.0
    if not r["connected"] or not r["played"]:
        r["m2e_mean_ms"] = r["m2e_p95_ms"] = ""
    # Status lines, one a second after connecting: the call's length, and
    # the longest time, while the sender still produced frames, that the
    # sender's QUIC rtt and loss estimates stood still (no acknowledgement
    # arrived: the link stalled; they change every second in a flowing call).
    status = re.findall(r"\| sent (\d+) frames \| to \S+: (rtt \d+ ms, loss [\d.]+ %)", stderr)
    r["call_s"] = len(status)
    stall, run, last_growth = 0, 0, 0
    for i in range(1, len(status)):
        if int(status[i][0]) > int(status[i - 1][0]):
            last_growth = i
    for i in range(1, last_growth + 1):
        run = run + 1 if status[i][1] == status[i - 1][1] else 0
        stall = max(stall, run)
    r["max_stall_s"] = stall
    failure = re.findall(r"wzp loopback: (.*)", stderr)
    r["error"] = failure[-1] if failure else ""
    return r


def short_history(text):
    """'0.0s degraded (none) 8.0s catastrophic (step-down)' -> 'degraded, catastrophic@8s'."""
    steps = re.findall(r"([\d.]+)s (\S+) \(([^)]*)\)", text)
    if not steps:
        return text or "-"
    out = []
    for at, tier, _why in steps:
        t = float(at)
        out.append(tier if t == 0 else f"{tier}@{t:.0f}s")
    return ", ".join(out)


class Runner:
    def __init__(self, a):
        self.a = a
        self.lock = threading.Lock()
        self.done = 0
        self.total = 0

    def log(self, text):
        with self.lock:
            print(text, file=sys.stderr, flush=True)

    def call(self, point):
        loss, kind, delay, seed = point
        spec = spec_for(loss, kind, delay, seed)
        name = f"{loss}-{kind}-{delay}-s{seed}"
        start = time.monotonic()
        for attempt in range(2):
            try:
                p = subprocess.run([self.a.wzp, "loopback", "--network", spec, "--in", self.a.speech],
                                   capture_output=True, text=True, timeout=CALL_TIMEOUT_S,
                                   env=gst_env(self.a.plugins, "calls", self.a.work))
                out, err, rc = p.stdout, p.stderr, p.returncode
            except subprocess.TimeoutExpired as e:
                out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
                err = (e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")) + "\ntimeout\n"
                rc = -1
            # A binary being replaced under us (a rebuild): no summary at all.
            if "call summary" in out or attempt == 1:
                break
            self.log(f"  {name}: no summary (rc {rc}), running it again")
            time.sleep(5)
        if self.a.logs:
            with open(os.path.join(self.a.logs, name + ".out"), "w") as f:
                f.write(out)
            with open(os.path.join(self.a.logs, name + ".err"), "w") as f:
                f.write("\n".join(l for l in err.splitlines() if not l.startswith(("ALSA lib", "AL lib"))))
        r = parse_call(out, err, rc, self.a.seconds)
        r.update({"loss_pct": loss, "kind": kind, "delay_ms": delay, "seed": seed, "spec": spec})
        with self.lock:
            self.done += 1
            done = self.done
        m2e = r["m2e_mean_ms"]
        self.log(f"[{done}/{self.total}] {loss} % {kind} {delay} ms seed {seed}: "
                 f"{'connected in %.1f s' % r['connect_s'] if r['connected'] else 'NEVER CONNECTED'}, "
                 f"played {r['played_pct']:.2f} %, m2e {m2e if m2e != '' else '-'} ms, "
                 f"{r['wire_kbps']} kbit/s, rc {rc} ({time.monotonic() - start:.0f} s)")
        return r

    def stock(self, delay, seed, losses, rows):
        """wzp_loss_sweep on (delay, seed): both models at every loss; the
        stock chain gets the wire rate of this seed's call at each point."""
        by_point = {(r["loss_pct"], r["kind"]): r for r in rows
                    if r["delay_ms"] == delay and r["seed"] == seed}
        asked = []
        for kind in ("random", "bursty"):
            for loss in losses:
                r = by_point.get((loss, kind))
                asked.append(r["wire_kbps"] if r and r["connected"] and r["wire_kbps"] > 0 else 0)
        fd, csv_path = tempfile.mkstemp(suffix=".csv", dir=self.a.work)
        os.close(fd)
        cmd = [self.a.sweep, "--seconds", str(self.a.seconds), "--seed", str(seed),
               "--delay-ms", str(delay), "--jitter-ms", str(jitter_for(delay)),
               "--rate-kbps", str(RATE_KBPS), "--queue-ms", str(QUEUE_MS),
               "--losses", ",".join(map(str, losses)), "--csv", csv_path,
               "--speech", self.a.sweep_speech]
        if self.a.stock_kbps_ok:
            cmd += ["--stock-kbps", ",".join(f"{k:g}" for k in asked)]
        start = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True,
                           env=gst_env(self.a.sweep_plugins, "sweep", self.a.work))
        late = num(r"warning: (\d+) packets fed more than 5 ms late", p.stderr, int, 0)
        self.log(f"stock {delay} ms seed {seed}: rc {p.returncode}, {late} packets fed late "
                 f"({time.monotonic() - start:.0f} s)")
        if p.returncode != 0:
            self.log(p.stderr[-2000:])
            return {}
        with open(csv_path, newline="") as f:
            result = {}
            for row in csv.DictReader(f):
                key = (int(row["loss_pct"]), row["model"], delay, seed)
                i = (0 if row["model"] == "random" else len(losses)) + losses.index(int(row["loss_pct"]))
                result[key] = {
                    "stock_real_pct": float(row["stock_real_pct"]),
                    "stock_mean_ms": float(row["stock_mean_ms"]),
                    "stock_p95_ms": float(row["stock_p95_ms"]),
                    "stock_kbps": float(row["stock_kbps"]),
                    "stock_asked_kbps": asked[i] if self.a.stock_kbps_ok else 0,
                    "sweep_wzp_real_pct": float(row["wzp_real_pct"]),
                    "sweep_wzp_mean_ms": float(row["wzp_mean_ms"]),
                }
        return result


def fnum(v):
    return float(v) if v not in ("", None) else None


def mean(xs):
    xs = [x for x in xs if x is not None]
    return statistics.mean(xs) if xs else None


def played_goal(loss):
    return 99.5 if loss <= 30 else 99.0 if loss <= 50 else 95.0


def m2e_goal(loss, delay):
    if loss == 0:
        return delay + 120
    if delay == 150:
        return 450 if loss <= 50 else 600
    return None


def fmt(v, spec=".1f", none="-"):
    return none if v is None else format(v, spec)


def table(rows):
    groups = {}
    for r in rows:
        groups.setdefault((int(r["loss_pct"]), r["kind"], int(r["delay_ms"])), []).append(r)
    seeds = sorted({int(r["seed"]) for r in rows})
    lines = []
    lines.append(f"Path each way: SPEC = loss=L,burst=0 (random) or 3 (bursty),delay=D,jitter=J,"
                 f"rate={RATE_KBPS}kbps,queue={QUEUE_MS}ms,seed=N; seeds {','.join(map(str, seeds))}. "
                 "wzp: `wzp loopback` with the client's defaults. stock: Opus in-band FEC + "
                 "rtpjitterbuffer (latency 200) via wzp_loss_sweep, same path settings and seed, "
                 "at the call's wire rate.\n")
    lines.append("| loss | kind | delay | played % per seed | played % mean | recovered | concealed "
                 "| m2e mean / p95 ms | wire kbit/s | connect s mean / max | tier history (seed "
                 f"{seeds[0]}) | stock played % | stock m2e mean / p95 ms | goals |")
    lines.append("|" + "---|" * 14)
    verdicts = []
    for key in sorted(groups, key=lambda k: (k[2], k[1] != "random", k[0])):
        loss, kind, delay = key
        g = sorted(groups[key], key=lambda r: int(r["seed"]))
        played = [float(r["played_pct"]) for r in g]
        m2e = mean([fnum(r["m2e_mean_ms"]) for r in g])
        p95 = mean([fnum(r["m2e_p95_ms"]) for r in g])
        connects = [fnum(r["connect_s"]) for r in g]
        never = sum(1 for r in g if str(r["connected"]) in ("0", "False"))
        conn = fmt(mean(connects)) + " / " + fmt(max([c for c in connects if c is not None], default=None))
        if never:
            conn += f" ({never} never)"
        per_seed = " / ".join(f"{p:.2f}" for p in played)
        stock_played = mean([fnum(r.get("stock_real_pct")) for r in g])
        stock_m2e = mean([fnum(r.get("stock_mean_ms")) for r in g])
        stock_p95 = mean([fnum(r.get("stock_p95_ms")) for r in g])
        pm = statistics.mean(played)
        fails = []
        if pm < played_goal(loss):
            fails.append(f"played < {played_goal(loss):g}")
        mg = m2e_goal(loss, delay)
        if mg is not None and (m2e is None or m2e > mg):
            fails.append(f"m2e > {mg}")
        verdict = "pass" if not fails else "FAIL: " + ", ".join(fails)
        verdicts.append((key, pm, min(played), m2e))
        lines.append(
            f"| {loss} % | {kind} | {delay} ms | {per_seed} | {pm:.2f} "
            f"| {mean([float(r['recovered']) for r in g]):.0f} "
            f"| {mean([float(r['concealed']) for r in g]):.0f} "
            f"| {fmt(m2e, '.0f')} / {fmt(p95, '.0f')} "
            f"| {mean([float(r['wire_kbps']) for r in g]):.0f} | {conn} "
            f"| {short_history(g[0]['tier_history'])} | {fmt(stock_played, '.2f')} "
            f"| {fmt(stock_m2e, '.0f')} / {fmt(stock_p95, '.0f')} | {verdict} |")
    lines.append("")
    lines.append("Played % = frames played from real data (received or rebuilt by FEC, in time) / "
                 "frames sent, from the call summary (0 if the call never connected); recovered, "
                 "concealed: frames, mean over seeds; m2e: mean over seeds of each call's mean and "
                 "p95; wire: the media direction's packets + 28 bytes IP/UDP each, over the "
                 "input's length (QUIC, AEAD and the handshake included).")
    lines.append("")
    # The issue's goals, judged on the mean over seeds of each row.
    goals = [
        ("played >= 99.5 % at <= 30 % loss", lambda k: k[0] <= 30, "played", 99.5),
        ("played >= 99 % at 50 % loss", lambda k: k[0] == 50, "played", 99.0),
        ("played >= 95 % at 70 % loss", lambda k: k[0] == 70, "played", 95.0),
        ("m2e mean <= 450 ms at 150 ms, 10-50 % loss", lambda k: k[2] == 150 and 0 < k[0] <= 50, "m2e", 450),
        ("m2e mean <= 600 ms at 150 ms, 70 % loss", lambda k: k[2] == 150 and k[0] == 70, "m2e", 600),
        ("clean: m2e mean <= one-way + 120 ms", lambda k: k[0] == 0, "m2e+", 120),
    ]
    lines.append("| goal (mean over seeds per row) | rows | worst row | worst single call | pass |")
    lines.append("|---|---|---|---|---|")
    for name, sel, what, target in goals:
        vs = [v for v in verdicts if sel(v[0])]
        if not vs:
            continue
        if what == "played":
            bad = [v for v in vs if v[1] < target]
            worst = min(vs, key=lambda v: v[1])
            worst_txt = f"{worst[1]:.2f} % ({worst[0][0]} % {worst[0][1]} {worst[0][2]} ms)"
            single = min(vs, key=lambda v: v[2])
            single_txt = f"{single[2]:.2f} %"
        else:
            def limit(v):
                return v[0][2] + target if what == "m2e+" else target
            over = [(v, (v[3] if v[3] is not None else 1e9) - limit(v)) for v in vs]
            bad = [v for v, d in over if d > 0]
            worst, _ = max(over, key=lambda x: x[1])
            worst_txt = (f"{fmt(worst[3], '.0f')} ms vs {limit(worst)} ({worst[0][0]} % "
                         f"{worst[0][1]} {worst[0][2]} ms)")
            single_txt = ""
        verdict = "pass" if not bad else f"FAIL ({len(bad)} of {len(vs)} rows)"
        lines.append(f"| {name} | {len(vs)} | {worst_txt} | {single_txt} | {verdict} |")
    return "\n".join(lines)


def notes(rows):
    out = []
    for r in sorted(rows, key=lambda r: (int(r["delay_ms"]), r["kind"], int(r["loss_pct"]), int(r["seed"]))):
        tag = f"{r['loss_pct']} % {r['kind']} {r['delay_ms']} ms seed {r['seed']}"
        if str(r["connected"]) in ("0", "False"):
            out.append(f"- {tag}: never connected (rc {r['rc']})")
        elif str(r["rc"]) not in ("0",):
            out.append(f"- {tag}: exit code {r['rc']}: {r.get('error', '')}")
        if int(r["max_stall_s"] or 0) >= 2:
            out.append(f"- {tag}: no QUIC acknowledgement for {r['max_stall_s']} s mid-call "
                       "(the sender's rtt and loss estimates stood still)")
        if int(r["dropped_unsent"] or 0) > 0:
            out.append(f"- {tag}: {r['dropped_unsent']} datagrams dropped unsent by the QUIC link")
        m2e = fnum(r["m2e_mean_ms"])
        if m2e is not None and m2e > int(r["delay_ms"]) + 1000:
            out.append(f"- {tag}: mouth-to-ear mean {m2e:.0f} ms")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="0 and 50 %% bursty at 150 ms, seeds 1-2")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--parallel", type=int, default=2)
    ap.add_argument("--losses", default="0,10,30,50,70")
    ap.add_argument("--kinds", default="random,bursty")
    ap.add_argument("--delays", default="150,400", help="one-way ms: 150 (jitter 20), 400 (jitter 60)")
    ap.add_argument("--csv")
    ap.add_argument("--png")
    ap.add_argument("--logs", help="keep each call's stdout/stderr here")
    ap.add_argument("--no-stock", action="store_true")
    ap.add_argument("--from-csv", help="print the table (and --png) of an earlier run")
    ap.add_argument("--wzp")
    ap.add_argument("--sweep")
    ap.add_argument("--speech")
    ap.add_argument("--sweep-speech")
    ap.add_argument("--plugins", help="GST_PLUGIN_PATH for the calls")
    ap.add_argument("--sweep-plugins", help="GST_PLUGIN_PATH for wzp_loss_sweep")
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--work", default=tempfile.gettempdir())
    a = ap.parse_args()

    if a.from_csv:
        with open(a.from_csv, newline="") as f:
            rows = list(csv.DictReader(f))
    else:
        losses = [int(x) for x in a.losses.split(",")]
        kinds = a.kinds.split(",")
        delays = [int(x) for x in a.delays.split(",")]
        seeds = list(range(1, a.seeds + 1))
        if a.quick:
            losses, kinds, delays, seeds = [0, 50], ["bursty"], [150], [1, 2]
        if a.logs:
            os.makedirs(a.logs, exist_ok=True)
        points = [(l, k, d, s) for d in delays for k in kinds for l in losses for s in seeds]
        runner = Runner(a)
        runner.total = len(points)
        t0 = time.monotonic()
        runner.log(f"{len(points)} calls of {a.seconds} s, {a.parallel} at a time")
        with ThreadPoolExecutor(a.parallel) as pool:
            rows = list(pool.map(runner.call, points))
        t_calls = time.monotonic() - t0
        if not a.no_stock and a.sweep:
            a.stock_kbps_ok = True
            probe = subprocess.run([a.sweep, "--stock-kbps", "0", "--seconds", "1"],
                                   capture_output=True, text=True,
                                   env=gst_env(a.sweep_plugins, "sweep", a.work))
            if "unknown option" in probe.stderr:
                a.stock_kbps_ok = False
                runner.log(f"{a.sweep} has no --stock-kbps: the stock chain gets the wire rate of "
                           "wzp's fixed sweep settings, not the call's")
            jobs = [(d, s) for d in delays for s in seeds]
            with ThreadPoolExecutor(a.parallel) as pool:
                results = list(pool.map(lambda j: runner.stock(j[0], j[1], losses, rows), jobs))
            stock = {}
            for res in results:
                stock.update(res)
            for r in rows:
                r.update(stock.get((r["loss_pct"], r["kind"], r["delay_ms"], r["seed"]), {}))
        runner.log(f"calls took {t_calls / 60:.1f} min, everything {(time.monotonic() - t0) / 60:.1f} min")
        if a.csv:
            with open(a.csv, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
                w.writeheader()
                for r in rows:
                    w.writerow(r)
    print(table(rows))
    n = notes(rows)
    if n:
        print("\nNotes:\n" + "\n".join(n))
    if a.png:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, here)
        import plot  # noqa: E402
        plot.draw(rows, a.png)
        print(f"\nplot: {a.png}", file=sys.stderr)


if __name__ == "__main__":
    main()
