#!/usr/bin/env python3
"""Draws the live sweep (bench/live/live_sweep.py rows or its CSV) as a PNG:
per loss model, frames played from real data and mouth-to-ear delay against
loss, for each one-way delay: wzp calls (mean over seeds, bars from the worst
to the best seed) and the stock chain.

    plot.py LIVE.csv OUT.png"""
import csv
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _f(v):
    return float(v) if v not in ("", None) else None


def draw(rows, png_path):
    kinds = [k for k in ("random", "bursty") if any(r["kind"] == k for r in rows)]
    delays = sorted({int(r["delay_ms"]) for r in rows})
    fig, axes = plt.subplots(2, len(kinds), figsize=(5.5 * len(kinds), 8), sharex=True, squeeze=False)
    for col, kind in enumerate(kinds):
        for i, delay in enumerate(delays):
            pts = {}
            for r in rows:
                if r["kind"] == kind and int(r["delay_ms"]) == delay:
                    pts.setdefault(int(r["loss_pct"]), []).append(r)
            loss = sorted(pts)
            if not loss:
                continue
            played = [[float(r["played_pct"]) for r in pts[l]] for l in loss]
            mean = [statistics.mean(p) for p in played]
            err = [[m - min(p) for m, p in zip(mean, played)], [max(p) - m for m, p in zip(mean, played)]]
            color = f"C{i}"
            ax = axes[0][col]
            ax.errorbar(loss, mean, yerr=err, fmt="o-", color=color, capsize=3,
                        label=f"wzp call, {delay} ms one way")

            def stock(key):
                out = []
                for l in loss:
                    vs = [_f(r.get(key)) for r in pts[l]]
                    vs = [v for v in vs if v is not None]
                    out.append(statistics.mean(vs) if vs else float("nan"))
                return out

            ax.plot(loss, stock("stock_real_pct"), "s--", color=color, alpha=0.6,
                    label=f"stock, {delay} ms (same wire rate)")
            ax = axes[1][col]
            m2e = []
            for l in loss:
                vs = [_f(r["m2e_mean_ms"]) for r in pts[l]]
                vs = [v for v in vs if v is not None]
                m2e.append(statistics.mean(vs) if vs else float("nan"))
            ax.plot(loss, m2e, "o-", color=color, label=f"wzp call mean, {delay} ms")
            ax.plot(loss, stock("stock_mean_ms"), "s--", color=color, alpha=0.6,
                    label=f"stock mean, {delay} ms")
            ax.plot([0], [delay + 120], "x", color=color, markersize=9)
        ax = axes[0][col]
        for x0, x1, y in ((0, 30, 99.5), (30, 50, 99), (50, 70, 95)):
            ax.hlines(y, x0, x1, colors="green", linestyles=":", linewidth=1)
        ax.set_title(f"{kind} loss" + (" (mean burst 3)" if kind == "bursty" else ""))
        ax.set_ylabel("frames played from real data, %")
        ax.set_ylim(0, 102)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="lower left")
        ax = axes[1][col]
        ax.hlines([450], 0, 50, colors="green", linestyles=":", linewidth=1)
        ax.hlines([600], 50, 70, colors="green", linestyles=":", linewidth=1)
        ax.set_xlabel("loss each way, % (goals dotted; x: clean goal one-way + 120 ms)")
        ax.set_ylabel("mouth-to-ear delay, ms")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("wzp loopback calls vs the stock chain\n(200 kbit/s, 500 ms queue; "
                 "delay goals at 150 ms)", fontsize=10)
    fig.tight_layout()
    fig.savefig(png_path, dpi=110)


if __name__ == "__main__":
    with open(sys.argv[1], newline="") as f:
        draw(list(csv.DictReader(f)), sys.argv[2])
