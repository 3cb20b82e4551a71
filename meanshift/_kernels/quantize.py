"""Quantisation: pixels of a region of the frame to histogram bins, lazily, row span by row span.

A *region* is a grid of pixels of the frame, ``(rx0 + xx*step, ry0 + yy*step)``, whose bins are stored
in an int32 array ``bins[yy, xx]``, ``MASKED`` (-1) for masked pixels. Bins are filled lazily: the
kernels quantise the part of a row a window needs the first time they read it (:func:`ensure_span`),
so one pass goes from BGR to bins to moments and pixels no window covers cost nothing.
"""

from __future__ import annotations

import numpy as np

from meanshift._jit import jit
from meanshift._kernels.windows import grid_span

# Feature-space codes (meanshift.features) ------------------------------------------------------
FEATURE_GRAY = 0
FEATURE_HUE = 1
FEATURE_HUE_SAT = 2
FEATURE_BGR = 3
FEATURE_HSV_FULL = 4  # H (0..255, cv2.COLOR_BGR2HSV_FULL) x S x V
FEATURE_LAB = 5  # converted by cv2.cvtColor over the search region, then binned per channel
FEATURE_YCRCB = 6

_HSV_SHIFT = 12


def hsv_division_tables(hue_range: int = 180) -> tuple[np.ndarray, np.ndarray]:
    """OpenCV's fixed-point reciprocal tables for 8-bit BGR->HSV.

    ``hue_range`` 180 for ``cv2.COLOR_BGR2HSV`` (hue 0..179), 256 for ``cv2.COLOR_BGR2HSV_FULL`` (0..255).
    """
    i = np.arange(256, dtype=np.float64)
    with np.errstate(divide="ignore"):
        sdiv = np.where(i > 0, np.rint((255 << _HSV_SHIFT) / np.maximum(i, 1)), 0).astype(np.int32)
        hdiv = np.where(i > 0, np.rint((hue_range << _HSV_SHIFT) / (6.0 * np.maximum(i, 1))), 0).astype(np.int32)
    return sdiv, hdiv


#: Bin of a pixel the HSV mask rejects.
MASKED = -1


@jit(inline="always")
def _value_saturation(b, g, r, sdiv):
    """OpenCV's 8-bit V, max - min and S of one BGR pixel (fixed point, ``sdiv`` its reciprocal table)."""
    v = max(b, max(g, r))
    diff = v - min(b, min(g, r))
    return v, diff, (diff * sdiv[v] + (1 << (_HSV_SHIFT - 1))) >> _HSV_SHIFT


@jit(inline="always")
def _hue(b, g, r, v, diff, hdiv, hue_range):
    """OpenCV's 8-bit hue of one BGR pixel: 0..179 (``hue_range`` 180) or 0..255 (256, ``_FULL``)."""
    if v == r:
        h = g - b
    elif v == g:
        h = b - r + 2 * diff
    else:
        h = r - g + 4 * diff
    h = (h * hdiv[diff] + (1 << (_HSV_SHIFT - 1))) >> _HSV_SHIFT
    if h < 0:
        h += hue_range
    return h


