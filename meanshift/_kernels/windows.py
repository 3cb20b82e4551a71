"""Which grid pixels a window covers, and the kernel profile's value at each (``k`` or ``g = -k'``)."""

from __future__ import annotations

import math

from meanshift._jit import jit

# Kernel codes (meanshift.kernels) ---------------------------------------------------------------
KERNEL_FLAT = 0
KERNEL_EPANECHNIKOV = 1
KERNEL_GAUSSIAN = 2
KERNEL_BIWEIGHT = 3


@jit
def kernel_value(code, u, v, derivative):
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
def kernel_row_span(kernel_code, v, cx, hw, x_lo, x_hi, rx0, step):
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


