"""The base of the scale rules (:class:`ScaleRule`): what a rule is asked each frame.

Its own module so that the rules defined elsewhere (:mod:`meanshift.posterior_scale`) and the registry of
the built-ins (:mod:`meanshift.scale`) both build on it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from meanshift import _kernels
from meanshift.config import ScaleGuard

if TYPE_CHECKING:
    from meanshift.state import TargetState

__all__ = ["ScaleRule"]


@dataclass
class ScaleRule:
    """Base of the scale rules; on its own the size never changes (as :class:`FixedScale`).

    Subclass it and override :meth:`search` and/or :meth:`resize`; register the class with
    :func:`register_scale_rule` to make it available by name. A rule reads and writes the tracker's
    window (``state.cx, cy, w, h``) and uses its steps (``state.converge``, ``state.quantize``,
    ``state.clamp_size``); per-target state it keeps is set up in :meth:`reset`, called by
    :meth:`~meanshift.Tracker.init` (each tracker works on its own copy of the rule).

    Attributes
    ----------
    margin : float
        Each frame's search region, and the moments that size the window, extend this fraction of the
        window's half-size beyond it on every side, so that a window smaller than its target can grow.
    guard : ScaleGuard
        Bounds of the window's size (``min_size``, ``max_fraction``), and for ``moments`` the
        smoothing and per-frame bound of its changes.
    """

    name: ClassVar[str] = "base"
    margin: float = 0.25
    guard: ScaleGuard = field(default_factory=ScaleGuard)

    def __post_init__(self) -> None:
        _check_range("margin", self.margin, 0.0, 4.0)

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        """Set up per-target state at ``init`` (the model's bin count is ``state.space.n_bins``)."""

    def search(self, state: TargetState, frame: np.ndarray) -> tuple[int, float]:
        """Mean shift from the current centre; returns ``(iterations, mass)`` and leaves the window found."""
        return state.converge(frame, state.w, state.h)

    def reads_region(self, state: TargetState) -> bool:
        """Whether this frame's :meth:`search` reads the tracker's region (``state.converge``, ``quantize``).

        The engine starts each frame's region before the search only when a part reads it; a rule that
        samples the frame itself says False.
        """
        return True

    def match(self, state: TargetState) -> float:
        """How well the window found matches the target, in [0, 1] (the recovery part judges it).

        The Bhattacharyya coefficient of the candidate histogram with the model.
        """
        return float(_kernels.bhattacharyya_coefficient(state.hist, state.q))

    def score(self, state: TargetState) -> float | None:
        """``TrackResult.score`` of this frame, or None for the tracker's own: the similarity of the
        candidate histogram with the model under the tracker's measure."""
        return None

    def recovery_for(self, enabled: bool) -> str | Any:
        """The recovery part ``Tracker(recovery=True / False)`` means with this rule (a name or an object)."""
        return "reacquire" if enabled else "threshold"

    def resize(self, state: TargetState, frame: np.ndarray) -> None:
        """Size the window from this frame's evidence; called only when the box is trusted."""

    def rotated_size(self, state: TargetState) -> tuple[float, float]:
        """Sides of the oriented box that :class:`~meanshift.TrackResult` reports."""
        return state.w, state.h

    def smooth_size(self, state: TargetState, w: float, h: float, smoothing: float) -> None:
        """``h_new = smoothing * h_best + (1 - smoothing) * h``, within the size bounds."""
        g = smoothing
        state.w, state.h = state.clamp_size(g * w + (1 - g) * state.w, g * h + (1 - g) * state.h)
        state.length, state.breadth = state.w, state.h


def _check_range(name: str, value: Any, lo: float, hi: float) -> None:
    if not lo <= float(value) <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value!r}")