@jit
def quantize_span(src, bins, yy, xs, xe, rx0, ry0, step):
    """Bins of grid pixels ``xx in [xs, xe)`` of grid row ``yy`` into ``bins[yy, xs:xe]``.

    ``src = (frame, code, lut_a, lut_b, mask, sdiv, hdiv, ib, ir, ox, oy, ss)``
    (:func:`meanshift.features.pixel_source`): the frame as ``(H, W, C)`` uint8 (C = 3: colour, C = 1:
    gray) and the feature space's tables. ``lut_a`` maps a channel value (BGR, gray, the converted spaces'
    channels, HSV-full's H, S and V) or a hue (0..179) to its bin, ``lut_b`` a saturation to its bin
    (hue x saturation); ``mask = (s_min, v_min, v_max)`` for the hue spaces. ``ib`` and ``ir`` are the
    channel indices of blue and red (0 and 2 for BGR frames, 2 and 0 for RGB ones: no frame is copied to
    swap them). Pixel ``(x, y)`` of the frame is ``frame[(y - oy) // ss, (x - ox) // ss]``: the Lab and YCrCb
    spaces pass the search region's grid (origin ``(ox, oy)``, every ``ss``-th pixel) converted by
    ``cv2.cvtColor``; the other spaces the frame itself (``ox = oy = 0``, ``ss = 1``).
    """
    frame, code, lut_a, lut_b, mask, sdiv, hdiv, ib, ir, ox, oy, ss = src
    n1 = lut_a[255] + 1
    n2 = lut_b[255] + 1
    s_min, v_min, v_max = mask[0], mask[1], mask[2]
    row = frame[(ry0 - oy + yy * step) // ss,
                (rx0 - ox + xs * step) // ss : (rx0 - ox + xe * step) // ss : step // ss]
    o = bins[yy, xs:xe]
    # One loop per feature space, each storing where it decides: a shared exit point lets LLVM turn
    # the branches into selects, which measured 3-4x slower on real frames.
    if frame.shape[2] == 1:
        for xx in range(o.shape[0]):
            o[xx] = lut_a[row[xx, 0]]
    elif code == FEATURE_BGR or code == FEATURE_LAB or code == FEATURE_YCRCB:
        if ib == 0:  # constant channel indices in the loop of the most used space
            for xx in range(o.shape[0]):
                o[xx] = (lut_a[row[xx, 0]] * n1 + lut_a[row[xx, 1]]) * n1 + lut_a[row[xx, 2]]
        else:
            for xx in range(o.shape[0]):
                o[xx] = (lut_a[row[xx, 2]] * n1 + lut_a[row[xx, 1]]) * n1 + lut_a[row[xx, 0]]
    elif code == FEATURE_GRAY:
        for xx in range(o.shape[0]):
            # cv2.COLOR_BGR2GRAY's fixed-point weights (OpenCV 5; OpenCV 4's 14-bit ones differ by <= 1).
            gray = (np.int32(row[xx, ib]) * 3735 + np.int32(row[xx, 1]) * 19235
                    + np.int32(row[xx, ir]) * 9798 + 16384) >> 15
            o[xx] = lut_a[gray]
    elif code == FEATURE_HSV_FULL:
        for xx in range(o.shape[0]):
            # cv2.COLOR_BGR2HSV_FULL, bit-exact: hue over 0..255 (hdiv is its table), no mask.
            b = np.int32(row[xx, ib])
            g = np.int32(row[xx, 1])
            r = np.int32(row[xx, ir])
            v, diff, s = _value_saturation(b, g, r, sdiv)
            h = _hue(b, g, r, v, diff, hdiv, 256)
            o[xx] = (lut_a[min(h, 255)] * n1 + lut_a[s]) * n1 + lut_a[v]
    else:
        for xx in range(o.shape[0]):
            # Bit-exact with OpenCV's integer BGR->HSV, so hue histograms equal cv2.calcHist's.
            b = np.int32(row[xx, ib])
            g = np.int32(row[xx, 1])
            r = np.int32(row[xx, ir])
            v, diff, s = _value_saturation(b, g, r, sdiv)
            if s < s_min or v < v_min or v > v_max:
                o[xx] = MASKED
                continue
            h = _hue(b, g, r, v, diff, hdiv, 180)
            if code == FEATURE_HUE:
                o[xx] = lut_a[h]
            else:
                o[xx] = lut_a[h] * n2 + lut_b[s]


@jit
def channel_place_tables(lut_a):
    """``(first, middle)``: ``lut_a`` times the place values of the first and middle channel's bins.

    With them, a three-channel pixel's bin (BGR, Lab, YCrCb) is the sum of three lookups,
    ``first[c0] + middle[c1] + lut_a[c2]`` (see :func:`quantize_three_channels`).
    """
    n1 = lut_a[255] + 1
    first = np.empty(256, np.int32)  # the channel at index ib (blue), whose bin is the most significant
    middle = np.empty(256, np.int32)
    for v in range(256):
        first[v] = lut_a[v] * n1 * n1
        middle[v] = lut_a[v] * n1
    return first, middle


@jit
def quantize_three_channels(pixels, first, middle, last, ib, ir, dx, dy, step, ss, out):
    """``out[yy, xx] = first[p[ib]] + middle[p[1]] + last[p[ir]]`` of pixel ``p`` at frame offset
    ``(dx + xx*step, dy + yy*step)``, read from ``pixels`` holding every ``ss``-th pixel (1: the frame).

    The tables come from :func:`channel_place_tables`; a caller that quantises every frame keeps them.
    """
    sub = step // ss
    for yy in range(out.shape[0]):
        row = pixels[(dy + yy * step) // ss]
        o = out[yy]
        x = dx // ss
        for xx in range(o.shape[0]):
            o[xx] = first[row[x, ib]] + middle[row[x, 1]] + last[row[x, ir]]
            x += sub


@jit
def quantize_region(src, rx0, ry0, step, out):
    """Bin of every pixel ``(rx0 + xx*step, ry0 + yy*step)`` into ``out[yy, xx]`` (see :func:`quantize_span`).

    The three-channel spaces of per-channel bins (BGR, Lab, YCrCb) take a faster path with the same
    bins: one table per channel, already multiplied by that channel's place value, so that a pixel's
    bin is the sum of three lookups (measured 1.6x faster than :func:`quantize_span`'s loop).
    """
    frame, code, lut_a = src[0], src[1], src[2]
    ib, ir, ox, oy, ss = src[7], src[8], src[9], src[10], src[11]
    if frame.shape[2] == 3 and (code == FEATURE_BGR or code == FEATURE_LAB or code == FEATURE_YCRCB):
        first, middle = channel_place_tables(lut_a)
        quantize_three_channels(frame, first, middle, lut_a, ib, ir, rx0 - ox, ry0 - oy, step, ss, out)
        return
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


