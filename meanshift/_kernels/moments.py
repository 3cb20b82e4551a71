"""Weighted moments (zeroth, first, second) of a box of the region under a per-bin weight table."""

from __future__ import annotations

from meanshift._jit import jit
from meanshift._kernels.quantize import ensure_span
from meanshift._kernels.windows import grid_span


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


