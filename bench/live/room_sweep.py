#!/usr/bin/env python3
"""The room sweep (issue 19): `wzp room` as users run it, under loss.

For each case, a real wzp-signald on loopback and N real `wzp room`
members (own identities, espeak-ng speech from bench/support/speech.sh)
join one room for --seconds; none, one, or half of them reach the daemon
through

  --network loss=L,burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms,seed=S

Each member's summary is parsed into a table: per receiving member and per
speaker, frames played from real data (received or rebuilt by FEC) as a
share of played + concealed, FEC-recovered, concealed, the playout delay
at the end; per member, packets dropped for want of a key after its first
status line (its first second in the room), how long each other member's
key took to arrive after that member's join reached it, the key datagrams
it sent and received (docs/PROTOCOL.md, "Key datagrams"); the room's tier
history as the member saw it and its number of tier changes; the datagrams
the daemon dropped as over a member's budget (docs/rooms.md "Per-sender
policing": honest members must never be).

Usage: bench/live/room_sweep.py [--members 3] [--seconds 30] [--losses 30,50]
                                [--who one,half] [--seed 1] [--no-clean] [--logs DIR]
                                [--tier T]
Builds nothing: WZP_BUILD_DIR (default build/ next to bench/) must hold
client/wzp, signald/wzp-signald and gst-plugins/. Needs espeak-ng.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"]

READY = re.compile(r"wzp-signald ready quic=\S+:(\d+) http=\S+:(\d+) cert_sha256=(\S+)")
SENDER = re.compile(r"in room \S+ as sender (\d+)")
NO_KEY = re.compile(r"no key (\d+)")
KEY_WAIT = re.compile(r"^hearing \S+, its key ([\d.]+) s after its join", re.M)
PLAYOUT = re.compile(
    r"sender id (\d+): played (\d+) \(FEC (\d+)\), concealed (\d+), delay (\d+) ms")
HISTORY = re.compile(r"^\s*tier history\s+(.*)$", re.M)
KEY_DATAGRAMS = re.compile(
    r"key datagrams\s+(\d+) sent; received: (\d+) taken, (\d+) repeated, (\d+) refused")


def make_speech(path, seconds):
    subprocess.run(["bash", "-c", f"source '{ROOT}/bench/support/speech.sh'; "
                    f"make_speech '{path}' {seconds}"], check=True)


def start_daemon(build, work):
    log = open(os.path.join(work, "signald.log"), "w+")
    daemon = subprocess.Popen(
        [os.path.join(build, "signald/wzp-signald"), "--listen", "127.0.0.1:0", "--http",
         "127.0.0.1:0", "--database", os.path.join(work, "signald.db"),
         # every member signs in from 127.0.0.1, through lossy paths at once
         "--max-waiting-per-address", "64"],
        stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, G_MESSAGES_DEBUG="wzp-signald"))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        log.seek(0)
        match = READY.search(log.read())
        if match:
            return daemon, int(match.group(1)), match.group(3), int(match.group(2))
        if daemon.poll() is not None:
            break
        time.sleep(0.1)  # polling the daemon's log for its readiness line
    daemon.kill()
    sys.exit("wzp-signald did not become ready; see " + log.name)


def member_env(build, work, who, port, cert, invite=""):
    # The room's invite goes in the environment, not on a command line other
    # users can read.
    return dict(os.environ, WZP_IDENTITY=os.path.join(work, who + ".id"),
                WZP_PASSPHRASE="pass of " + who, WZP_SERVER=f"127.0.0.1:{port}",
                WZP_SERVER_FINGERPRINT=cert, GST_PLUGIN_PATH=os.path.join(build, "gst-plugins"),
                G_DEBUG="fatal-criticals", WZP_ROOM_INVITE=invite)


def new_invite(build):
    """A fresh room (docs/rooms.md): every member of a case joins its invite."""
    return subprocess.run([os.path.join(build, "client/wzp"), "room", "invite", "sweep"],
                          check=True, capture_output=True, text=True).stdout.strip()


def network(loss, seed):
    return (f"loss={loss / 100:g},burst=3,delay=150ms,jitter=20ms,rate=200kbps,queue=500ms,"
            f"seed={seed}")


def start_member(args, build, work, speech, who, lossy_net, seconds, case):
    env = member_env(build, work, who, args.port, args.cert, args.invite)
    cmd = [os.path.join(build, "client/wzp"), "room", "join", "--in", speech, "--out",
           os.path.join(work, f"{case}_{who}.wav"), "--seconds", str(seconds)]
    if lossy_net:
        cmd += ["--network", lossy_net]
    if args.tier:
        cmd += ["--tier", args.tier]
    out = open(os.path.join(work, f"{case}_{who}.out"), "w")
    err_path = os.path.join(work, f"{case}_{who}.err")
    err = open(err_path, "w")
    return subprocess.Popen(cmd, env=env, stdout=out, stderr=err), err_path


def wait_joined(proc, err_path, timeout):
    """True once the member prints that it is in the room; False if it exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if SENDER.search(open(err_path).read()):
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.1)  # polling the member's output for its join line
    return False


