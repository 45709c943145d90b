#!/usr/bin/python3
"""What a FEC layout can play through netsim's bursty loss, in a model.

netsim's bursty loss is a two-state (Gilbert-Elliott) chain stepped once per
packet: mean burst B, long-run loss L. This replays that chain over the
packets a wzp FEC encoder sends (K source frames a block, D blocks dealt
round-robin, ceil(ratio x K) repair packets a block, sent as the group
closes or paced over the first half of the next group's frames) and counts the frames played:
received, or in a block that got at least K of its packets. It ignores
time (late frames) and RaptorQ's small failure rate at exactly K.

Usage: bench/live/burst_model.py [--groups N] [--burst B] LOSS K D RATIO PACED ...
  e.g. bench/live/burst_model.py 0.5 4 1 6.0 1 0.5 3 2 2.0 0
"""
import math
import random
import sys


def chain(rng, loss, burst):
    leave_bad = 1.0 / burst
    enter_bad = min(1.0, loss / (1 - loss) / burst)
    bad = rng.random() < loss
    while True:
        bad = not (rng.random() < leave_bad) if bad else rng.random() < enter_bad
        yield not bad


def played(loss, k, d, ratio, paced, burst=3.0, groups=4000, seed=1):
    rng = random.Random(seed)
    arrives = chain(rng, loss, burst)
    repair = math.ceil(ratio * k - 1e-9)
    size = k * d
    got = {}
    source_ok = {}
    held = []
    for g in range(groups + 1):
        if not paced:
            held = []
        # As fec::FrameEncoder::send_paced: the held repair leaves over the
        # first P = ceil(size / 2) frames, n + 1 of P + 1 shares after n.
        p = (size + 1) // 2
        due = [len(held) * min(s + 2, p + 1) // (p + 1) for s in range(size)]
        shares = [due[s] - (due[s - 1] if s else len(held) // (p + 1)) for s in range(size)]
        sent = 0
        for s in range(size):
            block = (g, s % d)
            ok = next(arrives)
            got[block] = got.get(block, 0) + ok
            source_ok.setdefault(block, []).append(ok)
            for _ in range(shares[s]):
                got[held[sent]] = got.get(held[sent], 0) + next(arrives)
                sent += 1
        for late in held[sent:]:
            got[late] = got.get(late, 0) + next(arrives)
        this_group = [(g, b) for _ in range(repair) for b in range(d)]
        if paced:
            first = len(this_group) // ((size + 1) // 2 + 1)
            for block in this_group[:first]:
                got[block] = got.get(block, 0) + next(arrives)
            held = this_group[first:]
        else:
            for block in this_group:
                got[block] = got.get(block, 0) + next(arrives)
    lost = total = 0
    for g in range(groups):
        for b in range(d):
            total += k
            if got[(g, b)] < k:
                lost += source_ok[(g, b)].count(False)
    return 1 - lost / total


def options(args, defaults, per_case, usage):
    """`--name value` options over `defaults` (their types kept), then the
    cases, `per_case` numbers each; exits with `usage` on anything else."""
    values = dict(defaults)
    while args and args[0].startswith("--") and args[0][2:] in values and len(args) > 1:
        name = args[0][2:]
        values[name] = type(defaults[name])(args[1])
        args = args[2:]
    if not args or args[0].startswith("--") or len(args) % per_case:
        sys.exit(usage)
    return values, args


def main(args):
    values, args = options(args, {"groups": 4000, "burst": 3.0}, 5, __doc__)
    groups, burst = values["groups"], values["burst"]
    print("| loss | K | D | ratio | repair | played |")
    print("|---|---|---|---|---|---|")
    for i in range(0, len(args), 5):
        loss, k, d, ratio, paced = float(args[i]), int(args[i + 1]), int(args[i + 2]), float(args[i + 3]), args[i + 4] == "1"
        p = played(loss, k, d, ratio, paced, burst, groups)
        print(f"| {loss:.0%} | {k} | {d} | {ratio} | {'paced' if paced else 'burst'} | {100 * p:.2f} % |")


if __name__ == "__main__":
    main(sys.argv[1:])
