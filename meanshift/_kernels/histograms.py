"""Histograms of a window of the region: kernel-weighted (the candidate), flat (rings), several sizes at once."""

from __future__ import annotations

import numpy as np

from meanshift._jit import jit
from meanshift._kernels.quantize import ensure_span
from meanshift._kernels.windows import KERNEL_EPANECHNIKOV, grid_span, kernel_row_span, kernel_value


@jit
def kernel_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist):
    """Kernel-weighted histogram of the window; writes normalised ``hist`` and returns its raw mass.

    ``bins[yy, xx]`` is the bin of pixel ``(ry0 + yy*step, rx0 + xx*step)``, quantised on demand as
    ``spans`` says (:func:`ensure_span`; every kernel here takes ``bins, spans, src`` alike). ``hist``
    is left all zero (and 0.0 returned) when no unmasked pixel has kernel weight.
    """
    hist[:] = 0.0
    unused = np.empty(0, np.int64)  # no bin bookkeeping (tick -1)
    # The tick as an int64, not a literal: the iteration's accumulate_histogram then serves here too, one compile.
    total, _ = accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, unused,
                                     unused, np.int64(-1))
    if total > 0.0:
        for i in range(hist.shape[0]):
            hist[i] /= total
    return total


@jit
def accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen, active, tick):
    """Add the window's kernel weights into ``hist``; ``(mass, n)``.

    With ``tick >= 0``, also lists in ``active[:n]`` the bins the window holds (``seen[u] == tick``
    marks them), so that a caller can clear and normalise only those instead of all ``m`` bins.
    """
    height, width = bins.shape
    x_lo, x_hi = grid_span(cx - hw, cx + hw, rx0, step, width)
    y_lo, y_hi = grid_span(cy - hh, cy + hh, ry0, step, height)
    total = 0.0
    n = 0
    for yy in range(y_lo, y_hi):
        v = (ry0 + yy * step - cy) / hh
        xa, xb = kernel_row_span(kernel_code, v, cx, hw, x_lo, x_hi, rx0, step)
        ensure_span(bins, spans, src, yy, xa, xb, rx0, ry0, step)
        row = bins[yy]
        if kernel_code == KERNEL_EPANECHNIKOV:
            # The default kernel's loop without the kernel dispatch: k = 1 - r^2 inside the ellipse.
            v2 = v * v
            for xx in range(xa, xb):
                b = row[xx]
                if b < 0:
                    continue
                u = (rx0 + xx * step - cx) / hw
                r2 = u * u + v2
                if r2 > 1.0:
                    continue
                if tick >= 0 and seen[b] != tick:
                    seen[b] = tick
                    active[n] = b
                    n += 1
                hist[b] += 1.0 - r2
                total += 1.0 - r2
            continue
        for xx in range(xa, xb):
            b = row[xx]
            if b < 0:
                continue
            if tick >= 0 and seen[b] != tick:
                seen[b] = tick
                active[n] = b
                n += 1
            k = kernel_value(kernel_code, (rx0 + xx * step - cx) / hw, v, False)
            hist[b] += k
            total += k
    return total, n


@jit
def flat_histogram(bins, spans, src, rx0, ry0, step, x0, y0, x1, y1, exclude_x0, exclude_y0, exclude_x1, exclude_y1,
                   hist):
    """Unnormalised counts of the bins inside one box and outside another (a ring, for backgrounds)."""
    hist[:] = 0.0
    height, width = bins.shape
    xs, xe = grid_span(x0, x1, rx0, step, width)
    ys, ye = grid_span(y0, y1, ry0, step, height)
    for yy in range(ys, ye):
        ensure_span(bins, spans, src, yy, xs, xe, rx0, ry0, step)
        y = ry0 + yy * step
        inside_y = exclude_y0 <= y <= exclude_y1
        for xx in range(xs, xe):
            b = bins[yy, xx]
            if b < 0:
                continue
            x = rx0 + xx * step
            if inside_y and exclude_x0 <= x <= exclude_x1:
                continue
            hist[b] += 1.0


def contrast_workspace(n_sizes: int, m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bookkeeping of :func:`window_and_ring_histograms` and :func:`contrast_scores` for ``n_sizes`` sizes and
    ``m`` bins: ``(seen (m,), ticks (1,), listed (2 n_sizes, m), counts (2 n_sizes,))``. The histograms
    these functions fill must start all zero (``np.zeros``) and be written by nothing else."""
    return (np.full(m, -1, np.int64), np.zeros(1, np.int64), np.zeros((2 * n_sizes, m), np.int64),
            np.zeros(2 * n_sizes, np.int64))


@jit
def window_and_ring_histograms(bins, spans, src, rx0, ry0, step, cx, cy, half_sizes, grow, kernel_code, hists, rings,
                               masses, ring_totals, book):
    """For several window sizes at one centre: each window's kernel histogram and its ring's counts.

    Window ``i`` has half-sizes ``half_sizes[i] = (hw, hh)``; its ring lies between it and the box
    ``grow`` times as large. Writes ``hists[i]`` (normalised, as :func:`kernel_histogram`) with its
    raw mass in ``masses[i]``, and ``rings[i]`` (counts, as :func:`flat_histogram`) with their total
    in ``ring_totals[i]``. ``book`` (:func:`contrast_workspace`) lists the bins each histogram holds,
    so that clearing, normalising and the values that follow touch only those, not all ``m``.
    """
    seen, ticks, listed, counts = book
    n = half_sizes.shape[0]
    for i in range(n):
        for j in range(counts[i]):
            hists[i, listed[i, j]] = 0.0
        for j in range(counts[n + i]):
            rings[i, listed[n + i, j]] = 0.0
    height, width = bins.shape
    for i in range(n):
        hw = half_sizes[i, 0]
        hh = half_sizes[i, 1]
        ticks[0] += 1
        total, k = accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hists[i],
                                         seen, listed[i], ticks[0])
        counts[i] = k
        masses[i] = total
        if total > 0.0:
            for j in range(k):
                hists[i, listed[i, j]] /= total
        ring = rings[i]
        ring_bins = listed[n + i]
        ticks[0] += 1
        tick = ticks[0]
        oxs, oxe = grid_span(cx - grow * hw, cx + grow * hw, rx0, step, width)
        oys, oye = grid_span(cy - grow * hh, cy + grow * hh, ry0, step, height)
        ixs, ixe = grid_span(cx - hw, cx + hw, rx0, step, width)
        iys, iye = grid_span(cy - hh, cy + hh, ry0, step, height)
        count = 0
        k = 0
        for yy in range(oys, oye):
            ensure_span(bins, spans, src, yy, oxs, oxe, rx0, ry0, step)
            row = bins[yy]
            # The ring's part of this row: all of it outside the window's rows, else left and right of it.
            cut_lo, cut_hi = (max(ixs, oxs), min(ixe, oxe)) if iys <= yy < iye and ixs < ixe else (oxe, oxe)
            for part in range(2):
                lo, hi = (oxs, cut_lo) if part == 0 else (max(cut_hi, oxs), oxe)
                for xx in range(lo, hi):
                    b = row[xx]
                    if b < 0:
                        continue
                    if seen[b] != tick:
                        seen[b] = tick
                        ring_bins[k] = b
                        k += 1
                    ring[b] += 1.0
                    count += 1
        counts[n + i] = k
        ring_totals[i] = count


