#!/usr/bin/env python3
"""Draws the loss sweep CSV (wzp_loss_sweep --csv) as a PNG: per loss model,
the share of frames played from real data, and the mouth-to-ear delay."""
import csv
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(csv_path, png_path):
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    models = ["random", "bursty"]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8), sharex=True)
    for col, model in enumerate(models):
        pts = sorted((r for r in rows if r["model"] == model), key=lambda r: int(r["loss_pct"]))
        loss = [int(r["loss_pct"]) for r in pts]

        def series(key):
            return [float(r[key]) for r in pts]

        ax = axes[0][col]
        ax.plot(loss, series("wzp_real_pct"), "o-", color="C0", label="wzp (RaptorQ FEC + wzpjitterbuffer)")
        ax.plot(loss, series("stock_real_pct"), "s-", color="C1",
                label="stock, same wire bitrate (Opus in-band FEC + rtpjitterbuffer)")
        ax.plot(loss, series("stock_codec_real_pct"), "^--", color="C2", label="stock, same Opus bitrate")
        ax.plot(loss, [100 - x for x in loss], ":", color="gray", label="no recovery (100 - loss)")
        ax.axhline(99, color="green", linewidth=0.6, linestyle="--")
        ax.set_title(f"{model} loss" + (" (mean burst 3)" if model == "bursty" else ""))
        ax.set_ylabel("frames played from real data, %")
        ax.set_ylim(0, 102)
        ax.grid(True, alpha=0.3)
        if col == 0:
            ax.legend(fontsize=7, loc="lower left")

        ax = axes[1][col]
        ax.plot(loss, series("wzp_mean_ms"), "o-", color="C0", label="wzp mean")
        ax.plot(loss, series("wzp_p95_ms"), "v:", color="C0", label="wzp p95")
        ax.plot(loss, series("stock_mean_ms"), "s-", color="C1", label="stock mean")
        ax.plot(loss, series("stock_p95_ms"), "v:", color="C1", label="stock p95")
        ax.set_xlabel("packet loss, %")
        ax.set_ylabel("mouth-to-ear delay, ms")
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        if col == 0:
            ax.legend(fontsize=7, loc="upper left")
    fig.suptitle("wzp vs stock GStreamer chain under loss (20 ms Opus frames)")
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py SWEEP.csv OUT.png")
    main(sys.argv[1], sys.argv[2])
