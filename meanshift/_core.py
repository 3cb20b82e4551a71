"""The Numba kernels: quantisation, kernel histograms, weighted moments, weight tables.

Private. Every function here takes arrays and scalars, writes into preallocated outputs where it
produces arrays, and trusts its caller (the public modules validate). Each is compared against a
slow NumPy reference in ``tests/naive.py``.

Coordinates are pixel indices: the pixel in column ``i`` sits at ``x = i``. A *region* is a grid
of pixels of the frame, ``(rx0 + xx*step, ry0 + yy*step)``, whose bins are stored in an int32 array
``bins[yy, xx]``, ``MASKED`` (-1) for masked pixels. Bins are filled lazily: the kernels quantise
the part of a row a window needs the first time they read it (:func:`ensure_span`), so one pass goes
from BGR to bins to moments and pixels no window covers cost nothing. ``step > 1`` samples large
targets sparsely so that their cost stays bounded. Window centres and boxes are given in frame
coordinates.
"""

from __future__ import annotations

import math

import numpy as np

from meanshift._jit import jit

# Feature-space codes (meanshift.features) ------------------------------------------------------
FEATURE_GRAY = 0
FEATURE_HUE = 1
FEATURE_HUE_SAT = 2
FEATURE_BGR = 3

# Kernel codes (meanshift.kernels) ---------------------------------------------------------------
KERNEL_FLAT = 0
KERNEL_EPANECHNIKOV = 1
KERNEL_GAUSSIAN = 2
KERNEL_BIWEIGHT = 3

_HSV_SHIFT = 12


def hsv_division_tables() -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's fixed-point reciprocal tables for 8-bit BGR->HSV (``cv2.COLOR_BGR2HSV``, hue 0..179)."""
    i = np.arange(256, dtype=np.float64)
    with np.errstate(divide="ignore"):
        sdiv = np.where(i > 0, np.rint((255 << _HSV_SHIFT) / np.maximum(i, 1)), 0).astype(np.int32)
        hdiv = np.where(i > 0, np.rint((180 << _HSV_SHIFT) / (6.0 * np.maximum(i, 1))), 0).astype(np.int32)
    return sdiv, hdiv


#: Bin of a pixel the HSV mask rejects.
MASKED = -1


@jit
def quantize_span(src, bins, yy, xs, xe, rx0, ry0, step):
    """Bins of grid pixels ``xx in [xs, xe)`` of grid row ``yy`` into ``bins[yy, xs:xe]``.

    ``src = (frame, code, lut_a, lut_b, mask, sdiv, hdiv)`` (:func:`meanshift.features.pixel_source`):
    the frame as ``(H, W, C)`` uint8 (C = 3: BGR, C = 1: gray) and the feature space's tables.
    ``lut_a`` maps a channel value (BGR, gray) or a hue (0..179) to its bin, ``lut_b`` a saturation to
    its bin (hue x saturation); ``mask = (s_min, v_min, v_max)`` for the hue spaces.
    """
    frame, code, lut_a, lut_b, mask, sdiv, hdiv = src
    n1 = lut_a[255] + 1
    n2 = lut_b[255] + 1
    s_min, v_min, v_max = mask[0], mask[1], mask[2]
    row = frame[ry0 + yy * step, rx0 + xs * step : rx0 + xe * step : step]
    o = bins[yy, xs:xe]
    # One loop per feature space, each storing where it decides: a shared exit point lets LLVM turn
    # the branches into selects, which measured 3-4x slower on real frames.
    if frame.shape[2] == 1:
        for xx in range(o.shape[0]):
            o[xx] = lut_a[row[xx, 0]]
    elif code == FEATURE_BGR:
        for xx in range(o.shape[0]):
            o[xx] = (lut_a[row[xx, 0]] * n1 + lut_a[row[xx, 1]]) * n1 + lut_a[row[xx, 2]]
    elif code == FEATURE_GRAY:
        for xx in range(o.shape[0]):
            # cv2.COLOR_BGR2GRAY's fixed-point weights (OpenCV 5; OpenCV 4's 14-bit ones differ by <= 1).
            gray = (np.int32(row[xx, 0]) * 3735 + np.int32(row[xx, 1]) * 19235
                    + np.int32(row[xx, 2]) * 9798 + 16384) >> 15
            o[xx] = lut_a[gray]
    else:
        for xx in range(o.shape[0]):
            # Bit-exact with OpenCV's integer BGR->HSV, so hue histograms equal cv2.calcHist's.
            b = np.int32(row[xx, 0])
            g = np.int32(row[xx, 1])
            r = np.int32(row[xx, 2])
            v = max(b, max(g, r))
            diff = v - min(b, min(g, r))
            s = (diff * sdiv[v] + (1 << (_HSV_SHIFT - 1))) >> _HSV_SHIFT
            if s < s_min or v < v_min or v > v_max:
                o[xx] = MASKED
                continue
            if v == r:
                h = g - b
            elif v == g:
                h = b - r + 2 * diff
            else:
                h = r - g + 4 * diff
            h = (h * hdiv[diff] + (1 << (_HSV_SHIFT - 1))) >> _HSV_SHIFT
            if h < 0:
                h += 180
            if code == FEATURE_HUE:
                o[xx] = lut_a[h]
            else:
                o[xx] = lut_a[h] * n2 + lut_b[s]


