"""The engine's state and steps: what one frame flows through, and what every part is handed.

One frame flows one way: frame -> region -> bins -> weights -> moments -> window -> result. A
:class:`TargetState` holds one target's window (centre, size, orientation), the search region's bins
(:mod:`meanshift.region`), the model and candidate histograms, and the engine's steps that parts
call: :meth:`~TargetState.quantize` (frame -> region -> bins), :meth:`~TargetState.converge`
(bins -> weights -> mean shift -> window) and :meth:`~TargetState.clamp_size`. The parts
(:mod:`meanshift.scale`, :mod:`meanshift.recovery`, :mod:`meanshift.motion`) are handed the state,
never the :class:`~meanshift.Tracker` that holds them, and this module imports none of them: the
tracker builds the state and runs the parts over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from meanshift import _kernels
from meanshift.config import Convergence, ScaleGuard
from meanshift.features import FeatureSpace
from meanshift.kernels import Kernel
from meanshift.model import background_weighted
from meanshift.region import Region, region_around
from meanshift.similarity import Similarity

__all__ = ["TargetState", "LossPolicy"]


@dataclass(frozen=True)
class LossPolicy:
    """What the loss-detection part asks of a search that judges the match itself (the posterior engine's).

    The recovery part states it on the :class:`TargetState` at ``init`` (:attr:`TargetState.loss_policy`),
    so that a scale rule with its own verdict reads it there rather than from the part.

    Attributes
    ----------
    loss_ratio : float
        Lost below this times the recent level of the match.
    reacquire_ratio : float
        Found again at this times the level.
    search : bool
        Whether a lost target is searched for (else the loss is only reported).
    hold_when_lost : bool
        With ``search``: on a frame judged lost the window keeps its last trusted position.
    level_decay : float
        Per lost frame, the level of the match the target must return to shrinks by this factor.
    """

    loss_ratio: float = 0.4
    reacquire_ratio: float = 0.8
    search: bool = False
    hold_when_lost: bool = True
    level_decay: float = 0.95


@dataclass(frozen=True)
class _PendingModel:
    """What :meth:`TargetState.learn_model` is given once the model is first read."""

    region: Region
    cx: float
    cy: float
    hw: float
    hh: float
    grow: float
    weighted: bool


class TargetState:
    """One target's state in the engine, and the engine's steps over it.

    Parameters
    ----------
    space : FeatureSpace
        How pixels become bins for this target (chosen at ``init``).
    similarity : Similarity
        The measure whose weights :meth:`converge` uses.
    kernel : Kernel
        Weighs pixels by their place in the window.
    convergence : Convergence
        Epsilon and iteration cap of :meth:`converge`.
    max_samples : int or None
        A region is sampled every ``step``-th pixel so that a window holds about this many samples.
    guard : ScaleGuard
        Size bounds of :meth:`clamp_size`.
    frame_shape : tuple
        Shape of the frames.
    box : (cx, cy, w, h)
        The window's centre and size.

    Attributes
    ----------
    cx, cy, w, h : float
        The window.
    length, breadth, angle : float
        The oriented box's sides and angle (radians).
    q, background : ndarray, shape (m,)
        Target model and the background (ring) histogram at ``init`` (:meth:`learn_model`), learnt when
        first read if ``init`` deferred them (:meth:`defer_model`).
    hist, weights, moments : ndarray
        The candidate histogram, its weight table and the window's moments, written by the steps.
    region : Region
        The search region's bins.
    exclude : tuple of (x, y, w, h)
        Other targets' boxes, masked this frame.
    loss_policy : LossPolicy
        Stated by the recovery part at ``init``.
    search_ok : bool or None
        A search stage that judges the match itself leaves its verdict here for the recovery part.
    """

    def __init__(self, space: FeatureSpace, similarity: Similarity, kernel: Kernel, convergence: Convergence,
                 max_samples: int | None, guard: ScaleGuard, frame_shape: tuple[int, ...],
                 box: tuple[float, float, float, float]) -> None:
        self.space, self.similarity, self.kernel = space, similarity, kernel
        self.convergence, self.max_samples, self.guard = convergence, max_samples, guard
        self.frame_shape = frame_shape
        self.cx, self.cy, self.w, self.h = box
        self.length, self.breadth, self.angle = self.w, self.h, 0.0
        self.exclude: tuple[tuple[float, float, float, float], ...] = ()
        m = space.n_bins
        self._q, self._background = np.zeros(m), np.zeros(m)
        self._pending: _PendingModel | None = None
        self.hist, self.weights, self.moments = np.empty(m), np.empty(m), np.empty(6)
        self.work = _kernels.converge_workspace(m)
        self.region = Region()
        self.loss_policy = LossPolicy()
        self.search_ok: bool | None = None

    @property
    def q(self) -> np.ndarray:
        """The target model (the classic engine's): see :meth:`learn_model`."""
        self._learn_pending()
        return self._q

    @q.setter
    def q(self, value: np.ndarray) -> None:
        self._learn_pending()  # (the background is learnt with it)
        self._q = value

    @property
    def background(self) -> np.ndarray:
        """The background (ring) histogram at ``init``, normalised: see :meth:`learn_model`."""
        self._learn_pending()
        return self._background

    @background.setter
    def background(self, value: np.ndarray) -> None:
        self._learn_pending()
        self._background = value

    def learn_model(self, region: Region, cx: float, cy: float, hw: float, hh: float, grow: float,
                    weighted: bool) -> float:
        """Learn :attr:`q` and :attr:`background` from ``region``; returns the window's mass (0: no usable pixel).

        ``q`` is the kernel histogram of the window of centre ``(cx, cy)`` and half-sizes ``(hw, hh)``,
        background-weighted (:func:`meanshift.model.background_weighted`) when ``weighted``; the background
        is the normalised histogram of the ring between the window and the box ``grow`` times as large.
        Nothing is learnt when the mass is 0.
        """
        self._pending = None
        m = self.space.n_bins
        q = np.empty(m, np.float64)
        mass = region.histogram(cx, cy, hw, hh, self.kernel.code, q)
        if mass <= 0:
            return mass
        background = np.empty(m, np.float64)
        total = region.ring_histogram(cx, cy, hw, hh, grow, background)
        self._background = background / total if total > 0 else background
        self._q = background_weighted(q, self._background) if weighted else q
        return mass

    def defer_model(self, cx: float, cy: float, hw: float, hh: float, grow: float, weighted: bool) -> None:
        """:meth:`learn_model` over the current region, when :attr:`q` or :attr:`background` is first read.

        An engine that learns its own model (the posterior one) may never read them: their kernels are
        then neither compiled nor run. The region's pixels are copied, so the frame may change meanwhile;
        the caller has made sure the window holds a usable pixel (:meth:`Region.has_inner_sample`).
        """
        self._pending = _PendingModel(self.region.detached(), cx, cy, hw, hh, grow, weighted)

    def _learn_pending(self) -> None:
        pending = self._pending
        if pending is not None:
            self.learn_model(pending.region, pending.cx, pending.cy, pending.hw, pending.hh, pending.grow,
                             pending.weighted)

    def quantize(self, frame: np.ndarray, cx: float, cy: float, hw: float, hh: float, *, force: bool = False) -> None:
        """Bins of the search region around the window: the only pixels this frame reads.

        ``force`` starts a new frame (and picks the sampling step for the window's size); otherwise
        the region is only redone when the box ``cx -/+ hw, cy -/+ hh`` has left it.
        """
        if not force and self.region.covers(math.ceil(cx - hw), math.ceil(cy - hh), math.floor(cx + hw),
                                            math.floor(cy + hh)):
            return
        if force:
            # The nearest step to max_samples samples (int() would leave up to four times as many).
            step = max(1, round(math.sqrt(self.w * self.h / self.max_samples))) if self.max_samples else 1
        else:
            step = self.region.step
        self.region = region_around(frame, self.space, self.region, cx, cy, hw, hh, step)
        for box in self.exclude:
            self.region.mask(*box)

    def converge(self, frame: np.ndarray, w: float, h: float, *,
                 similarity: Similarity | None = None) -> tuple[int, float]:
        """Mean-shift iterations from the current centre with window ``w x h``; ``(iterations, mass)``.

        Moves ``cx, cy`` and leaves the candidate histogram in ``hist``. The weights are the state's
        measure's, or ``similarity``'s when given. Built-in measures iterate inside one Numba call
        (``_kernels.converge``); user-defined ones iterate here, calling their NumPy weight function
        once per iteration.
        """
        measure = self.similarity if similarity is None else similarity
        kernel, q, hist = self.kernel.code, self.q, self.hist
        hw, hh = w / 2, h / 2
        cx, cy = self.cx, self.cy
        height, width = frame.shape[:2]
        eps2, max_iterations = self.convergence.epsilon ** 2, self.convergence.max_iterations
        code = measure.numba_code
        self.quantize(frame, cx, cy, hw, hh)
        iterations = 0
        if code is not None:
            delta = float(getattr(measure, "delta", 0.0))
            while True:
                r = self.region
                cx, cy, steps, mass, shift2, left = _kernels.converge(
                    *r.grid[:5], r.x1, r.y1, r.step, cx, cy, hw, hh, kernel, code, q, self.background, delta, eps2,
                    max_iterations - iterations, width, height, hist, self.weights, self.work)
                iterations += steps
                if not left:
                    break
                self.quantize(frame, cx, cy, hw, hh)  # the window moved out of the quantised region
                mass = self.region.histogram(cx, cy, hw, hh, kernel, hist)
                if shift2 < eps2 or iterations >= max_iterations:
                    break
            self.cx, self.cy = cx, cy
            return iterations, mass
        mass = self.region.histogram(cx, cy, hw, hh, kernel, hist)
        while mass > 0 and iterations < max_iterations:
            measure.weights(hist, q, background=self.background, out=self.weights)
            m0, mx, my = self.region.shift(cx, cy, hw, hh, kernel, self.weights)
            iterations += 1
            if m0 <= 0:
                mass = 0.0
                break
            nx, ny = min(max(mx / m0, 0.0), width - 1.0), min(max(my / m0, 0.0), height - 1.0)
            shift2 = (nx - cx) ** 2 + (ny - cy) ** 2
            cx, cy = nx, ny
            self.quantize(frame, cx, cy, hw, hh)
            mass = self.region.histogram(cx, cy, hw, hh, kernel, hist)
            if shift2 < eps2:
                break
        self.cx, self.cy = cx, cy
        return iterations, mass

    def clamp_size(self, w: float, h: float) -> tuple[float, float]:
        """``(w, h)`` within the size bounds (``guard.min_size``, ``guard.max_fraction`` of the frame)."""
        height, width = self.frame_shape[:2]
        guard = self.guard
        lo = guard.min_size
        return (min(max(w, lo), max(guard.max_fraction * width, lo)),
                min(max(h, lo), max(guard.max_fraction * height, lo)))
