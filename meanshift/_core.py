"""The Numba kernels: quantisation, kernel histograms, weighted moments, weight tables.

Private. Every function here takes arrays and scalars, writes into preallocated outputs where it
produces arrays, and trusts its caller (the public modules validate). Each is compared against a
slow NumPy reference in ``tests/naive.py``.

Coordinates are pixel indices: the pixel in column ``i`` sits at ``x = i``. A *region* is a
rectangle of the frame ``[rx0, rx0 + W) x [ry0, ry0 + H)`` whose bins are stored in an
``(H, W)`` int32 array, ``-1`` for masked pixels. Window centres are given in frame coordinates.
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
        sdiv = np.where(i > 0, np.rint((255 << _HSV_SHIFT) / np.maximum(i, 1)), 0).astype(np.int64)
        hdiv = np.where(i > 0, np.rint((180 << _HSV_SHIFT) / (6.0 * np.maximum(i, 1))), 0).astype(np.int64)
    return sdiv, hdiv


@jit
def _hsv_pixel(b: int, g: int, r: int, sdiv: np.ndarray, hdiv: np.ndarray) -> tuple[int, int, int]:
    # Bit-exact with OpenCV's integer BGR->HSV so that our hue histograms equal cv2.calcHist's.
    v = max(b, max(g, r))
    vmin = min(b, min(g, r))
    diff = v - vmin
    s = (diff * sdiv[v] + (1 << (_HSV_SHIFT - 1))) >> _HSV_SHIFT
    if v == r:
        h = g - b
    elif v == g:
        h = b - r + 2 * diff
    else:
        h = r - g + 4 * diff
    h = (h * hdiv[diff] + (1 << (_HSV_SHIFT - 1))) >> _HSV_SHIFT
    if h < 0:
        h += 180
    return h, s, v


@jit
def quantize_bgr(frame, rx0, ry0, code, params, sdiv, hdiv, out):
    """Bin index of every pixel of ``frame[ry0:ry0+H, rx0:rx0+W]`` (BGR uint8) into ``out`` (H, W)."""
    n1 = params[0]
    n2 = params[1]
    s_min = params[2]
    v_min = params[3]
    v_max = params[4]
    height, width = out.shape
    for yy in range(height):
        y = ry0 + yy
        for xx in range(width):
            x = rx0 + xx
            b = np.int64(frame[y, x, 0])
            g = np.int64(frame[y, x, 1])
            r = np.int64(frame[y, x, 2])
            if code == FEATURE_BGR:
                out[yy, xx] = ((b * n1) >> 8) * n1 * n1 + ((g * n1) >> 8) * n1 + ((r * n1) >> 8)
            elif code == FEATURE_GRAY:
                # cv2.COLOR_BGR2GRAY's fixed-point weights (OpenCV 5; OpenCV 4's 14-bit ones differ by <= 1).
                gray = (b * 3735 + g * 19235 + r * 9798 + 16384) >> 15
                out[yy, xx] = (gray * n1) >> 8
            else:
                h, s, v = _hsv_pixel(b, g, r, sdiv, hdiv)
                if s < s_min or v < v_min or v > v_max:
                    out[yy, xx] = -1
                elif code == FEATURE_HUE:
                    out[yy, xx] = (h * n1) // 180
                else:
                    out[yy, xx] = ((h * n1) // 180) * n2 + ((s * n2) >> 8)


@jit
def quantize_gray(frame, rx0, ry0, params, out):
    """Bin index of every pixel of a single-channel uint8 ``frame`` region into ``out``."""
    n1 = params[0]
    height, width = out.shape
    for yy in range(height):
        for xx in range(width):
            out[yy, xx] = (np.int64(frame[ry0 + yy, rx0 + xx]) * n1) >> 8


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
def _window_span(center, half, start, length):
    # Region-relative index range [lo, hi) of pixels within `half` of `center`.
    lo = int(math.ceil(center - half)) - start
    hi = int(math.floor(center + half)) - start + 1
    return max(lo, 0), min(hi, length)


@jit
def kernel_histogram(bins, rx0, ry0, cx, cy, hw, hh, kernel_code, hist):
    """Kernel-weighted histogram of the window; writes normalised ``hist`` and returns its raw mass.

    ``hist`` is left all zero (and 0.0 returned) when no unmasked pixel has kernel weight.
    """
    hist[:] = 0.0
    height, width = bins.shape
    x_lo, x_hi = _window_span(cx, hw, rx0, width)
    y_lo, y_hi = _window_span(cy, hh, ry0, height)
    total = 0.0
    for yy in range(y_lo, y_hi):
        v = (ry0 + yy - cy) / hh
        for xx in range(x_lo, x_hi):
            b = bins[yy, xx]
            if b < 0:
                continue
            k = _kernel_value(kernel_code, (rx0 + xx - cx) / hw, v, False)
            hist[b] += k
            total += k
    if total > 0.0:
        for i in range(hist.shape[0]):
            hist[i] /= total
    return total


@jit
def mean_shift_step(bins, rx0, ry0, cx, cy, hw, hh, kernel_code, weights):
    """One mean-shift step: ``(sum w g, sum w g x, sum w g y)`` over the window, ``g`` the derivative profile."""
    height, width = bins.shape
    x_lo, x_hi = _window_span(cx, hw, rx0, width)
    y_lo, y_hi = _window_span(cy, hh, ry0, height)
    m0 = 0.0
    mx = 0.0
    my = 0.0
    for yy in range(y_lo, y_hi):
        y = ry0 + yy
        v = (y - cy) / hh
        for xx in range(x_lo, x_hi):
            b = bins[yy, xx]
            if b < 0:
                continue
            x = rx0 + xx
            wg = weights[b] * _kernel_value(kernel_code, (x - cx) / hw, v, True)
            m0 += wg
            mx += wg * x
            my += wg * y
    return m0, mx, my


@jit
def box_moments(bins, rx0, ry0, x0, y0, x1, y1, weights, out):
    """Flat raw moments of the weights over pixels with ``x0 <= x <= x1`` and ``y0 <= y <= y1``.

    Writes ``out = [m00, m10, m01, m20, m11, m02]`` with coordinates relative to ``(x0, y0)`` (which
    keeps the second moments well conditioned far from the origin).
    """
    out[:] = 0.0
    height, width = bins.shape
    xs = max(int(math.ceil(x0)) - rx0, 0)
    xe = min(int(math.floor(x1)) - rx0 + 1, width)
    ys = max(int(math.ceil(y0)) - ry0, 0)
    ye = min(int(math.floor(y1)) - ry0 + 1, height)
    for yy in range(ys, ye):
        y = ry0 + yy - y0
        for xx in range(xs, xe):
            b = bins[yy, xx]
            if b < 0:
                continue
            w = weights[b]
            x = rx0 + xx - x0
            out[0] += w
            out[1] += w * x
            out[2] += w * y
            out[3] += w * x * x
            out[4] += w * x * y
            out[5] += w * y * y


@jit
def flat_histogram(bins, rx0, ry0, x0, y0, x1, y1, exclude_x0, exclude_y0, exclude_x1, exclude_y1, hist):
    """Unnormalised counts of the bins inside one box and outside another (a ring, for backgrounds)."""
    hist[:] = 0.0
    height, width = bins.shape
    xs = max(int(math.ceil(x0)) - rx0, 0)
    xe = min(int(math.floor(x1)) - rx0 + 1, width)
    ys = max(int(math.ceil(y0)) - ry0, 0)
    ye = min(int(math.floor(y1)) - ry0 + 1, height)
    for yy in range(ys, ye):
        y = ry0 + yy
        inside_y = exclude_y0 <= y <= exclude_y1
        for xx in range(xs, xe):
            b = bins[yy, xx]
            if b < 0:
                continue
            x = rx0 + xx
            if inside_y and exclude_x0 <= x <= exclude_x1:
                continue
            hist[b] += 1.0


# Weight tables of the built-in similarity measures (meanshift.similarity) ------------------------


@jit
def backprojection_weights(p, q, out):
    qmax = 0.0
    for i in range(q.shape[0]):
        qmax = max(qmax, q[i])
    for i in range(q.shape[0]):
        out[i] = q[i] / qmax if qmax > 0.0 else 0.0


@jit
def bhattacharyya_weights(p, q, out):
    for i in range(q.shape[0]):
        out[i] = math.sqrt(q[i] / p[i]) if p[i] > 0.0 else 0.0


@jit
def ratio_weights(p, q, out):
    for i in range(q.shape[0]):
        out[i] = q[i] / p[i] if p[i] > 0.0 else 0.0


@jit
def intersection_weights(p, q, out):
    for i in range(q.shape[0]):
        out[i] = 1.0 if (p[i] <= q[i] and q[i] > 0.0) else 0.0


@jit
def chi_square_weights(p, q, out):
    # d/dp of -(p - q)^2 / (p + q) = (q - p)(p + 3q) / (p + q)^2, clipped at zero.
    for i in range(q.shape[0]):
        s = p[i] + q[i]
        if s > 0.0:
            out[i] = max((q[i] - p[i]) * (p[i] + 3.0 * q[i]) / (s * s), 0.0)
        else:
            out[i] = 0.0


@jit
def l2_weights(p, q, out):
    for i in range(q.shape[0]):
        out[i] = max(2.0 * (q[i] - p[i]), 0.0)


@jit
def log_likelihood_weights(q, b, delta, out):
    for i in range(q.shape[0]):
        out[i] = max(math.log(max(q[i], delta) / max(b[i], delta)), 0.0)
