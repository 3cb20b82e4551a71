"""Scale rules: how the window's size follows the target. One part of the engine, replaceable.

A rule is asked two things each frame (see :class:`ScaleRule`): ``search`` runs mean shift from the
current centre with the window sizes it wants to compare and leaves the tracker on the one it keeps;
``resize`` (only on frames whose box is trusted) sizes the window from what the search found. The
tracker restores the size itself when the target is lost, so a rule never grows or shrinks a window
on a lost target.

========== ==========================================================================================
name       rule
========== ==========================================================================================
fixed      the size never changes
moments    area from the zeroth moment of the weights, shape (and orientation) from the second
           moments: generalized CAMSHIFT (:class:`MomentsScale`)
bandwidth  Comaniciu/Meer: converge with h and h(1 -/+ step), keep the most similar, smooth h
contrast   of the same sizes, the one whose similarity most exceeds its surrounding ring's
========== ==========================================================================================

Examples
--------
>>> import meanshift
>>> meanshift.scale_rules()[:5]  # the built-ins, then any you register
['fixed', 'moments', 'bandwidth', 'contrast', 'posterior']
>>> rule = meanshift.get_scale_rule("contrast", step=0.05)
>>> tracker = meanshift.Tracker(features="bgr", scale=rule)
>>> tracker.scale_rule.step
0.05
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from meanshift import _kernels
from meanshift._registry import PartRegistry
from meanshift.geometry import orientation_from_moments, rotated_bounding_size
from meanshift.posterior_scale import PosteriorScale
from meanshift.scale_rule import ScaleRule, _check_range

if TYPE_CHECKING:
    from meanshift.state import TargetState

__all__ = ["ScaleRule", "FixedScale", "MomentsScale", "BandwidthScale", "ContrastScale", "PosteriorScale",
           "scale_rules",
           "get_scale_rule", "register_scale_rule", "AREA_ESTIMATES"]

#: How :class:`MomentsScale` finds the weight of one target pixel (see :meth:`MomentsScale.target_pixel_weight`).
AREA_ESTIMATES = ("model", "core")

# Largest aspect ratio the moments may give the window; beyond it the estimate is background noise.
_MAX_ASPECT = 8.0


@dataclass
class FixedScale(ScaleRule):
    """The window keeps its initial size (mean shift moves it, nothing resizes it)."""

    name: ClassVar[str] = "fixed"


@dataclass
class MomentsScale(ScaleRule):
    """Generalized CAMSHIFT: area from the zeroth moment, shape from the second moments.

    The area is ``A = M00 / (weight of one target pixel) / box_fill`` over the window grown by
    ``margin`` (DESIGN.md); the sides follow the second moments' aspect ratio (or orientation with
    ``rotation``), each change smoothed in log space and bounded per frame by ``guard``.

    Attributes
    ----------
    rotation : bool
        Let the box rotate with the second moments' major axis (``TrackResult.rotated`` then holds
        the oriented box, as ``cv2.CamShift`` returns it).
    area_estimate : {"model", "core"}
        The weight of one target pixel: ``sum_u q_u w_u`` from the model, or the mean weight over the
        window's central half on this frame (robust to appearance change).
    box_fill : float
        The fraction of its box the target is taken to fill (1 for rectangles, pi/4 for ellipses).
    adapt_aspect : bool
        Without rotation: take the aspect ratio from the second moments (else keep the initial one).
    """

    name: ClassVar[str] = "moments"
    rotation: bool = False
    area_estimate: str = "model"
    box_fill: float = 1.0
    adapt_aspect: bool = True

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_range("box_fill", self.box_fill, 0.25, 1.0)
        if self.area_estimate not in AREA_ESTIMATES:
            raise ValueError(f"area_estimate must be one of {', '.join(AREA_ESTIMATES)}, got {self.area_estimate!r}")

    def resize(self, state: TargetState, frame: np.ndarray) -> None:
        # the weights where the iteration converged size the window
        state.similarity.weights(state.hist, state.q, background=state.background, out=state.weights)
        grow = 1.0 + self.margin
        hw, hh = state.w / 2 * grow, state.h / 2 * grow
        state.quantize(frame, state.cx, state.cy, hw, hh)
        expected_weight = self.target_pixel_weight(state)
        if expected_weight <= 0:
            return
        moments = state.moments
        state.region.moments(state.cx - hw, state.cy - hh, state.cx + hw, state.cy + hh, state.weights,
                               moments)
        m00, m10, m01, m20, m11, m02 = moments
        if m00 <= 0:
            return
        # Each grid sample stands for step^2 pixels.
        area = m00 * state.region.step**2 / expected_weight / self.box_fill
        if not area > 0:
            return
        mx, my = m10 / m00, m01 / m00
        mu20, mu11, mu02 = m20 / m00 - mx * mx, m11 / m00 - mx * my, m02 / m00 - my * my
        if self.rotation:
            lam1, lam2, angle = orientation_from_moments(mu20, mu11, mu02)
            aspect = math.sqrt(lam1 / lam2) if lam2 > 0 else _MAX_ASPECT
            aspect = min(aspect, _MAX_ASPECT)
            length, breadth = self.guarded(state.length, state.breadth, math.sqrt(area * aspect),
                                           math.sqrt(area / aspect))
            state.length, state.breadth, state.angle = length, breadth, angle
            w, h = rotated_bounding_size(length, breadth, angle)
        else:
            if self.adapt_aspect and mu02 > 0 and mu20 > 0:
                aspect = math.sqrt(mu20 / mu02)
            else:
                aspect = state.w / state.h
            aspect = min(max(aspect, 1 / _MAX_ASPECT), _MAX_ASPECT)
            w, h = self.guarded(state.w, state.h, math.sqrt(area * aspect), math.sqrt(area / aspect))
            state.length, state.breadth = w, h
        state.w, state.h = state.clamp_size(w, h)

    def rotated_size(self, state: TargetState) -> tuple[float, float]:
        return (state.length, state.breadth) if self.rotation else (state.w, state.h)

    def target_pixel_weight(self, state: TargetState) -> float:
        """The weight a pixel of the target is expected to carry (the denominator of the area).

        ``"model"``: ``sum_u q_u w_u``, exact when the target looks like its model (DESIGN.md).
        ``"core"``: the mean weight over the window's central half, measured on this frame, which
        stays right when the target's appearance drifts from the model (then ``sum q w`` is too
        large by about the Bhattacharyya coefficient between them, and the window shrinks every frame).
        """
        if self.area_estimate == "model":
            return float(np.dot(state.q, state.weights))
        return mean_weight(state, state.w / 4, state.h / 4)

    def guarded(self, old_a: float, old_b: float, new_a: float, new_b: float) -> tuple[float, float]:
        """Smooth each side's change in log space, then bound it per frame."""
        guard = self.guard
        out = []
        for old, new in ((old_a, new_a), (old_b, new_b)):
            if not (new > 0 and math.isfinite(new)):
                out.append(old)
                continue
            ratio = (new / old) ** guard.smoothing
            if guard.max_step is not None:
                ratio = min(max(ratio, 1.0 / (1.0 + guard.max_step)), 1.0 + guard.max_step)
            out.append(old * ratio)
        return out[0], out[1]


