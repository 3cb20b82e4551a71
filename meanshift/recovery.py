"""Loss detection and re-acquisition: whether a box is trusted, and what to do when it is not.

One part of the engine, replaceable. After each frame's search the tracker hands the part the match
it found (``confidence``: the Bhattacharyya coefficient of the candidate with the model; ``mass``:
the kernel mass of target-like pixels) and the part decides ``ok``; when lost, it may search the frame.

=========== ===========================================================================================
name        rule
=========== ===========================================================================================
threshold   trusted while the window holds target-like pixels and ``confidence >= min_confidence``
watch       reports a loss without acting on it: the tracker carries on as ``threshold`` would, but ``ok``
            is False while ``confidence`` is below ``loss_ratio`` times its recent level (the
            ``camshift`` preset, whose boxes stay OpenCV's)
reacquire   also lost when ``confidence`` falls below ``loss_ratio`` times its recent level; while lost
            the size is frozen and the whole frame is searched (peaks of the model's ratio
            back-projection, each refined by mean shift) every frame at first, then every fifth; a
            candidate is locked on only at ``reacquire_ratio`` times the level, which decays while lost
=========== ===========================================================================================

Examples
--------
>>> import meanshift
>>> meanshift.recoveries()[:4]  # the built-ins, then any you register
['threshold', 'reacquire', 'watch', 'posterior']
>>> meanshift.Tracker(recovery=meanshift.get_recovery("reacquire", loss_ratio=0.5)).recovery.loss_ratio
0.5
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from meanshift import _kernels
from meanshift._registry import PartRegistry
from meanshift.features import quantize_into
from meanshift.state import LossPolicy

if TYPE_CHECKING:
    from meanshift.state import TargetState

__all__ = ["LossDetector", "Reacquisition", "LossWatch", "PosteriorLoss", "recoveries", "get_recovery",
           "register_recovery", "window_sums", "window_peaks"]


@dataclass
class LossDetector:
    """Trusted while the window holds target-like pixels and the match reaches ``min_confidence`` (``threshold``).

    Base of the recovery parts: subclass it, override :meth:`assess` (and :meth:`trusts` to gate the
    model update), register it with :func:`register_recovery`.

    Attributes
    ----------
    min_confidence : float
        Below this Bhattacharyya coefficient the box is reported lost (``ok=False``).
    """

    name: ClassVar[str] = "threshold"
    #: Whether :meth:`assess` reads the tracker's region (see :meth:`ScaleRule.reads_region`).
    reads_region: ClassVar[bool] = True
    min_confidence: float = 0.1

    def __post_init__(self) -> None:
        _check_range("min_confidence", self.min_confidence, 0.0, 1.0)

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        """Set up per-target state at ``init``."""

    def assess(self, state: TargetState, frame: np.ndarray, confidence: float, mass: float,
               size_before: tuple[float, float, float, float]) -> tuple[bool, float, float, int]:
        """``(ok, confidence, mass, extra_iterations)`` for this frame; may move the window (a search).

        ``size_before`` is ``(w, h, length, breadth)`` before this frame's scale rule ran.
        """
        return mass > 0 and confidence >= self.min_confidence, confidence, mass, 0

    def trusts(self, confidence: float) -> bool:
        """Whether a trusted frame with this match may update the model."""
        return True

    def loss_policy(self) -> LossPolicy:
        """What this part asks of a search that judges the match itself (the tracker states it on the
        :class:`~meanshift.state.TargetState` at ``init``): the default ratios, no search when lost."""
        return LossPolicy()

    def confirm(self, confidence: float) -> None:
        """The frame was trusted with this match."""

    def report(self, ok: bool) -> bool:
        """What ``TrackResult.ok`` says for this frame, given the ``ok`` of :meth:`assess` the tracker acted on.

        The same by default; a part may report a loss it does not act on (:class:`LossWatch`).
        """
        return ok


@dataclass
class Reacquisition(LossDetector):
    """Loss relative to the recent level of the match, and a global search to find the target again.

    Attributes
    ----------
    loss_ratio : float
        Lost when the confidence falls below this times its recent level (an average of trusted frames).
    reacquire_ratio : float
        A candidate of the global search is locked on only at this times the level.
    level_decay : float
        Per lost frame the level to return to is multiplied by this, so a lasting change of look is
        eventually accepted.
    candidates : int
        Back-projection peaks the global search refines and checks.
    max_samples : int
        The global search reads the frame on a grid of about this many pixels.
    """

    name: ClassVar[str] = "reacquire"
    loss_ratio: float = 0.4
    reacquire_ratio: float = 0.8
    level_decay: float = 0.95
    candidates: int = 5
    max_samples: int = 30000

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_range("loss_ratio", self.loss_ratio, 0.0, 1.0)
        _check_range("reacquire_ratio", self.reacquire_ratio, 0.0, 1.0)
        _check_range("level_decay", self.level_decay, 0.0, 1.0)

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        self.level: float | None = None  # recent confidence of trusted frames
        self.lost_frames = 0

    def assess(self, state: TargetState, frame: np.ndarray, confidence: float, mass: float,
               size_before: tuple[float, float, float, float]) -> tuple[bool, float, float, int]:
        ok = mass > 0 and confidence >= self.min_confidence
        level = self.level
        if level is None:
            return ok, confidence, mass, 0
        ok = ok and confidence >= self.loss_ratio * level
        iterations = 0
        if not ok:
            state.w, state.h, state.length, state.breadth = size_before
            self.lost_frames += 1
            # The global search costs a few window searches: every frame at first, then every
            # fifth, so that a target gone for good does not slow the tracker down.
            if self.lost_frames <= 3 or self.lost_frames % 5 == 0:
                lost_at = (state.cx, state.cy)
                found = self.search_frame(state, frame, self.reacquire_ratio * level)
                if found is not None:
                    iterations, confidence, mass = found
                    ok = True
                else:
                    state.cx, state.cy = lost_at
            if not ok:
                # A slow change of look is not a loss for ever: the level to return to decays.
                self.level = level * self.level_decay
        return ok, confidence, mass, iterations

    def trusts(self, confidence: float) -> bool:
        return self.level is None or confidence >= self.level

    def loss_policy(self) -> LossPolicy:
        return LossPolicy(self.loss_ratio, self.reacquire_ratio, search=True, level_decay=self.level_decay)

    def confirm(self, confidence: float) -> None:
        self.lost_frames = 0
        self.level = confidence if self.level is None else 0.9 * self.level + 0.1 * confidence

    def search_frame(self, state: TargetState, frame: np.ndarray, threshold: float) -> tuple[int, float, float] | None:
        """Global search for a lost target: ``(iterations, confidence, mass)`` of the locked-on window, or None.

        Candidates are the peaks of the target's ratio back-projection (model over the frame's own
        histogram, Swain & Ballard) summed over a window-sized box (:func:`window_peaks`), on a grid of
        at most ~``max_samples`` samples of the whole frame; each is refined by mean shift at the frozen
        size and kept only if its confidence reaches ``threshold``.
        """
        height, width = frame.shape[:2]
        m = state.space.n_bins
        step = max(1, math.ceil(math.sqrt(height * width / self.max_samples)))
        bins = np.empty((-(-height // step), -(-width // step)), np.int32)
        quantize_into(frame, state.space, 0, 0, bins, step=step)
        for x, y, w, h in state.exclude:
            bins[max(0, math.ceil(y / step)):max(0, math.floor((y + h - 1) / step) + 1),
                 max(0, math.ceil(x / step)):max(0, math.floor((x + w - 1) / step) + 1)] = -1
        valid = bins >= 0
        frame_hist = np.bincount(bins[valid], minlength=m).astype(np.float64)
        ratio = np.divide(state.q, frame_hist / max(frame_hist.sum(), 1.0), out=np.zeros(m), where=frame_hist > 0)
        weight_map = np.where(valid, ratio[np.where(valid, bins, 0)], 0.0)
        size = (max(1, round(state.h / step)), max(1, round(state.w / step)))
        best = None
        for row, col in window_peaks(weight_map, size, self.candidates):
            state.cx, state.cy = float(col * step), float(row * step)
            state.quantize(frame, state.cx, state.cy, state.w / 2, state.h / 2, force=True)
            iterations, mass = state.converge(frame, state.w, state.h)
            confidence = float(_kernels.bhattacharyya_coefficient(state.hist, state.q))
            if mass > 0 and confidence >= threshold and (best is None or confidence > best[1]):
                best = (iterations, confidence, mass, state.cx, state.cy, state.hist.copy())
        if best is None:
            return None
        iterations, confidence, mass, state.cx, state.cy, state.hist[:] = best
        state.quantize(frame, state.cx, state.cy, state.w / 2, state.h / 2, force=True)
        return iterations, confidence, mass


@dataclass
class LossWatch(LossDetector):
    """Reports a loss without acting on it (``watch``): ``ok`` says whether the box is trusted, nothing else changes.

    The tracker acts on the ``threshold`` rule (``min_confidence``; 0 keeps ``cv2.CamShift``'s behaviour of
    following whatever the window holds), so its boxes are those of a tracker without this part; the
    reported ``ok`` is also False while the match is below ``loss_ratio`` times its recent level (an
    average over the frames reported trusted, decaying by ``level_decay`` per frame reported lost, so a
    lasting change of look is eventually accepted).

    Attributes
    ----------
    loss_ratio : float
        Reported lost when the confidence falls below this times its recent level.
    level_decay : float
        Per frame reported lost, the level to return to is multiplied by this.
    """

    name: ClassVar[str] = "watch"
    min_confidence: float = 0.0
    loss_ratio: float = 0.6
    level_decay: float = 0.99

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_range("loss_ratio", self.loss_ratio, 0.0, 1.0)
        _check_range("level_decay", self.level_decay, 0.0, 1.0)

    def reset(self, state: TargetState, frame: np.ndarray | None = None) -> None:
        self.level: float | None = None  # recent confidence of the frames reported trusted
        self.trusted = True

    def assess(self, state: TargetState, frame: np.ndarray, confidence: float, mass: float,
               size_before: tuple[float, float, float, float]) -> tuple[bool, float, float, int]:
        ok = mass > 0 and confidence >= self.min_confidence
        level = self.level
        self.trusted = ok and (level is None or confidence >= self.loss_ratio * level)
        if self.trusted:
            self.level = confidence if level is None else 0.9 * level + 0.1 * confidence
        elif level is not None:
            self.level = level * self.level_decay
        return ok, confidence, mass, 0

    def report(self, ok: bool) -> bool:
        return ok and self.trusted

    def loss_policy(self) -> LossPolicy:
        return LossPolicy(loss_ratio=self.loss_ratio)


@dataclass
class PosteriorLoss(LossDetector):
    """The verdict of a search that judges the match itself (``recovery="posterior"``, with ``scale="posterior"``).

    The posterior engine's search decides ``ok`` as it goes (it holds the window and widens the search
    while lost): lost when the match with the object model falls below ``loss_ratio`` times its recent
    level, or the box's mean weight below ``loss_ratio`` times the one at init; found again at
    ``reacquire_ratio`` times the level. This part states those ratios (:meth:`loss_policy`) and reports
    the verdict the search left on the state. With ``search``, a lost target is looked for in a search
    region and under a motion prior that widen each lost frame, the window holding its last trusted
    position (``hold_when_lost``) while the level to return to decays by ``level_decay`` a frame.
    """

    name: ClassVar[str] = "posterior"
    reads_region: ClassVar[bool] = False
    loss_ratio: float = 0.4
    reacquire_ratio: float = 0.8
    search: bool = True
    hold_when_lost: bool = True
    level_decay: float = 0.95

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_range("loss_ratio", self.loss_ratio, 0.0, 1.0)
        _check_range("reacquire_ratio", self.reacquire_ratio, 0.0, 1.0)
        _check_range("level_decay", self.level_decay, 0.0, 1.0)

    def loss_policy(self) -> LossPolicy:
        return LossPolicy(self.loss_ratio, self.reacquire_ratio, self.search, self.hold_when_lost, self.level_decay)

    def assess(self, state: TargetState, frame: np.ndarray, confidence: float, mass: float,
               size_before: tuple[float, float, float, float]) -> tuple[bool, float, float, int]:
        if state.search_ok is None:
            raise ValueError("recovery='posterior' reports the verdict of a search that gives one: use "
                             "scale='posterior'")
        return state.search_ok, confidence, mass, 0


def window_sums(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Sum of ``values`` over the ``size = (rows, cols)`` window around every element (zeros outside).

    The window of element ``(i, j)`` spans rows ``i - rows // 2`` to ``i - rows // 2 + rows - 1``
    (likewise for columns); computed from one integral image.
    """
    height, width = values.shape
    integral = np.zeros((height + 1, width + 1))
    np.cumsum(np.cumsum(values, axis=0), axis=1, out=integral[1:, 1:])
    rows, cols = size
    top = np.arange(height) - rows // 2
    left = np.arange(width) - cols // 2
    r0, r1 = np.clip(top, 0, height), np.clip(top + rows, 0, height)
    c0, c1 = np.clip(left, 0, width), np.clip(left + cols, 0, width)
    return (integral[r1][:, c1] - integral[r0][:, c1]) - (integral[r1][:, c0] - integral[r0][:, c0])


