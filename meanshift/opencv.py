"""Drop-in replacements for ``cv2.meanShift`` and ``cv2.CamShift`` with the same signatures.

On a given single-channel weight (back-projection) image they compute what OpenCV computes: the same
integer windows, the same rotated rectangle. One Numba call does the whole iteration.

Where they deliberately differ from OpenCV (and why):

* A window lying entirely outside the image raises ``ValueError``; OpenCV silently moves it to the
  image centre as a 1x1 window and carries on.
* When the window holds no weight at all, ``cam_shift`` returns the window unchanged and a rotated
  rectangle equal to it (angle 0); OpenCV returns an all-zero rectangle and a window enlarged by
  10 px per side, so a lost target grows the window by 20 px per axis each frame.
* A NaN or infinite weight inside the window raises ``ValueError`` instead of producing NaN boxes.

Examples
--------
>>> import numpy as np
>>> from meanshift import mean_shift, cam_shift
>>> prob = np.zeros((100, 100), np.uint8); prob[40:60, 50:70] = 255
>>> criteria = (3, 10, 1.0)   # cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10 iterations, 1 px
>>> mean_shift(prob, (40, 35, 20, 20), criteria)         # cv2.meanShift gives the same
(3, (48, 38, 20, 20))
>>> cam_shift(prob, (40, 35, 20, 20), criteria)          # and cv2.CamShift
(((60.5, 50.5), (23.06512451171875, 23.06512451171875), 90.0), (48, 38, 25, 25))
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from meanshift._jit import jit

__all__ = ["mean_shift", "cam_shift"]

# cv2.TERM_CRITERIA_COUNT == cv2.TERM_CRITERIA_MAX_ITER == 1, cv2.TERM_CRITERIA_EPS == 2
_TERM_COUNT = 1
_TERM_EPS = 2
_CAMSHIFT_TOLERANCE = 10  # OpenCV enlarges the window by this many pixels per side before sizing it


@jit
def _moments_integer(prob, x, y, w, h, out):
    # Raw moments of prob[y:y+h, x:x+w], coordinates relative to (x, y): exact integer sums per row
    # (as OpenCV's for 8-bit images), which also vectorise best.
    out[:] = 0.0
    for yy in range(h):
        s0 = 0
        s1 = 0
        s2 = 0
        row = prob[y + yy, x : x + w]
        for xx in range(w):
            v = np.int64(row[xx])
            s0 += v
            s1 += v * xx
            s2 += v * xx * xx
        out[0] += s0
        out[1] += s1
        out[2] += s0 * yy
        out[3] += s2
        out[4] += s1 * yy
        out[5] += s0 * yy * yy


@jit
def _moments_float(prob, x, y, w, h, out):
    # The same for float images, summed in float64 per row.
    out[:] = 0.0
    for yy in range(h):
        s0 = 0.0
        s1 = 0.0
        s2 = 0.0
        row = prob[y + yy, x : x + w]
        for xx in range(w):
            v = np.float64(row[xx])
            fx = np.float64(xx)
            s0 += v
            s1 += v * fx
            s2 += v * fx * fx
        out[0] += s0
        out[1] += s1
        out[2] += s0 * yy
        out[3] += s2
        out[4] += s1 * yy
        out[5] += s0 * yy * yy


@jit
def _moments(prob, x, y, w, h, integer, out):
    if integer:
        _moments_integer(prob, x, y, w, h, out)
    else:
        _moments_float(prob, x, y, w, h, out)


@jit(fastmath=False)
def _intersect(x, y, w, h, width, height):
    # cv::Rect & cv::Rect(0, 0, width, height); an empty result is Rect() = (0, 0, 0, 0).
    x1 = max(x, 0)
    y1 = max(y, 0)
    w1 = min(x + w, width) - x1
    h1 = min(y + h, height) - y1
    if w1 <= 0 or h1 <= 0:
        return 0, 0, 0, 0
    return x1, y1, w1, h1


@jit(fastmath=False)
def _mean_shift_kernel(prob, integer, x, y, w, h, eps, niters, moments):
    """cv::meanShift: returns (iterations, x, y, w, h, status); status 1 = NaN weight met."""
    height, width = prob.shape
    wx, wy, ww, wh = _intersect(x, y, w, h, width, height)
    cx, cy, cw, ch = x, y, w, h
    i = 0
    while i < niters:
        cx, cy, cw, ch = _intersect(cx, cy, cw, ch, width, height)
        if cx == 0 and cy == 0 and cw == 0 and ch == 0:
            cx = width // 2
            cy = height // 2
        cw = max(cw, 1)
        ch = max(ch, 1)
        _moments(prob, cx, cy, cw, ch, integer, moments)
        m00 = moments[0]
        if not math.isfinite(m00):
            return i, cx, cy, cw, ch, 1
        if abs(m00) < 2.220446049250313e-16:
            break
        dx = int(np.rint(moments[1] / m00 - ww * 0.5))
        dy = int(np.rint(moments[2] / m00 - wh * 0.5))
        nx = min(max(cx + dx, 0), width - cw)
        ny = min(max(cy + dy, 0), height - ch)
        dx = nx - cx
        dy = ny - cy
        cx = nx
        cy = ny
        if dx * dx + dy * dy < eps:
            break
        i += 1
    return i, cx, cy, cw, ch, 0


@jit(fastmath=False)
def _cam_shift_kernel(prob, integer, x, y, w, h, eps, niters, moments, box):
    """cv::CamShift. Fills box = [cx, cy, width, height, angle]; returns (x, y, w, h, status).

    status 0: ok; 1: NaN weight; 2: no weight in the window (box filled from the window).
    """
    height, width = prob.shape
    _, x, y, w, h, status = _mean_shift_kernel(prob, integer, x, y, w, h, eps, niters, moments)
    if status != 0:
        return x, y, w, h, status
    mx, my, mw, mh = x, y, w, h  # meanShift's window, returned when there is no weight
    t = _CAMSHIFT_TOLERANCE
    x = max(x - t, 0)
    y = max(y - t, 0)
    w += 2 * t
    if x + w > width:
        w = width - x
    h += 2 * t
    if y + h > height:
        h = height - y
    _moments(prob, x, y, w, h, integer, moments)
    m00, m10, m01, m20, m11, m02 = moments[0], moments[1], moments[2], moments[3], moments[4], moments[5]
    if not math.isfinite(m00):
        return x, y, w, h, 1
    if abs(m00) < 2.220446049250313e-16:
        box[0] = np.float32(mx + mw * 0.5)
        box[1] = np.float32(my + mh * 0.5)
        box[2] = mw
        box[3] = mh
        box[4] = 0.0
        return mx, my, mw, mh, 2
    inv_m00 = 1.0 / m00
    xcm = m10 * inv_m00
    ycm = m01 * inv_m00
    mu20 = m20 - m10 * xcm
    mu11 = m11 - m10 * ycm
    mu02 = m02 - m01 * ycm
    xc = int(np.rint(xcm + x))
    yc = int(np.rint(ycm + y))
    a = mu20 * inv_m00
    b = mu11 * inv_m00
    c = mu02 * inv_m00
    square = math.sqrt(4 * b * b + (a - c) * (a - c))
    theta = math.atan2(2 * b, a - c + square)
    cs = math.cos(theta)
    sn = math.sin(theta)
    rotate_a = max(cs * cs * mu20 + 2 * cs * sn * mu11 + sn * sn * mu02, 0.0)
    rotate_c = max(sn * sn * mu20 - 2 * cs * sn * mu11 + cs * cs * mu02, 0.0)
    length = math.sqrt(rotate_a * inv_m00) * 4
    breadth = math.sqrt(rotate_c * inv_m00) * 4
    if length < breadth:
        length, breadth = breadth, length
        cs, sn = sn, cs
        theta = math.pi * 0.5 - theta
    t0 = max(int(np.rint(abs(length * cs))), int(np.rint(abs(breadth * sn)))) + 2
    w = min(t0, (width - xc) * 2)
    t0 = max(int(np.rint(abs(length * sn))), int(np.rint(abs(breadth * cs)))) + 2
    h = min(t0, (height - yc) * 2)
    x = max(0, xc - w // 2)
    y = max(0, yc - h // 2)
    w = min(width - x, w)
    h = min(height - y, h)
    angle = np.float32((math.pi * 0.5 + theta) * 180.0 / math.pi)
    while angle < 0:
        angle += np.float32(360)
    while angle >= 360:
        angle -= np.float32(360)
    if angle >= 180:
        angle -= np.float32(180)
    box[0] = np.float32(x + w * np.float32(0.5))
    box[1] = np.float32(y + h * np.float32(0.5))
    box[2] = np.float32(breadth)
    box[3] = np.float32(length)
    box[4] = angle
    return x, y, w, h, 0


def _as_prob_image(prob: object) -> np.ndarray:
    if prob is None:
        raise ValueError("probImage is None")
    arr = np.asarray(prob)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim != 2:
        raise ValueError(f"probImage must be a single-channel image (H, W), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"probImage is empty (shape {arr.shape})")
    if arr.dtype not in (np.uint8, np.uint16, np.int16, np.float32, np.float64):
        raise ValueError(f"probImage dtype must be uint8, uint16, int16, float32 or float64, got {arr.dtype}")
    return arr


def _as_window(window: Iterable[Any], shape: tuple[int, int]) -> tuple[int, int, int, int]:
    try:
        values = tuple(int(v) for v in window)
    except (TypeError, ValueError):
        raise ValueError(f"window must be four integers (x, y, w, h), got {window!r}") from None
    if len(values) != 4:
        raise ValueError(f"window must be four integers (x, y, w, h), got {window!r}")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise ValueError(f"window must have a positive width and height, got w={w}, h={h}")
    height, width = shape
    if x + w <= 0 or y + h <= 0 or x >= width or y >= height:
        raise ValueError(f"window {values} lies entirely outside the {width}x{height} image")
    return values


def _parse_criteria(criteria: Iterable[Any]) -> tuple[float, int]:
    # As cv::meanShift: eps = round(eps^2) (whole pixels!), default 1 and 100 iterations.
    try:
        raw = tuple(criteria)
        if len(raw) != 3:
            raise ValueError
        kind, max_count, epsilon = int(raw[0]), int(raw[1]), float(raw[2])
    except (TypeError, ValueError):
        raise ValueError(f"criteria must be (type, maxCount, epsilon) like cv2's, got {criteria!r}") from None
    eps = max(epsilon, 0.0) if kind & _TERM_EPS else 1.0
    eps = float(np.rint(eps * eps))
    niters = max(max_count, 1) if kind & _TERM_COUNT else 100
    return eps, niters


def mean_shift(
    probImage: np.ndarray, window: tuple[int, int, int, int], criteria: tuple[int, int, float]
) -> tuple[int, tuple[int, int, int, int]]:
    """Find the window's position by mean shift on a weight image, as ``cv2.meanShift``.

    Parameters
    ----------
    probImage : (H, W) array
        The weights, e.g. a back-projection (uint8, uint16, int16, float32 or float64).
    window : (x, y, w, h) ints
        Initial window.
    criteria : (type, maxCount, epsilon)
        As ``cv2.TermCriteria``; note OpenCV's rule that the squared shift is compared with
        ``round(epsilon**2)`` whole pixels, kept here for identical results.

    Returns
    -------
    iterations : int
    window : (x, y, w, h) ints
    """
    prob = _as_prob_image(probImage)
    x, y, w, h = _as_window(window, prob.shape)
    eps, niters = _parse_criteria(criteria)
    moments = np.empty(6, np.float64)
    iters, x, y, w, h, status = _mean_shift_kernel(prob, prob.dtype.kind != "f", x, y, w, h, eps, niters, moments)
    if status == 1:
        raise ValueError("probImage holds NaN or infinite weights inside the window")
    return int(iters), (int(x), int(y), int(w), int(h))


def cam_shift(
    probImage: np.ndarray, window: tuple[int, int, int, int], criteria: tuple[int, int, float]
) -> tuple[tuple[tuple[float, float], tuple[float, float], float], tuple[int, int, int, int]]:
    """Find the object's centre, size and orientation on a weight image, as ``cv2.CamShift``.

    Parameters
    ----------
    probImage, window, criteria
        As :func:`mean_shift`.

    Returns
    -------
    rotated : ((cx, cy), (width, height), angle_deg)
        As ``cv2.CamShift``'s ``RotatedRect`` (height is the major axis, angle in ``[0, 180)``).
    window : (x, y, w, h) ints
        The next search window.
    """
    prob = _as_prob_image(probImage)
    x, y, w, h = _as_window(window, prob.shape)
    eps, niters = _parse_criteria(criteria)
    moments = np.empty(6, np.float64)
    box = np.zeros(5, np.float64)
    x, y, w, h, status = _cam_shift_kernel(prob, prob.dtype.kind != "f", x, y, w, h, eps, niters, moments, box)
    if status == 1:
        raise ValueError("probImage holds NaN or infinite weights inside the window")
    rotated = ((float(box[0]), float(box[1])), (float(box[2]), float(box[3])), float(box[4]))
    return rotated, (int(x), int(y), int(w), int(h))