@dataclass
class BandwidthScale(ScaleRule):
    """Comaniciu, Ramesh & Meer (2003): converge with h and h(1 -/+ step), keep the most similar, smooth h.

    Keeping the most similar window, as the paper does, tends to shrink it: smaller windows hold less
    background. :class:`ContrastScale` corrects for that.

    Attributes
    ----------
    step : float
        Sizes tried are ``h * (1 -/+ step)`` (the paper: 0.1).
    smoothing : float
        ``h_new = smoothing * h_best + (1 - smoothing) * h`` (the paper: 0.1).
    """

    name: ClassVar[str] = "bandwidth"
    step: float = 0.1
    smoothing: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_range("step", self.step, 0.0, 0.5)
        _check_range("smoothing", self.smoothing, 0.0, 1.0)

    def search(self, state: TargetState, frame: np.ndarray) -> tuple[int, float]:
        start = (state.cx, state.cy)
        best: tuple | None = None
        total_iterations = 0
        for factor in (1.0, 1.0 - self.step, 1.0 + self.step):
            w, h = state.clamp_size(state.w * factor, state.h * factor)
            state.cx, state.cy = start
            iterations, mass = state.converge(frame, w, h)
            total_iterations += iterations
            rho = (state.similarity.value(state.hist, state.q, background=state.background)
                   if mass > 0 else -np.inf)
            if best is None or rho > best[0]:
                best = (rho, state.cx, state.cy, w, h, mass, state.hist.copy())
        assert best is not None  # three sizes were tried
        _, state.cx, state.cy, w, h, mass, state.hist[:] = best
        self.smooth_size(state, w, h, self.smoothing)
        return total_iterations, mass


