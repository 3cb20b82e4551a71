"""The mean-shift iteration: one weighted step, and the whole fused iteration to convergence."""

from __future__ import annotations

import math

import numpy as np

from meanshift._jit import jit
from meanshift._kernels.histograms import accumulate_histogram, kernel_histogram
from meanshift._kernels.quantize import ensure_span
from meanshift._kernels.similarity import (
    WEIGHTS_BACKPROJECTION,
    WEIGHTS_LOG_LIKELIHOOD,
    WEIGHTS_POSTERIOR,
    bin_weight,
    global_terms,
    similarity_weights,
)
from meanshift._kernels.windows import KERNEL_EPANECHNIKOV, grid_span, kernel_row_span, kernel_value


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
        xa, xb = kernel_row_span(kernel_code, v, cx, hw, x_lo, x_hi, rx0, step)
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
                wg = weights[b] * kernel_value(kernel_code, (x - cx) / hw, v, True)
                r0 += wg
                r1 += wg * x
        m0 += r0
        mx += r1
        my += r0 * y
    return m0, mx, my


def converge_workspace(m: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scratch arrays of :func:`converge` for ``m`` bins: ``(seen (2, m), active (m,), ticks (1,))``."""
    return np.full((2, m), -1, np.int64), np.zeros(m, np.int64), np.zeros(1, np.int64)


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


def converge(bins: np.ndarray, spans: np.ndarray, src: tuple | None, rx0: int, ry0: int, rx1: int, ry1: int, step: int,
             cx: float, cy: float, hw: float, hh: float, kernel_code: int, weights_code: int, q: np.ndarray,
             background: np.ndarray, delta: float, eps2: float, max_iterations: int, width: int, height: int,
             hist: np.ndarray, weights: np.ndarray,
             work: tuple[np.ndarray, np.ndarray, np.ndarray]) -> tuple[float, float, int, float, float, bool]:
    """The whole mean-shift iteration for a built-in measure, in one call.

    From ``(cx, cy)``: candidate histogram -> weight table -> step, until the shift is below
    ``sqrt(eps2)`` or ``max_iterations``. Stops early when the window leaves the region's pixels
    ``[rx0, rx1) x [ry0, ry1)``, for the caller to quantise a new region and call again.

    ``work = (seen, active, ticks)``, from :func:`converge_workspace`, is scratch space kept between
    calls. Returns ``(cx, cy, iterations, mass, shift2, left_region)``; ``hist`` holds the candidate
    histogram at the returned centre unless ``left_region``; ``weights`` is left partly stale.

    Two kernels, one per kind of measure, each compiled only when first called: a tracker whose measure
    takes one loop does not wait for the other's (issue 27, the first start).
    """
    if weights_code in _FIXED_WEIGHTS:
        return _converge_fixed_weights(bins, spans, src, rx0, ry0, rx1, ry1, step, cx, cy, hw, hh, kernel_code,
                                       weights_code, q, background, delta, eps2, max_iterations, width, height,
                                       hist, weights)
    return converge_tracked(bins, spans, src, rx0, ry0, rx1, ry1, step, cx, cy, hw, hh, kernel_code, weights_code, q,
                            background, delta, eps2, max_iterations, width, height, hist, weights, work)


#: The measures whose weights do not depend on the candidate: :func:`_converge_fixed_weights` iterates them.
_FIXED_WEIGHTS = frozenset({WEIGHTS_BACKPROJECTION, WEIGHTS_LOG_LIKELIHOOD, WEIGHTS_POSTERIOR})


@jit
def converge_tracked(bins, spans, src, rx0, ry0, rx1, ry1, step, cx, cy, hw, hh, kernel_code, weights_code, q,
                     background, delta, eps2, max_iterations, width, height, hist, weights, work):
    """:func:`converge` for the measures whose weights depend on the candidate (Bhattacharyya, ...)."""
    # Only the bins the window holds are cleared, normalised and weighted: with m = 4096 bins and a
    # small target, the per-bin work would otherwise cost more than the pixels.
    seen, active, ticks = work
    hist[:] = 0.0
    # No bin listed yet, given as an int64: a literal 0 would compile a second _tracked_histogram.
    mass, n = _tracked_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen, active,
                                 ticks, np.int64(0))
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
    total, n = accumulate_histogram(bins, spans, src, rx0, ry0, step, cx, cy, hw, hh, kernel_code, hist, seen[0],
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
