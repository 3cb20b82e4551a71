"""Slow, obvious NumPy references for the Numba kernels in ``meanshift._kernels`` and the tracker's steps.

Each function recomputes from the definitions with whole-array NumPy (meshgrids, masks), sharing no
code with the kernels it checks.
"""

from __future__ import annotations

import cv2
import numpy as np


def bins_reference(frame: np.ndarray, name: str, bins: tuple[int, ...], s_min=60, v_min=32, v_max=255) -> np.ndarray:
    """Bins via OpenCV's own colour conversions and NumPy integer arithmetic."""
    if frame.ndim == 2:
        return frame.astype(np.int64) * bins[0] // 256
    if name == "bgr":
        n = bins[0]
        b, g, r = (frame[..., i].astype(np.int64) * n // 256 for i in range(3))
        return b * n * n + g * n + r
    if name == "gray":
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY).astype(np.int64)
        return gray * bins[0] // 256
    if name in ("hsv-full", "lab", "ycrcb"):  # OpenCV's 8-bit conversion, then n bins per channel
        code = {"hsv-full": cv2.COLOR_BGR2HSV_FULL, "lab": cv2.COLOR_BGR2Lab, "ycrcb": cv2.COLOR_BGR2YCrCb}[name]
        n = bins[0]
        c0, c1, c2 = (channel.astype(np.int64) * n // 256 for channel in cv2.split(cv2.cvtColor(frame, code)))
        return (c0 * n + c1) * n + c2
    hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV).astype(np.int64)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    out = h * bins[0] // 180
    if name == "hue-sat":
        out = out * bins[1] + s * bins[1] // 256
    masked = (s < s_min) | (v < v_min) | (v > v_max)
    return np.where(masked, -1, out)


def grid(shape, rx0, ry0, step=1):
    """Frame coordinates of the region's samples: ``bins[j, i]`` is pixel ``(rx0 + i*step, ry0 + j*step)``."""
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    return xs * step + rx0, ys * step + ry0


def _normalised_offsets(shape, rx0, ry0, cx, cy, hw, hh, step=1):
    x, y = grid(shape, rx0, ry0, step)
    return x, y, (x - cx) / hw, (y - cy) / hh


def kernel_weights(kernel, u, v, derivative=False):
    r2 = kernel.support_r2(u, v)
    return kernel.derivative(r2) if derivative else kernel.profile(r2)


def kernel_histogram(bins, rx0, ry0, cx, cy, hw, hh, kernel, m, step=1):
    """Normalised kernel-weighted histogram of the unmasked pixels of the window, and its mass."""
    _, _, u, v = _normalised_offsets(bins.shape, rx0, ry0, cx, cy, hw, hh, step)
    k = kernel_weights(kernel, u, v) * (bins >= 0)
    hist = np.bincount(np.where(bins >= 0, bins, 0).ravel(), weights=k.ravel(), minlength=m)
    total = k.sum()
    return (hist / total if total > 0 else hist), total


def mean_shift_step(bins, rx0, ry0, cx, cy, hw, hh, kernel, weights, step=1):
    x, y, u, v = _normalised_offsets(bins.shape, rx0, ry0, cx, cy, hw, hh, step)
    wg = np.where(bins >= 0, weights[np.maximum(bins, 0)], 0.0) * kernel_weights(kernel, u, v, derivative=True)
    return wg.sum(), (wg * x).sum(), (wg * y).sum()


def box_moments(bins, rx0, ry0, x0, y0, x1, y1, weights, step=1):
    """Raw moments relative to (x0, y0), and the number of samples in the box (masked included)."""
    x, y = grid(bins.shape, rx0, ry0, step)
    in_box = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    w = np.where(in_box & (bins >= 0), weights[np.maximum(bins, 0)], 0.0)
    dx, dy = x - x0, y - y0
    moments = np.array([w.sum(), (w * dx).sum(), (w * dy).sum(), (w * dx * dx).sum(), (w * dx * dy).sum(),
                        (w * dy * dy).sum()])
    return moments, int(in_box.sum())