@jit
def quantize_region(src, rx0, ry0, step, out):
    """Bin of every pixel ``(rx0 + xx*step, ry0 + yy*step)`` into ``out[yy, xx]`` (see :func:`quantize_span`)."""
    for yy in range(out.shape[0]):
        quantize_span(src, out, yy, 0, out.shape[1], rx0, ry0, step)


@jit
def ensure_span(bins, spans, src, yy, xs, xe, rx0, ry0, step):
    """Make sure ``bins[yy, xs:xe]`` is quantised: lazy, fused quantisation.

    ``spans[yy] = (lo, hi)`` is the part of grid row ``yy`` already quantised (``lo >= hi``: none);
    it only grows, by the missing pieces, so every pixel is converted at most once a frame and
    pixels no window covers never are. The kernels below call this once per row they read.
    """
    if xs >= xe:
        return
    lo = spans[yy, 0]
    hi = spans[yy, 1]
    if lo >= hi:
        quantize_span(src, bins, yy, xs, xe, rx0, ry0, step)
        spans[yy, 0] = xs
        spans[yy, 1] = xe
        return
    if xs < lo:
        quantize_span(src, bins, yy, xs, lo, rx0, ry0, step)
        spans[yy, 0] = xs
    if xe > hi:
        quantize_span(src, bins, yy, hi, xe, rx0, ry0, step)
        spans[yy, 1] = xe


@jit
def _kernel_value(code, u, v, derivative):
    # k (derivative=False) or g = -k' (derivative=True) at normalised offset (u, v).
    if code == KERNEL_FLAT:
        return 1.0 if (abs(u) <= 1.0 and abs(v) <= 1.0) else 0.0
    r2 = u * u + v * v
    if r2 > 1.0:
        return 0.0
    if code == KERNEL_EPANECHNIKOV:
        return 1.0 if derivative else 1.0 - r2
    if code == KERNEL_GAUSSIAN:
        return math.exp(-2.0 * r2)
    # biweight: k = (1 - r2)^2, g ~ (1 - r2)
    return (1.0 - r2) if derivative else (1.0 - r2) * (1.0 - r2)


@jit
def grid_span(lo, hi, start, step, length):
    """Indices ``[a, b)`` of the grid points ``start + i*step`` (``0 <= i < length``) with ``lo <= x <= hi``."""
    a = int(math.ceil((lo - start) / step))
    b = int(math.floor((hi - start) / step)) + 1
    return max(a, 0), min(b, length)