def run_case(args, build, work, speech, members, lossy, loss, case):
    """The lossy members join first (signing in over loss can take seconds
    or fail: each gets 3 tries) and stay 15 s longer, so that every member
    is in the room together for --seconds."""
    daemon, args.port, args.cert, http_port = start_daemon(build, work)
    args.invite = new_invite(build)
    procs = {}
    tries = {}
    try:
        for who in members:
            env = member_env(build, work, who, args.port, args.cert)
            if not os.path.exists(env["WZP_IDENTITY"]):
                subprocess.run([os.path.join(build, "client/wzp"), "id", "new"], env=env,
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for who in lossy:
            for attempt in range(3):
                tries[who] = attempt + 1
                net = network(loss, args.seed + members.index(who) + 100 * attempt)
                proc, err_path = start_member(args, build, work, speech, who, net,
                                              args.seconds + 15, case)
                procs[who] = proc
                if wait_joined(proc, err_path, 60):
                    break
                if proc.poll() is None:
                    proc.kill()
                proc.wait()
        for who in members:
            if who not in lossy:
                procs[who], _ = start_member(args, build, work, speech, who, None, args.seconds,
                                             case)
                tries[who] = 1
        for proc in procs.values():
            proc.wait(timeout=args.seconds + 120)
        counters = daemon_counters(http_port)
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
        daemon.terminate()
        daemon.wait(timeout=10)
    results = {}
    for who, proc in procs.items():
        out = open(os.path.join(work, f"{case}_{who}.out")).read()
        err = open(os.path.join(work, f"{case}_{who}.err")).read()
        sender = SENDER.search(err)
        history = HISTORY.search(out)
        key_datagrams = KEY_DATAGRAMS.search(out)
        tiers = [t.strip() for t in history.group(1).split(";") if t.strip()] if history else []
        results[who] = {
            "exit": proc.returncode,
            "tries": tries[who],
            "sender": int(sender.group(1)) if sender else None,
            "lossy": who in lossy,
            "no_key_late": no_key_late(err, len(members)),
            "key_waits": [float(s) for s in KEY_WAIT.findall(err)],
            "heard": {int(m[0]): [int(x) for x in m[1:]] for m in PLAYOUT.findall(out)},
            "tiers": tiers,
            "key_datagrams": "/".join(key_datagrams.groups()) if key_datagrams else "-",
        }
    return results, counters


def daemon_counters(http_port):
    """What the daemon held against honest members, which must be nothing:
    datagrams dropped as over a sender's budget, and quality reports clamped
    as contradicted by the relay's own view (docs/rooms.md); and the media
    its own QUIC links dropped before sending."""
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=5).read()
    counters = {}
    for name, pattern in (
            ("over budget", rb'wzp_signald_datagrams_dropped_total\{reason="over_budget"\} (\d+)'),
            ("implausible reports", rb"wzp_signald_implausible_reports_total (\d+)"),
            ("unsent", rb"wzp_signald_datagrams_unsent_total (\d+)"),
            ("restarts", rb"wzp_signald_congestion_restarts_total (\d+)")):
        match = re.search(pattern, metrics)
        counters[name] = int(match.group(1)) if match else None
    return counters


def no_key_late(err, members):
    """Packets dropped for want of a key after the first second in which the
    whole room was there: from the second status line after the last join
    (`no key` is cumulative on each status line)."""
    lines = err.splitlines()
    joins = [i for i, line in enumerate(lines)
             if line.startswith("joined:") and f"({members} in the room)" in line]
    if not joins:
        return None
    counts = [int(m.group(1)) for line in lines[joins[-1]:] if line.startswith("room ")
              for m in [NO_KEY.search(line)] if m]
    return counts[-1] - counts[1] if len(counts) > 1 else None


