"""What one frame of the recommended engine gives (:class:`PosteriorStep`) and the geometry of the grid its
search region is quantised on (:class:`SearchGrid`), for :mod:`meanshift.posterior_tracking`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PosteriorStep", "SearchGrid"]


@dataclass
class PosteriorStep:
    """What one frame gives: the new state, the match quality and the measure's value.

    ``score`` is the similarity measure's value of the reported box's histogram against the model
    (before this frame teaches it); ``histogram`` that normalised histogram (the model's bins).
    """

    cx: float
    cy: float
    w: float
    h: float
    ok: bool
    confidence: float
    iterations: int
    score: float = 0.0
    histogram: np.ndarray | None = None


class SearchGrid:
    """Geometry of the quantised search region: pixel ``(x0 + i*step, y0 + j*step)`` is sample ``(j, i)``."""

    def __init__(self, x0: int, y0: int, step: int, rows: int, cols: int) -> None:
        self.x0, self.y0, self.step, self.rows, self.cols = x0, y0, step, rows, cols

    def to_grid(self, x: float, y: float) -> tuple[float, float]:
        return (x - self.x0) / self.step, (y - self.y0) / self.step

    def to_frame(self, i: float, j: float) -> tuple[float, float]:
        return self.x0 + i * self.step, self.y0 + j * self.step

    def rect(self, cx: float, cy: float, w: float, h: float) -> tuple[int, int, int, int]:
        """Grid rectangle ``(j0, j1, i0, i1)`` of the pixels of the box of centre ``(cx, cy)`` and size ``w x h``.

        :func:`meanshift._kernels.posterior.grid_rect`'s arithmetic in Python floats (the same IEEE
        doubles, so the same rectangle): a call into Numba costs more than the arithmetic here.
        """
        x0, y0, step = self.x0, self.y0, self.step
        return (math.ceil((cy - (h - 1) / 2 - y0) / step), math.floor((cy + (h - 1) / 2 - y0) / step) + 1,
                math.ceil((cx - (w - 1) / 2 - x0) / step), math.floor((cx + (w - 1) / 2 - x0) / step) + 1)