@jit
def _kernel_row_span(kernel_code, v, cx, hw, x_lo, x_hi, rx0, step):
    """The part ``[a, b)`` of ``[x_lo, x_hi)`` where a row at normalised offset ``v`` can have kernel weight.

    The round kernels are zero outside the ellipse ``u^2 + v^2 <= 1``, a fifth of the box; the span is
    widened by one sample against rounding, and the kernel itself still decides at the edge.
    """
    if kernel_code == KERNEL_FLAT:
        return x_lo, x_hi
    r = 1.0 - v * v
    if r < 0.0:
        return x_lo, x_lo
    half = math.sqrt(r) * hw
    a = int(math.ceil((cx - half - rx0) / step)) - 1
    b = int(math.floor((cx + half - rx0) / step)) + 2
    return max(a, x_lo), min(b, x_hi)


@jit
def kernel_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist):
    """Kernel-weighted histogram of the window; writes normalised ``hist`` and returns its raw mass.

    ``bins[yy, xx]`` is the bin of pixel ``(ry0 + yy*step, rx0 + xx*step)``, quantised on demand as
    ``spans`` says (:func:`ensure_span`; every kernel here takes ``bins, spans, src`` alike). ``hist``
    is left all zero (and 0.0 returned) when no unmasked pixel has kernel weight.
    """
    hist[:] = 0.0
    unused = np.empty(0, np.int64)  # no bin bookkeeping (tick -1)
    total, _ = _accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, unused,
                                     unused, -1)
    if total > 0.0:
        for i in range(hist.shape[0]):
            hist[i] /= total
    return total


@jit
def _accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen, active, tick):
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
        xa, xb = _kernel_row_span(kernel_code, v, cx, hw, x_lo, x_hi, rx0, step)
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
            k = _kernel_value(kernel_code, (rx0 + xx * step - cx) / hw, v, False)
            hist[b] += k
            total += k
    return total, n


@jit
def mean_shift_step(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, weights):
    """One mean-shift step: ``(sum w g, sum w g x, sum w g y)`` over the window, ``g`` the derivative profile."""
    return _weighted_step(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, weights, -1, weights,
                          weights, weights, 0.0, 0.0, 0.0, np.empty(0, np.int64), -1)


@jit
def _weighted_step(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, weights, weights_code, p, q,
                   background, delta, g1, g2, seen, tick):
    """:func:`mean_shift_step`; with ``tick >= 0``, ``weights[u]`` is computed (measure ``weights_code``) the
    first time the window meets bin ``u`` (``seen[u] == tick`` after), not for all ``m`` bins up front."""
    height, width = bins.shape
    x_lo, x_hi = grid_span(cx - hw, cx + hw, rx0, step, width)
    y_lo, y_hi = grid_span(cy - hh, cy + hh, ry0, step, height)
    m0 = 0.0
    mx = 0.0
    my = 0.0
    for yy in range(y_lo, y_hi):
        y = ry0 + yy * step
        v = (y - cy) / hh
        xa, xb = _kernel_row_span(kernel_code, v, cx, hw, x_lo, x_hi, rx0, step)
        ensure_span(bins, spans, src, yy, xa, xb, rx0, ry0, step)
        row = bins[yy]
        # Per row: sums of w g and w g x; y is the row's, so the y moment is taken once per row.
        r0 = 0.0
        r1 = 0.0
        if kernel_code == KERNEL_EPANECHNIKOV:
            # The default kernel's loop without the kernel dispatch: g = 1 inside the ellipse.
            v2 = v * v
            for xx in range(xa, xb):
                b = row[xx]
                if b < 0:
                    continue
                x = rx0 + xx * step
                u = (x - cx) / hw
                if u * u + v2 > 1.0:
                    continue
                if tick >= 0 and seen[b] != tick:
                    seen[b] = tick
                    weights[b] = bin_weight(weights_code, p[b], q[b], background[b], delta, g1, g2)
                r0 += weights[b]
                r1 += weights[b] * x
        else:
            for xx in range(xa, xb):
                b = row[xx]
                if b < 0:
                    continue
                if tick >= 0 and seen[b] != tick:
                    seen[b] = tick
                    weights[b] = bin_weight(weights_code, p[b], q[b], background[b], delta, g1, g2)
                x = rx0 + xx * step
                wg = weights[b] * _kernel_value(kernel_code, (x - cx) / hw, v, True)
                r0 += wg
                r1 += wg * x
        m0 += r0
        mx += r1
        my += r0 * y
    return m0, mx, my