def table(case, results, members, counters):
    by_sender = {r["sender"]: who for who, r in results.items()}
    rows = [f"\n### {case}\n",
            "| hearer | speaker | real % | played | FEC | concealed | delay ms |",
            "|---|---|---|---|---|---|---|"]
    for hearer in members:
        r = results[hearer]
        mark = " (lossy)" if r["lossy"] else ""
        if r["exit"] != 0:
            rows.append(f"| {hearer}{mark} | exit {r['exit']} | | | | | |")
        if r["tries"] > 1:
            rows.append(f"| {hearer}{mark} | joined at try {r['tries']} | | | | | |")
        for sender, (played, fec, concealed, delay) in sorted(
                r["heard"].items(), key=lambda kv: members.index(by_sender.get(kv[0], hearer))):
            speaker = by_sender.get(sender, str(sender))
            speaker += " (lossy)" if results.get(speaker, {}).get("lossy") else ""
            total = played + concealed
            real = f"{100 * played / total:.2f}" if total else "-"
            rows.append(f"| {hearer}{mark} | {speaker} | {real} | {played} | {fec} | "
                        f"{concealed} | {delay} |")
        missing = [w for w in members if w != hearer and results[w]["sender"] not in r["heard"]]
        for who in missing:
            rows.append(f"| {hearer}{mark} | {who} | not heard | | | | |")
    rows.append("")
    rows.append(f"datagrams over a member's budget (dropped by the daemon): "
                f"{counters['over budget']}; reports the daemon found implausible: "
                f"{counters['implausible reports']}; datagrams the daemon dropped unsent: "
                f"{counters['unsent']}; congestion restarts on its links: "
                f"{counters['restarts']}")
    rows.append("")
    rows.append("| member | no key after 1 s | keys after join, s | key datagrams sent/taken/"
                "repeated/refused | tier changes | tier history |")
    rows.append("|---|---|---|---|---|---|")
    for who in members:
        r = results[who]
        waits = ", ".join(f"{w:.1f}" for w in r["key_waits"]) or "-"
        rows.append(f"| {who} | {r['no_key_late']} | {waits} | {r['key_datagrams']} | "
                    f"{max(0, len(r['tiers']) - 1)} | {'; '.join(r['tiers'])} |")
    return "\n".join(rows)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--losses", default="30,50")
    parser.add_argument("--who", default="one,half", help="which members are lossy: one, half")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-clean", action="store_true", help="skip the clean room")
    parser.add_argument("--logs", help="keep every member's output here")
    parser.add_argument("--tier", help="every member starts sending at this tier (wzp room --tier)")
    args = parser.parse_args()
    build = os.path.abspath(os.environ.get("WZP_BUILD_DIR", os.path.join(ROOT, "build")))
    for binary in ("client/wzp", "signald/wzp-signald"):
        if not os.access(os.path.join(build, binary), os.X_OK):
            sys.exit(f"no {build}/{binary}: build it first")
    members = NAMES[:args.members]
    work = args.logs or tempfile.mkdtemp(prefix="room-sweep-")
    os.makedirs(work, exist_ok=True)
    speech = os.path.join(work, "speech.wav")
    make_speech(speech, args.seconds + 5)
    cases = [] if args.no_clean else [("clean", [], 0)]
    for loss in (int(x) for x in args.losses.split(",") if x):
        for who in args.who.split(","):
            # Half rounds up: of 3 members, 2 (1 would be the "one" case).
            count = 1 if who == "one" else (args.members + 1) // 2
            if who == "half" and count == 1 and "one" in args.who.split(","):
                continue
            cases.append((f"{who} lossy ({count} of {args.members}) at {loss} %",
                          members[-count:], loss))
    print(f"# room sweep: {args.members} members, {args.seconds} s, "
          f"lossy path {network(0, args.seed).replace('loss=0', 'loss=L')} (seed + member index)")
    failed = False
    for number, (case, lossy, loss) in enumerate(cases):
        results, counters = run_case(args, build, work, speech, members, lossy, loss,
                                        f"case{number}")
        print(table(case, results, members, counters), flush=True)
        failed |= any(r["exit"] != 0 for r in results.values())
    if not args.logs:
        shutil.rmtree(work)
    else:
        print(f"\nlogs in {work}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