def ring_histogram(bins, rx0, ry0, outer, inner, m, step=1):
    x, y = grid(bins.shape, rx0, ry0, step)
    in_outer = (x >= outer[0]) & (x <= outer[2]) & (y >= outer[1]) & (y <= outer[3])
    in_inner = (x >= inner[0]) & (x <= inner[2]) & (y >= inner[1]) & (y <= inner[3])
    keep = in_outer & ~in_inner & (bins >= 0)
    return np.bincount(bins[keep].ravel(), minlength=m).astype(np.float64)


def similarity_weights(name, p, q, b=None, delta=1e-3):
    """Weight tables straight from the formulas of DESIGN.md."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "backprojection":
            return q / q.max()
        if name == "bhattacharyya":
            return np.where(p > 0, np.sqrt(q / p), 0.0)
        if name == "kl":
            return np.where(p > 0, q / p, 0.0)
        if name == "intersection":
            return ((p <= q) & (q > 0)).astype(np.float64)
        if name == "chi-square":
            d = (q - p) * (p + 3 * q) / (p + q) ** 2
            return np.clip(np.where(p + q > 0, d, 0.0), 0, None)
        if name == "l2":
            return np.clip(2 * (q - p), 0, None)
        if name == "background-ratio":
            rho_q, rho_b = np.sum(np.sqrt(p * q)), np.sum(np.sqrt(p * b))
            w = np.where(p > 0, np.sqrt(q / p) / rho_q - np.sqrt(b / p) / rho_b, 0.0)
            return np.clip(w, 0, None)
        if name == "log-likelihood":
            return np.clip(np.log(np.maximum(q, delta) / np.maximum(b, delta)), 0, None)
        if name == "posterior":
            # P(obj | u) = A_o q / (A_o q + A_s b), delta = A_s / A_o; the prior A_o / (A_o + A_s) where both are 0
            return np.where(q + delta * b > 0, q / (q + delta * b), 1 / (1 + delta))
    raise KeyError(name)


def similarity_value(name, p, q, b=None, delta=1e-3):
    """rho(p, q) straight from the definitions (DESIGN.md, and the measures' docstrings)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        if name == "backprojection":
            return float(np.dot(p, q) / q.max())
        if name == "bhattacharyya":
            return float(np.sum(np.sqrt(p * q)))
        if name == "kl":
            nz = q > 0
            return float(-np.sum(q[nz] * np.log(q[nz] / np.maximum(p[nz], 1e-12))))
        if name == "intersection":
            return float(np.sum(np.minimum(p, q)))
        if name == "chi-square":
            s = p + q
            return float(-np.sum(np.where(s > 0, (p - q) ** 2 / s, 0.0)))
        if name == "l2":
            return float(-np.sum((p - q) ** 2))
        if name in ("log-likelihood", "posterior"):
            return float(np.dot(p, similarity_weights(name, p, q, b, delta)))
        if name == "background-ratio":
            return float(np.log(np.sum(np.sqrt(p * q))) - np.log(np.sum(np.sqrt(p * b))))
    raise KeyError(name)


def mean_shift_iterate(bins, rx0, ry0, cx, cy, w, h, kernel, weights_of, eps, max_iterations, frame_size):
    """The whole iteration: histogram -> weights -> step, until the shift is below ``eps``."""
    width, height = frame_size
    iterations = 0
    p, mass = kernel_histogram(bins, rx0, ry0, cx, cy, w / 2, h / 2, kernel, weights_of.m)
    while mass > 0 and iterations < max_iterations:
        wt = weights_of(p)
        m0, mx, my = mean_shift_step(bins, rx0, ry0, cx, cy, w / 2, h / 2, kernel, wt)
        iterations += 1
        if m0 <= 0:
            break
        nx, ny = np.clip(mx / m0, 0, width - 1), np.clip(my / m0, 0, height - 1)
        shift2 = (nx - cx) ** 2 + (ny - cy) ** 2
        cx, cy = nx, ny
        p, mass = kernel_histogram(bins, rx0, ry0, cx, cy, w / 2, h / 2, kernel, weights_of.m)
        if shift2 < eps**2:
            break
    return cx, cy, iterations