@jit
def box_moments(bins, spans, src, rx0, ry0, step, x0, y0, x1, y1, weights, out):
    """Flat raw moments of the weights over grid pixels with ``x0 <= x <= x1`` and ``y0 <= y <= y1``.

    Writes ``out = [m00, m10, m01, m20, m11, m02]`` with coordinates relative to ``(x0, y0)`` (which
    keeps the second moments well conditioned far from the origin). Returns the number of grid
    pixels in the box, masked ones included.
    """
    height, width = bins.shape
    xs, xe = grid_span(x0, x1, rx0, step, width)
    ys, ye = grid_span(y0, y1, ry0, step, height)
    # Scalar accumulators: sums kept in ``out`` would go through memory every pixel (it may alias).
    m00 = m10 = m01 = m20 = m11 = m02 = 0.0
    for yy in range(ys, ye):
        ensure_span(bins, spans, src, yy, xs, xe, rx0, ry0, step)
        y = ry0 + yy * step - y0
        r0 = r1 = r2 = 0.0  # the row's sums of w, w x, w x^2
        for xx in range(xs, xe):
            b = bins[yy, xx]
            if b < 0:
                continue
            w = weights[b]
            x = rx0 + xx * step - x0
            r0 += w
            r1 += w * x
            r2 += w * x * x
        m00 += r0
        m10 += r1
        m01 += r0 * y
        m20 += r2
        m11 += r1 * y
        m02 += r0 * y * y
    out[0], out[1], out[2], out[3], out[4], out[5] = m00, m10, m01, m20, m11, m02
    return max(xe - xs, 0) * max(ye - ys, 0)


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
        total, k = _accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hists[i],
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


@jit
def mask_box(bins, spans, src, rx0, ry0, step, x0, y0, x1, y1):
    """Mark the grid pixels of the box ``x0 <= x <= x1, y0 <= y <= y1`` masked (quantising them first).

    Marked pixels stay masked for the region's life: a span never re-quantises what it covers.
    """
    height, width = bins.shape
    xs, xe = grid_span(x0, x1, rx0, step, width)
    ys, ye = grid_span(y0, y1, ry0, step, height)
    for yy in range(ys, ye):
        ensure_span(bins, spans, src, yy, xs, xe, rx0, ry0, step)
        for xx in range(xs, xe):
            bins[yy, xx] = MASKED


@jit
def count_masked(bins, spans, src, rx0, ry0, step, x0, y0, x1, y1):
    """``(masked, total)``: grid pixels of the box ``x0 <= x <= x1, y0 <= y <= y1`` and how many are masked."""
    height, width = bins.shape
    xs, xe = grid_span(x0, x1, rx0, step, width)
    ys, ye = grid_span(y0, y1, ry0, step, height)
    masked = 0
    for yy in range(ys, ye):
        ensure_span(bins, spans, src, yy, xs, xe, rx0, ry0, step)
        for xx in range(xs, xe):
            if bins[yy, xx] == MASKED:
                masked += 1
    return masked, max(xe - xs, 0) * max(ye - ys, 0)


