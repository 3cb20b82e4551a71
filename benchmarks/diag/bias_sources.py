"""Where the zeroth moment's downward bias comes from: m00 / box area (in grid samples) on frame t under

- lagged: the tracker's own model (blended over the frames before t), as the tracker measures it;
- lag1: a model fit (rate 1) to frame t-1 alone, at the tracker's box there;
- split: a model fit to frame t on every other grid column, measured on the other columns (sampling only);
- self: a model fit to frame t, measured on frame t (the identity: 1).

    python benchmarks/diag/bias_sources.py SEQ [--scale 0.8]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import meanshift
from meanshift._kernels import posterior as pk
from meanshift.evaluation.datasets import load_sequence
from meanshift.posterior_model import PosteriorModel

DATA = Path("/work/shared/data/sequences")


def ratio(part, model, bins, grid, cx, cy, w, h, measure_mask=None):
    s = part.settings
    table = np.empty(model.obj.shape[0])
    prior = model.obj_area / max(model.obj_area + model.sur_area, 1e-9)
    pk.posterior_table(model.obj, model.obj_area, model.sur, model.sur_area, prior, table)
    post = np.empty(bins.shape)
    pk.posterior_map(bins, table, post)
    valid = bins >= 0
    if measure_mask is not None:
        post = np.where(measure_mask, post, 0.0)
        valid = valid & measure_mask
    j0, j1, i0, i1 = (max(v, 0) for v in grid.rect(cx, cy, w * s.surround, h * s.surround))
    b0, b1, c0, c1 = (max(v, 0) for v in grid.rect(cx, cy, w, h))
    n_box = valid[b0:b1, c0:c1].sum()
    return post[j0:j1, i0:i1].sum() / max(n_box, 1)


def learn(part, bins, grid, cx, cy, w, h):
    s = part.settings
    model = PosteriorModel(part._table.shape[0])
    model.learn(bins, grid.rect(cx, cy, w, h), grid.rect(cx, cy, w * s.surround, h * s.surround), 1.0)
    return model


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("seq")
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    seq = load_sequence(DATA / args.seq)
    x, y, w, h = seq.init_box
    cx, cy = x + (w - 1) / 2, y + (h - 1) / 2
    w, h = w * args.scale, h * args.scale
    tracker = meanshift.generalized()
    frames = list(seq.frames())
    tracker.init(frames[0], (cx - (w - 1) / 2, cy - (h - 1) / 2, w, h))
    part = tracker.scale_rule.part
    s = part.settings
    prev = (frames[0], cx, cy, w, h)
    rows = []
    for frame in frames[1:]:
        model_before = PosteriorModel(part._table.shape[0])
        for name in ("obj", "sur"):
            getattr(model_before, name)[:] = getattr(part.model, name)
        model_before.obj_area, model_before.sur_area = part.model.obj_area, part.model.sur_area
        r = tracker.update(frame)
        if not r.ok:
            prev = None
            continue
        bx, by, bw, bh = r.box
        ncx, ncy = bx + (bw - 1) / 2, by + (bh - 1) / 2
        # the tracker sized with its size before the update: measure at the box it held then
        pw, ph = prev[3:] if prev else (bw, bh)
        grid, bins = part._grid(frame, ncx, ncy, pw / 2 * s.search, ph / 2 * s.search)
        lagged = ratio(part, model_before, bins, grid, ncx, ncy, pw, ph)
        lag1 = np.nan
        if prev is not None:
            f0, qx, qy, qw, qh = prev
            g0, b0 = part._grid(f0, qx, qy, qw / 2 * s.search, qh / 2 * s.search)
            lag1 = ratio(part, learn(part, b0, g0, qx, qy, qw, qh), bins, grid, ncx, ncy, pw, ph)
        cols = np.arange(bins.shape[1])[None, :] % 2 == 0
        half = np.where(cols, bins, -1).astype(np.int32)
        split = ratio(part, learn(part, half, grid, ncx, ncy, pw, ph), bins, grid, ncx, ncy, pw, ph, ~cols)
        own = ratio(part, learn(part, bins, grid, ncx, ncy, pw, ph), bins, grid, ncx, ncy, pw, ph)
        rows.append((lagged, lag1, split, own))
        prev = (frame, ncx, ncy, bw, bh)
    a = np.array(rows)
    med = np.nanmedian(a, axis=0)
    mean = np.nanmean(a, axis=0)
    print(f"{args.seq:26s} x{args.scale:g} median lagged {med[0]:.3f} lag1 {med[1]:.3f} split {med[2]:.3f} "
          f"self {med[3]:.3f} | mean {mean[0]:.3f} {mean[1]:.3f} {mean[2]:.3f} {mean[3]:.3f} (area ratios)")


if __name__ == "__main__":
    main()
