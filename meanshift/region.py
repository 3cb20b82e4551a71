"""The search region: bins of a grid of the current frame, the tracker's only way to the Numba kernels.

One frame flows one way: frame -> **region** -> bins -> weights -> moments -> window. A region holds
the bins of the pixels ``(x0 + i*step, y0 + j*step)`` in ``[x0, x1) x [y0, y1)``, filled lazily: the
kernels quantise what a window needs the first time they read it, so a generous region costs only its
allocation.
"""

from __future__ import annotations

import math

import numpy as np

from meanshift import _kernels
from meanshift.features import FeatureSpace, pixel_source

__all__ = ["Region", "region_around"]


class Region:
    """Bins of a grid of the current frame: pixels ``(x0 + i*step, y0 + j*step)`` in ``[x0, x1) x [y0, y1)``.

    ``spans[j] = (lo, hi)`` is the part of grid row ``j`` quantised so far. The methods are the
    tracker's only way to the Numba kernels; windows are given by centre and half-sizes, boxes by
    their corners, in frame coordinates.
    """

    def __init__(self, x0: int = 0, y0: int = 0, x1: int = 0, y1: int = 0, step: int = 1,
                 source: tuple | None = None) -> None:
        self.x0, self.y0, self.x1, self.y1, self.step = x0, y0, x1, y1, step
        rows, cols = max(-(-(y1 - y0) // step), 0), max(-(-(x1 - x0) // step), 0)
        self.bins = np.empty((rows, cols), np.int32)
        self.spans = np.zeros((rows, 2), np.int64)
        self.source = source
        # The leading arguments of every kernel call.
        self.grid = (self.bins, self.spans, source, x0, y0, step)

    def covers(self, x0: float, y0: float, x1: float, y1: float) -> bool:
        """Whether the box with corners ``(x0, y0)``, ``(x1, y1)`` lies inside the region."""
        return self.x0 <= x0 and self.y0 <= y0 and x1 < self.x1 and y1 < self.y1

    def histogram(self, cx: float, cy: float, hw: float, hh: float, kernel: int, out: np.ndarray) -> float:
        """Kernel-weighted histogram of the window into ``out``; returns its mass (sum of kernel values)."""
        return _kernels.kernel_histogram(*self.grid, cx, cy, hw, hh, kernel, out)

    def shift(self, cx: float, cy: float, hw: float, hh: float, kernel: int,
              weights: np.ndarray) -> tuple[float, float, float]:
        """``(m0, mx, my)``: the window's moments under the weights and the kernel's derivative profile."""
        return _kernels.mean_shift_step(*self.grid, cx, cy, hw, hh, kernel, weights)

    def moments(self, x0: float, y0: float, x1: float, y1: float, weights: np.ndarray, out: np.ndarray) -> int:
        """Flat weighted moments ``(m00, m10, m01, m20, m11, m02)`` of a box into ``out``; returns the pixel count."""
        return _kernels.box_moments(*self.grid, x0, y0, x1, y1, weights, out)

    def ring_histogram(self, cx: float, cy: float, hw: float, hh: float, grow: float, out: np.ndarray) -> float:
        """Counts of the ring between the box of half-sizes (hw, hh) and the box ``grow`` times as large."""
        _kernels.flat_histogram(*self.grid, cx - grow * hw, cy - grow * hh, cx + grow * hw, cy + grow * hh,
                                cx - hw, cy - hh, cx + hw, cy + hh, out)
        return float(out.sum())

    def masked_fraction(self, cx: float, cy: float, hw: float, hh: float) -> float:
        """Fraction of the box's pixels the feature space masks (1 for an empty box)."""
        masked, total = _kernels.count_masked(*self.grid, cx - hw, cy - hh, cx + hw, cy + hh)
        return masked / total if total else 1.0

    def mask(self, x: float, y: float, w: float, h: float) -> None:
        """Mark the pixels of box ``(x, y, w, h)`` masked (another target's, for this frame)."""
        _kernels.mask_box(*self.grid, x, y, x + w - 1, y + h - 1)

    def has_inner_sample(self, cx: float, cy: float, hw: float, hh: float) -> bool:
        """Whether a sample of the grid lies inside the window's ellipse, clear of its edge.

        Every kernel weighs such a sample, so a window histogram of an unmasked space has a positive
        mass there, whatever the rounding of the kernels' arithmetic (a sample on the edge, or none
        inside, answers False: only the histogram itself can tell then).
        """
        rows, cols = self.bins.shape
        if rows == 0 or cols == 0 or hw <= 0 or hh <= 0:
            return False
        # The squared distance is separable: the nearest row and the nearest column give the least.
        dx = _nearest_offset(cx, self.x0, self.step, cols)
        dy = _nearest_offset(cy, self.y0, self.step, rows)
        return (dx / hw) ** 2 + (dy / hh) ** 2 < 1.0 - _EDGE_MARGIN

    def detached(self) -> Region:
        """The same grid over its own copy of the pixels it reads, its bins not yet quantised.

        For work left until later (see :meth:`meanshift.state.TargetState.defer_model`): the caller may
        reuse the frame's buffer for the next frame meanwhile (video readers do).
        """
        if self.source is None:  # an empty region: no pixel to keep
            return Region(self.x0, self.y0, self.x1, self.y1, self.step)
        pixels, *tables, ox, oy, ss = self.source
        # Pixel (x, y) is pixels[(y - oy) // ss, (x - ox) // ss]: keep the rows and columns the region reads.
        r0, c0 = (self.y0 - oy) // ss, (self.x0 - ox) // ss
        r1, c1 = (self.y1 - 1 - oy) // ss + 1, (self.x1 - 1 - ox) // ss + 1
        own = pixels[r0:r1, c0:c1].copy()
        return Region(self.x0, self.y0, self.x1, self.y1, self.step, (own, *tables, ox + c0 * ss, oy + r0 * ss, ss))


#: How far inside the ellipse (in its normalised squared radius) :meth:`Region.has_inner_sample` asks for:
#: far above the kernels' rounding, far below any real window's nearest sample.
_EDGE_MARGIN = 1e-6


def _nearest_offset(centre: float, start: int, step: int, count: int) -> float:
    """The distance from ``centre`` to the nearest of the grid points ``start + k * step``, ``0 <= k < count``."""
    k = min(max(round((centre - start) / step), 0), count - 1)
    return min(abs(start + j * step - centre) for j in (k - 1, k, k + 1) if 0 <= j < count)


def region_around(frame: np.ndarray, space: FeatureSpace, current: Region, cx: float, cy: float, hw: float,
                  hh: float, step: int) -> Region:
    """The region for the window ``cx -/+ hw, cy -/+ hh``: ``current`` if it covers it with that step, else a new one.

    A new region leaves half a window more on every side (room to move, so most frames quantise once),
    clipped to the frame.
    """
    x0, x1 = math.ceil(cx - hw), math.floor(cx + hw)
    y0, y1 = math.ceil(cy - hh), math.floor(cy + hh)
    if current.bins.size and current.covers(x0, y0, x1, y1) and step == current.step:
        rx0, ry0, rx1, ry1 = current.x0, current.y0, current.x1, current.y1
    else:
        height, width = frame.shape[:2]
        rx0, ry0 = max(int(x0 - hw), 0), max(int(y0 - hh), 0)
        rx1, ry1 = min(int(x1 + hw) + 1, width), min(int(y1 + hh) + 1, height)
    return Region(rx0, ry0, rx1, ry1, step, pixel_source(frame, space, rx0, ry0, rx1, ry1, step))