def converge_workspace(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scratch arrays of :func:`converge` for ``m`` bins: ``(seen (2, m), active (m,), ticks (1,))``."""
    return np.full((2, m), -1, np.int64), np.zeros(m, np.int64), np.zeros(1, np.int64)


# Weight tables of the built-in similarity measures (meanshift.similarity) ------------------------

WEIGHTS_BACKPROJECTION = 0
WEIGHTS_BHATTACHARYYA = 1
WEIGHTS_RATIO = 2
WEIGHTS_INTERSECTION = 3
WEIGHTS_CHI_SQUARE = 4
WEIGHTS_L2 = 5
WEIGHTS_LOG_LIKELIHOOD = 6
WEIGHTS_BACKGROUND_RATIO = 7


@jit(inline="always")
def bin_weight(code, p, q, b, delta, g1, g2):
    """Weight of one bin under built-in measure ``code`` (``WEIGHTS_*``): candidate ``p``, model ``q``,
    background ``b`` frequencies. ``g1, g2`` are the measure's sums over all bins (:func:`global_terms`):
    the model's largest bin for back-projection, ``rho(p, q)`` and ``rho(p, b)`` for background-ratio."""
    if code == WEIGHTS_BACKPROJECTION:
        return q / g1 if g1 > 0.0 else 0.0
    if code == WEIGHTS_BHATTACHARYYA:
        return math.sqrt(q / p) if p > 0.0 else 0.0
    if code == WEIGHTS_RATIO:
        return q / p if p > 0.0 else 0.0
    if code == WEIGHTS_INTERSECTION:
        return 1.0 if (p <= q and q > 0.0) else 0.0
    if code == WEIGHTS_CHI_SQUARE:
        # d/dp of -(p - q)^2 / (p + q) = (q - p)(p + 3q) / (p + q)^2, clipped at zero.
        s = p + q
        return max((q - p) * (p + 3.0 * q) / (s * s), 0.0) if s > 0.0 else 0.0
    if code == WEIGHTS_L2:
        return max(2.0 * (q - p), 0.0)
    if code == WEIGHTS_BACKGROUND_RATIO:
        # d/dp of log rho(p, q) - log rho(p, b), times 2 (Vojir et al. 2014), clipped at zero.
        if p <= 0.0 or g1 <= 0.0:
            return 0.0
        return max(math.sqrt(q / p) / g1 - (math.sqrt(b / p) / g2 if g2 > 0.0 else 0.0), 0.0)
    return max(math.log(max(q, delta) / max(b, delta)), 0.0)


@jit
def global_terms(code, p, q, background, active, n_active):
    """The sums :func:`bin_weight` needs for ``code`` over the bins ``active[:n_active]`` (all if ``n_active < 0``)."""
    g1 = 0.0
    g2 = 0.0
    if code == WEIGHTS_BACKPROJECTION:
        for i in range(q.shape[0]):
            g1 = max(g1, q[i])
    elif code == WEIGHTS_BACKGROUND_RATIO:
        n = q.shape[0] if n_active < 0 else n_active
        for j in range(n):
            i = j if n_active < 0 else active[j]
            g1 += math.sqrt(p[i] * q[i])
            g2 += math.sqrt(p[i] * background[i])
    return g1, g2


@jit
def bhattacharyya_coefficient(p, q):
    total = 0.0
    for i in range(q.shape[0]):
        v = p[i] * q[i]
        if v > 0.0:  # candidates are sparse: skip the square roots of the empty bins
            total += math.sqrt(v)
    return total


@jit
def similarity_value(code, p, q, background, delta):
    """``rho(p, q)`` of built-in measure ``code`` (``WEIGHTS_*``); the one definition the classes use."""
    m = q.shape[0]
    if code == WEIGHTS_BACKPROJECTION:
        qmax = 0.0
        dot = 0.0
        for i in range(m):
            qmax = max(qmax, q[i])
            dot += p[i] * q[i]
        return dot / qmax if qmax > 0.0 else 0.0
    if code == WEIGHTS_BHATTACHARYYA:
        return bhattacharyya_coefficient(p, q)
    total = 0.0
    if code == WEIGHTS_RATIO:  # -KL(q || p)
        for i in range(m):
            if q[i] > 0.0:
                total -= q[i] * math.log(q[i] / max(p[i], 1e-12))
    elif code == WEIGHTS_INTERSECTION:
        for i in range(m):
            total += min(p[i], q[i])
    elif code == WEIGHTS_CHI_SQUARE:
        for i in range(m):
            s = p[i] + q[i]
            if s > 0.0:
                total -= (p[i] - q[i]) * (p[i] - q[i]) / s
    elif code == WEIGHTS_L2:
        for i in range(m):
            total -= (p[i] - q[i]) * (p[i] - q[i])
    elif code == WEIGHTS_BACKGROUND_RATIO:
        rho_q = bhattacharyya_coefficient(p, q)
        rho_b = bhattacharyya_coefficient(p, background)
        if rho_q <= 0.0:
            return -np.inf
        return math.log(rho_q) - (math.log(rho_b) if rho_b > 0.0 else 0.0)
    else:  # log-likelihood: the weight's expectation under the candidate
        for i in range(m):
            if p[i] > 0.0:
                total += p[i] * bin_weight(code, p[i], q[i], background[i], delta, 0.0, 0.0)
    return total


@jit
def _listed_value(code, p, q, background, delta, listed, n):
    """:func:`similarity_value` summed over the bins ``listed[:n]`` where ``p`` can be non-zero, for the measures
    whose terms vanish with ``p``; the others over every bin."""
    if code == WEIGHTS_BHATTACHARYYA or code == WEIGHTS_BACKGROUND_RATIO:
        rho_q = 0.0
        rho_b = 0.0
        for j in range(n):
            u = listed[j]
            rho_q += math.sqrt(p[u] * q[u])
            rho_b += math.sqrt(p[u] * background[u])
        if code == WEIGHTS_BHATTACHARYYA:
            return rho_q
        if rho_q <= 0.0:
            return -np.inf
        return math.log(rho_q) - (math.log(rho_b) if rho_b > 0.0 else 0.0)
    if code == WEIGHTS_INTERSECTION or code == WEIGHTS_LOG_LIKELIHOOD:
        total = 0.0
        for j in range(n):
            u = listed[j]
            if code == WEIGHTS_INTERSECTION:
                total += min(p[u], q[u])
            elif p[u] > 0.0:
                total += p[u] * bin_weight(code, p[u], q[u], background[u], delta, 0.0, 0.0)
        return total
    return similarity_value(code, p, q, background, delta)


@jit
def contrast_scores(code, hists, masses, rings, ring_totals, q, background, delta, scores, book):
    """``scores[i] = rho(hists[i], q) - rho(rings[i] / ring_totals[i], q)`` (no ring term for an empty ring;
    ``-inf`` for an empty window): the ``contrast`` scale rule's judgement of each size, in one call, over
    the bins ``book`` lists (see :func:`window_and_ring_histograms`). ``rings`` are normalised in place."""
    _, _, listed, counts = book
    n = hists.shape[0]
    for i in range(n):
        if masses[i] <= 0.0:
            scores[i] = -np.inf
            continue
        scores[i] = _listed_value(code, hists[i], q, background, delta, listed[i], counts[i])
        if ring_totals[i] > 0.0:
            ring = rings[i]
            for j in range(counts[n + i]):
                ring[listed[n + i, j]] /= ring_totals[i]
            scores[i] -= _listed_value(code, ring, q, background, delta, listed[n + i], counts[n + i])


@jit
def similarity_weights(code, p, q, background, delta, out):
    """The weight table of built-in measure ``code`` (``WEIGHTS_*``), every bin (see :func:`bin_weight`)."""
    g1, g2 = global_terms(code, p, q, background, np.empty(0, np.int64), -1)
    for i in range(q.shape[0]):
        out[i] = bin_weight(code, p[i], q[i], background[i], delta, g1, g2)


@jit
def _move_to_mean(cx, cy, m0, mx, my, hw, hh, rx0, ry0, rx1, ry1, width, height):
    """The window's new centre (the weighted mean, kept in the frame), the squared shift, and whether the
    window now reaches outside the region's pixels ``[rx0, rx1) x [ry0, ry1)``."""
    nx = min(max(mx / m0, 0.0), width - 1.0)
    ny = min(max(my / m0, 0.0), height - 1.0)
    shift2 = (nx - cx) * (nx - cx) + (ny - cy) * (ny - cy)
    left = (math.ceil(nx - hw) < rx0 or math.ceil(ny - hh) < ry0 or math.floor(nx + hw) >= rx1
            or math.floor(ny + hh) >= ry1)
    return nx, ny, shift2, left


@jit
def converge(bins, spans, src, rx0, ry0, rx1, ry1, step, cx, cy, hw, hh, kernel_code, weights_code, q, background,
             delta, eps2, max_iterations, width, height, hist, weights, work):
    """The whole mean-shift iteration for a built-in measure, in one call.

    From ``(cx, cy)``: candidate histogram -> weight table -> step, until the shift is below
    ``sqrt(eps2)`` or ``max_iterations``. Stops early when the window leaves the region's pixels
    ``[rx0, rx1) x [ry0, ry1)``, for the caller to quantise a new region and call again.

    ``work = (seen, active, ticks)``, from :func:`converge_workspace`, is scratch space kept between
    calls. Returns ``(cx, cy, iterations, mass, shift2, left_region)``; ``hist`` holds the candidate
    histogram at the returned centre unless ``left_region``; ``weights`` is left partly stale.
    """
    if weights_code == WEIGHTS_BACKPROJECTION or weights_code == WEIGHTS_LOG_LIKELIHOOD:
        return _converge_fixed_weights(bins, spans, src, rx0, ry0, rx1, ry1, step, cx, cy, hw, hh, kernel_code,
                                       weights_code, q, background, delta, eps2, max_iterations, width, height,
                                       hist, weights)
    # Only the bins the window holds are cleared, normalised and weighted: with m = 4096 bins and a
    # small target, the per-bin work would otherwise cost more than the pixels.
    seen, active, ticks = work
    hist[:] = 0.0
    mass, n = _tracked_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen, active,
                                 ticks, 0)
    iterations = 0
    shift2 = 0.0
    while mass > 0.0 and iterations < max_iterations:
        ticks[0] += 1
        g1, g2 = global_terms(weights_code, hist, q, background, active, n)
        m0, mx, my = _weighted_step(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, weights,
                                    weights_code, hist, q, background, delta, g1, g2, seen[1], ticks[0])
        iterations += 1
        if m0 <= 0.0:
            return cx, cy, iterations, 0.0, 0.0, False
        cx, cy, shift2, left = _move_to_mean(cx, cy, m0, mx, my, hw, hh, rx0, ry0, rx1, ry1, width, height)
        if left:
            return cx, cy, iterations, mass, shift2, True
        mass, n = _tracked_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen,
                                     active, ticks, n)
        if shift2 < eps2:
            break
    return cx, cy, iterations, mass, shift2, False


