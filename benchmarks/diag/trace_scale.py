"""Per-frame trace of the posterior tracker's size: box vs ground truth, raw zeroth ratio, band check.

    python benchmarks/diag/trace_scale.py SEQ [--scale 0.8] [--fixed] [--out /tmp/trace.tsv]
"""
from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

import meanshift
from meanshift._kernels import posterior as _pk
from meanshift.evaluation.datasets import load_sequence
from meanshift.evaluation.metrics import iou
from meanshift.posterior import posterior_options
from meanshift.posterior_tracking import PosteriorTracking

DATA = Path("/work/shared/data/sequences")


def save_dump(name, k, frame, geo, b, g, scale):
    import cv2
    x0, y0, step, post, cx, cy, w, h = geo
    rows, cols = post.shape
    crop = frame[y0:y0 + rows * step, x0:x0 + cols * step].copy()
    pm = cv2.resize((post * 255).astype(np.uint8), (crop.shape[1], crop.shape[0]), interpolation=cv2.INTER_NEAREST)
    pm = cv2.cvtColor(pm, cv2.COLOR_GRAY2BGR)
    for img in (crop, pm):
        for bx, col in ((b, (0, 255, 0)), (g, (0, 0, 255))):
            p0 = (int(bx[0] - 1 - x0), int(bx[1] - 1 - y0))
            cv2.rectangle(img, p0, (int(p0[0] + bx[2]), int(p0[1] + bx[3])), col, 1)
        p0 = (int(cx - w - x0), int(cy - h - y0))
        cv2.rectangle(img, p0, (int(p0[0] + 2 * w), int(p0[1] + 2 * h)), (255, 0, 0), 1)
    out = np.hstack([crop, pm])
    f = max(1, int(400 / out.shape[0]))
    out = cv2.resize(out, None, fx=f, fy=f, interpolation=cv2.INTER_NEAREST)
    cv2.imwrite(f"/tmp/dump_{name}_x{scale:g}_{k:04d}.png", out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seq")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--set", action="append", default=[],
                    help="FIELD=VALUE, an option of the recommended engine (meanshift.posterior.posterior_options)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--dump", default="", help="comma-separated frame numbers: crops + posterior maps to /tmp")
    args = ap.parse_args()
    seq = load_sequence(DATA / args.seq)
    x, y, w, h = seq.init_box
    cx, cy = x + (w - 1) / 2, y + (h - 1) / 2
    box = (cx - (w * args.scale - 1) / 2, cy - (h * args.scale - 1) / 2, w * args.scale, h * args.scale)
    changes = {}
    for kv in args.set:
        k, v = kv.split("=")
        changes[k] = eval(v)  # noqa: S307 - diagnostics only
    rec: dict = {}
    orig = PosteriorTracking._zeroth_moment_size

    def traced(self, grid, post, cx, cy, w, h, shape):
        s = self.settings
        j0, j1, i0, i1 = grid.rect(cx, cy, w * s.surround, h * s.surround)
        m00 = _pk.rect_sum(post, j0, j1, i0, i1) * grid.step ** 2
        b0, b1, c0, c1 = grid.rect(cx, cy, w, h)
        box_sum = _pk.rect_sum(post, b0, b1, c0, c1) * grid.step ** 2
        rec["raw"] = math.sqrt(m00 / (w * h)) if m00 > 0 else 1.0
        rec["box_mean"] = box_sum / (w * h)
        rows_, cols_ = post.shape
        rec["cnt"] = (max(0, min(b1, rows_) - max(b0, 0)) * max(0, min(c1, cols_) - max(c0, 0)) * grid.step ** 2
                      / (w * h))
        rec["ring_mean"] = (m00 - box_sum) / (w * h * (s.surround ** 2 - 1))
        rec["checked"] = _pk.zeroth_moment_ratio(post, grid.x0, grid.y0, grid.step, cx, cy, w, h, s.surround,
                                                 s.max_step, s.scale_check)
        rec["grid"] = (grid.x0, grid.y0, grid.step, post.copy(), cx, cy, w, h)
        out = orig(self, grid, post, cx, cy, w, h, shape)
        rec["zeroth"] = 1
        rec["applied"] = out[0] / w
        return out

    PosteriorTracking._zeroth_moment_size = traced
    tracker = meanshift.generalized(**posterior_options(**changes)) if changes else meanshift.generalized()
    frames = seq.frames()
    first = next(frames)
    tracker.init(first, box)
    gt = seq.groundtruth
    rows = []
    dump = {int(v) for v in args.dump.split(",") if v}
    for k, frame in enumerate(frames, start=1):
        rec.clear()
        r = tracker.update(frame)
        b = np.asarray(r.box, float)
        g = gt[k]
        ov = float(iou(b[None], g[None])[0])
        if k in dump and "grid" in rec:
            save_dump(args.seq, k, frame, rec["grid"], b, g, args.scale)
        rows.append((k, b[2], b[3], g[2], g[3], math.sqrt(b[2] * b[3] / max(g[2] * g[3], 1e-9)),
                     rec.get("raw", np.nan), rec.get("checked", np.nan), rec.get("box_mean", np.nan),
                     rec.get("ring_mean", np.nan), int(bool(r.ok)), ov, rec.get("cnt", np.nan),
                     rec.get("applied", np.nan)))
    head = "k\tw\th\tgw\tgh\tsize/gt\traw\tchecked\tboxP\tringP\tok\tiou\tcnt\tapplied"
    lines = [head] + ["\t".join(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row) for row in rows]
    text = "\n".join(lines)
    if args.out:
        args.out.write_text(text)
    ious = np.array([r[11] for r in rows])  # the iou column (the last is the applied ratio)
    print(f"{args.seq} scale {args.scale}: mean IoU {ious.mean():.3f}", file=sys.stderr)
    if not args.out:
        print(text)


if __name__ == "__main__":
    main()