@dataclass
class ContrastScale(BandwidthScale):
    """Of h and h(1 -/+ step), keep the window whose similarity most exceeds its surrounding ring's.

    Converges with h only; the other sizes are judged where h converged, not searched afresh (a third
    of the work: the contrast with the ring, not a new position, decides the size). Too large a window
    takes in background, too small a one leaves target in the ring (between 1 and ``ring`` times the
    window). All three windows and rings come from one pass over the pixels.

    Attributes
    ----------
    ring : float
        Outer size of the ring, relative to the window.
    scale_check : bool
        Accept a size change only when the zeroth moment of the weights agrees (the area it gives is
        larger than the window's for a growth, smaller for a shrink).
    """

    name: ClassVar[str] = "contrast"
    ring: float = 1.5
    scale_check: bool = False

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        m = state.space.n_bins
        self._half_sizes = np.empty((3, 2), np.float64)
        self._scores = np.empty(3, np.float64)
        # Zeros, as window_and_ring_histograms requires (it clears only the bins it listed last time).
        self._hists, self._rings = np.zeros((3, m)), np.zeros((3, m))
        self._masses, self._totals = np.empty(3), np.empty(3)
        self._book = _kernels.contrast_workspace(3, m)

    def search(self, state: TargetState, frame: np.ndarray) -> tuple[int, float]:
        sizes = [state.clamp_size(state.w * f, state.h * f) for f in (1.0, 1.0 - self.step, 1.0 + self.step)]
        iterations, _ = state.converge(frame, *sizes[0])
        half = self._half_sizes
        half[:] = [(w / 2, h / 2) for w, h in sizes]
        grow = self.ring
        state.quantize(frame, state.cx, state.cy, max(w for w, _ in sizes) / 2 * grow,
                         max(h for _, h in sizes) / 2 * grow)
        hists, rings, masses, totals = self._hists, self._rings, self._masses, self._totals
        _kernels.window_and_ring_histograms(*state.region.grid, state.cx, state.cy, half, grow,
                                            state.kernel.code, hists, rings, masses, totals, self._book)
        scores = self._scores
        similarity, q, background = state.similarity, state.q, state.background
        if similarity.numba_code is not None:
            _kernels.contrast_scores(similarity.numba_code, hists, masses, rings, totals, q, background,
                                     float(getattr(similarity, "delta", 0.0)), scores, self._book)
        else:
            for i in range(len(sizes)):
                scores[i] = -np.inf
                if masses[i] > 0:
                    scores[i] = similarity.value(hists[i], q, background=background)
                    if totals[i] > 0:
                        scores[i] -= similarity.value(rings[i] / totals[i], q, background=background)
        # The first best wins ties, so an unchanged size is kept unless another is strictly better.
        values = scores.tolist()
        best = values.index(max(values))
        if best != 0 and self.scale_check and not self.zeroth_moment_agrees(state, frame, sizes[0], sizes[best]):
            best = 0
        state.hist[:] = hists[best]
        w, h = sizes[best]
        self.smooth_size(state, w, h, self.smoothing)
        return iterations, float(masses[best])

    def zeroth_moment_agrees(self, state: TargetState, frame: np.ndarray, current: tuple[float, float],
                             proposed: tuple[float, float]) -> bool:
        """Whether the zeroth-moment area estimate also says grow (or shrink) as ``proposed`` does.

        The second, independent opinion on a size change: the area ``M00 / w_core`` over the window
        with ``margin`` around it, ``w_core`` the mean weight of the window's central half.
        """
        state.similarity.weights(self._hists[0], state.q, background=state.background, out=state.weights)
        grow = 1.0 + self.margin
        hw, hh = current[0] / 2 * grow, current[1] / 2 * grow
        state.quantize(frame, state.cx, state.cy, hw, hh)
        core = mean_weight(state, current[0] / 4, current[1] / 4)
        if core <= 0:
            return False
        cx, cy = state.cx, state.cy
        state.region.moments(cx - hw, cy - hh, cx + hw, cy + hh, state.weights, state.moments)
        area = state.moments[0] * state.region.step ** 2 / core
        return (area > current[0] * current[1]) == (proposed[0] > current[0])


def mean_weight(state: TargetState, hw: float, hh: float) -> float:
    """Mean weight per pixel (masked ones count as 0) of the box of half-sizes ``(hw, hh)`` at the centre."""
    count = state.region.moments(state.cx - hw, state.cy - hh, state.cx + hw, state.cy + hh,
                                   state.weights, state.moments)
    return float(state.moments[0]) / count if count > 0 else 0.0


_REGISTRY: PartRegistry[ScaleRule] = PartRegistry("scale", "scale rule", ScaleRule)


def register_scale_rule(rule: type[ScaleRule], *, replace: bool = False) -> type[ScaleRule]:
    """Make a :class:`ScaleRule` subclass available by its ``name`` to ``Tracker(scale=...)``.

    Returns the class, so it can be used as a decorator.
    """
    return _REGISTRY.register(rule, replace=replace)


def scale_rules() -> list[str]:
    """Names of the registered scale rules (built-ins first)."""
    return _REGISTRY.names()


def get_scale_rule(rule: str | ScaleRule, **params: Any) -> ScaleRule:
    """A scale rule by name with its parameters, or a :class:`ScaleRule` instance passed through.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the registered ones) or a parameter the rule lacks.
    """
    return _REGISTRY.get(rule, **params)


for _rule in (FixedScale, MomentsScale, BandwidthScale, ContrastScale, PosteriorScale):
    register_scale_rule(_rule)