@jit
def _tracked_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen, active, ticks,
                       n_active):
    """:func:`kernel_histogram` into a ``hist`` that is zero outside ``active[:n_active]``; ``(mass, n)``."""
    for j in range(n_active):
        hist[active[j]] = 0.0
    ticks[0] += 1
    total, n = _accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen[0],
                                     active, ticks[0])
    if total > 0.0:
        for j in range(n):
            hist[active[j]] /= total
    return total, n


@jit
def _converge_fixed_weights(bins, spans, src, rx0, ry0, rx1, ry1, step, cx, cy, hw, hh, kernel_code, weights_code,
                            q, background, delta, eps2, max_iterations, width, height, hist, weights):
    """:func:`converge` for measures whose weights do not depend on the candidate (back-projection,
    log-likelihood): one weight table, steps only, and the candidate histogram once where the
    iteration ends, which halves the pixels read. Same results as the general loop."""
    similarity_weights(weights_code, hist, q, background, delta, weights)
    iterations = 0
    shift2 = 0.0
    while iterations < max_iterations:
        m0, mx, my = mean_shift_step(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, weights)
        if m0 <= 0.0:
            # As the general loop: a step is counted when the window held pixels, none of them weighted.
            mass = kernel_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist)
            return cx, cy, iterations + (1 if mass > 0.0 else 0), 0.0, 0.0, False
        iterations += 1
        cx, cy, shift2, left = _move_to_mean(cx, cy, m0, mx, my, hw, hh, rx0, ry0, rx1, ry1, width, height)
        if left:
            return cx, cy, iterations, m0, shift2, True
        if shift2 < eps2:
            break
    mass = kernel_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist)
    return cx, cy, iterations, mass, shift2, False
