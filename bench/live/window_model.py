#!/usr/bin/python3
"""What a sliding-window code (RFC 8681's shape) could play through netsim's
bursty loss, beside bench/live/burst_model.py's block layouts, in a model.

Each frame's packet is followed by R repair packets (a fraction carries over), each a random linear
combination of the last W frames. A lost frame plays if the equations that
arrived by the end of frame n + D's packets determine it: D frames is the
recovery delay a jitter buffer has to cover (a block code's is its group
plus the paced repair after it: catastrophic's K 4, paced, is 6 frames).
Loss is burst_model's Gilbert chain, stepped once per packet. A large prime
field stands in for GF(256): it gives the generic rank, which GF(256) misses
with probability about 1/256 per solve. Time, jitter and the congestion
window are ignored, as in burst_model.

Usage: bench/live/window_model.py [--frames N] [--burst B] LOSS W R D ...
  e.g. bench/live/window_model.py 0.5 4 6 2 0.7 4 6 3
"""
import random
import sys

from burst_model import chain, options

PRIME = 2**31 - 1


def rank(rows, columns):
    rows = [r[:] for r in rows]
    found = 0
    for c in range(columns):
        pivot = next((i for i in range(found, len(rows)) if rows[i][c]), None)
        if pivot is None:
            continue
        rows[found], rows[pivot] = rows[pivot], rows[found]
        inverse = pow(rows[found][c], PRIME - 2, PRIME)
        rows[found] = [x * inverse % PRIME for x in rows[found]]
        for i in range(len(rows)):
            if i != found and rows[i][c]:
                f = rows[i][c]
                rows[i] = [(a - f * b) % PRIME for a, b in zip(rows[i], rows[found])]
        found += 1
    return found


def played(loss, window, repair, deadline, frames=2000, burst=3.0, seed=1):
    arrives = chain(random.Random(seed), loss, burst)
    coefficients = random.Random(seed + 1)
    received = []
    equations = {}  # frame whose packets carried them -> [{frame: coefficient}]
    credit = 0.0  # a fractional R: the remainder carries to the next frame, as the encoder does
    for n in range(frames):
        received.append(next(arrives))
        credit += repair
        count = int(credit + 1e-9)
        credit -= count
        for _ in range(count):
            if next(arrives):
                span = range(max(0, n - window + 1), n + 1)
                equations.setdefault(n, []).append({m: coefficients.randrange(1, PRIME) for m in span})
    count = 0
    for n in range(frames):
        if received[n]:
            count += 1
            continue
        # Equations reaching further back than lo are left out: it can only
        # understate what the code recovers.
        lo, hi = max(0, n - 3 * window), min(frames - 1, n + deadline)
        unknown = [m for m in range(lo, hi + 1) if not received[m]]
        column = {m: i for i, m in enumerate(unknown)}
        rows = []
        for f in range(lo, hi + 1):
            for eq in equations.get(f, []):
                if min(eq) >= lo:
                    row = [0] * len(unknown)
                    for m, c in eq.items():
                        if m in column:
                            row[column[m]] = c
                    rows.append(row)
        c = column[n]
        if rows and rank(rows, len(unknown)) == rank([r[:c] + r[c + 1:] for r in rows], len(unknown) - 1) + 1:
            count += 1
    return count / frames


def main(args):
    values, args = options(args, {"frames": 2000, "burst": 3.0}, 4, __doc__)
    frames, burst = values["frames"], values["burst"]
    print("| loss | W | R | D (frames) | played |")
    print("|---|---|---|---|---|")
    for i in range(0, len(args), 4):
        loss, w, r, d = float(args[i]), int(args[i + 1]), float(args[i + 2]), int(args[i + 3])
        p = played(loss, w, r, d, frames, burst)
        print(f"| {loss:.0%} | {w} | {r} | {d} | {100 * p:.2f} % |", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