def window_peaks(values: np.ndarray, size: tuple[int, int], count: int) -> list[tuple[int, int]]:
    """Up to ``count`` ``(row, col)`` of the largest positive window sums, each at least a window from the others.

    Greedy: take the best, suppress the window-sized neighbourhood around it, repeat.
    """
    scores = window_sums(values, size)
    rows, cols = size
    peaks = []
    for _ in range(count):
        index = int(np.argmax(scores))
        row, col = divmod(index, scores.shape[1])
        if not scores[row, col] > 0:
            break
        peaks.append((row, col))
        scores[max(0, row - rows + 1):row + rows, max(0, col - cols + 1):col + cols] = 0.0
    return peaks


def _check_range(name: str, value: Any, lo: float, hi: float) -> None:
    if not lo <= float(value) <= hi:
        raise ValueError(f"{name} must be in [{lo}, {hi}], got {value!r}")


_REGISTRY: PartRegistry[LossDetector] = PartRegistry("recovery", "recovery", LossDetector)


def register_recovery(part: type[LossDetector], *, replace: bool = False) -> type[LossDetector]:
    """Make a :class:`LossDetector` subclass available by its ``name`` to ``Tracker(recovery=...)``."""
    return _REGISTRY.register(part, replace=replace)


def recoveries() -> list[str]:
    """Names of the registered loss-detection / re-acquisition parts (built-ins first)."""
    return _REGISTRY.names()


def get_recovery(part: str | bool | LossDetector, **params: Any) -> LossDetector:
    """A recovery part by name with its parameters (``True`` = ``"reacquire"``, ``False`` = ``"threshold"``)."""
    if isinstance(part, bool):
        part = "reacquire" if part else "threshold"
    return _REGISTRY.get(part, f"True, False, one of {', '.join(_REGISTRY.names())}", **params)


for _part in (LossDetector, Reacquisition, LossWatch, PosteriorLoss):
    register_recovery(_part)
