"""The tracker: generalized mean shift with pluggable features, similarity, kernel and scale rule.

One frame flows one way: frame -> region -> bins -> weights -> moments -> window -> result.

Examples
--------
>>> import meanshift
>>> from meanshift.synthetic import moving_target_sequence
>>> frames = list(moving_target_sequence(n_frames=10, frame_size=(120, 160), base_size=(30, 24)))
>>> tracker = meanshift.Tracker(features="bgr", similarity="bhattacharyya", kernel="epanechnikov")
>>> tracker.init(frames[0][0], frames[0][1])
>>> result = tracker.update(frames[1][0])
>>> result.ok, len(result.box)
(True, 4)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from meanshift import _kernels
from meanshift._inputs import tracking_box, tracking_frame
from meanshift.config import Convergence, ScaleGuard
from meanshift.features import FeatureSpace, get_features, pixel_source, quantize_into
from meanshift.geometry import (
    box_to_center,
    center_to_box,
    clip_box,
    orientation_from_moments,
    rotated_bounding_size,
)
from meanshift.kernels import Kernel, get_kernel
from meanshift.similarity import Similarity, get_similarity

__all__ = ["Tracker", "TrackResult", "SCALE_MODES", "AREA_ESTIMATES", "MOTION_MODELS"]

#: ``fixed``: size never changes; ``moments``: area from the zeroth moment, shape from the second
#: moments (generalized CAMSHIFT); ``bandwidth``: Comaniciu/Meer's most similar of h, h(1 -/+ step);
#: ``contrast``: of the same sizes, the one whose similarity most exceeds its surrounding ring's.
SCALE_MODES = ("fixed", "moments", "bandwidth", "contrast")

#: Where each frame's search starts: ``none``, the last position; ``constant-velocity``, the last
#: position plus the smoothed displacement of the trusted frames before it.
MOTION_MODELS = ("none", "constant-velocity")

#: How ``scale="moments"`` finds the weight of one target pixel (see ``Tracker._target_pixel_weight``).
AREA_ESTIMATES = ("model", "core")

# Largest aspect ratio the moments may give the window; beyond it the estimate is background noise.
_MAX_ASPECT = 8.0
# When more of the initial box than this fails the HSV mask, the mask is dropped (with a warning).
_MAX_MASKED_FRACTION = 0.95
# Colour spaces features="auto" chooses from.
_FEATURE_CANDIDATES = (("bgr", 16), ("hue-sat", (16, 16)), ("hue", 16))
# Back-projection peaks a global search refines and checks.
_REACQUIRE_CANDIDATES = 5
# Per lost frame, the confidence level a target must return to shrinks by this factor.
_LEVEL_DECAY = 0.95


@dataclass(frozen=True)
class TrackResult:
    """What :meth:`Tracker.update` returns for one frame.

    Attributes
    ----------
    ok : bool
        False when the target is believed lost (no target-like pixels in the window, or the
        candidate histogram's Bhattacharyya coefficient with the target fell below ``min_confidence``,
        or, with ``recovery``, below ``loss_ratio`` times its recent level and no re-acquisition
        succeeded): the box is then not to be trusted.
    box : (x, y, w, h)
        Axis-aligned box in pixels (floats), clipped to the frame; centre at ``x + (w - 1) / 2``
        (unless clipped: the unclipped centre is ``rotated[0]``).
    rotated : ((cx, cy), (w, h), angle_deg)
        The oriented box, as ``cv2.RotatedRect`` (works with ``cv2.boxPoints``).
    score : float
        Value of the tracker's similarity measure at convergence.
    iterations : int
        Mean-shift iterations this frame (summed over the candidate sizes in ``bandwidth`` mode).
    confidence : float
        Bhattacharyya coefficient between candidate and target histograms, in [0, 1].
    """

    ok: bool
    box: tuple[float, float, float, float]
    rotated: tuple[tuple[float, float], tuple[float, float], float]
    score: float
    iterations: int
    confidence: float = 0.0

    @property
    def center(self) -> tuple[float, float]:
        """Centre ``(cx, cy)`` of the box."""
        return self.rotated[0]


def _is_gray_bgr(frame: np.ndarray) -> bool:
    """Whether a BGR frame holds a grayscale picture (three equal channels), judged on a sparse grid."""
    sample = frame[::7, ::7]
    return bool(np.array_equal(sample[..., 0], sample[..., 1]) and np.array_equal(sample[..., 1], sample[..., 2]))


def _exclusion_boxes(boxes) -> tuple[tuple[float, float, float, float], ...]:
    """``update(exclude=...)`` as float boxes; ValueError naming the first bad one."""
    out = []
    for box in boxes:
        values = tuple(float(v) for v in box)
        if len(values) != 4 or not all(math.isfinite(v) for v in values) or values[2] <= 0 or values[3] <= 0:
            raise ValueError(f"exclude boxes must be finite (x, y, w, h) with w > 0 and h > 0, got {tuple(box)}")
        out.append(values)
    return tuple(out)


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


def _weighted_variance(values: np.ndarray, weights: np.ndarray) -> float:
    mean = float(np.dot(weights, values))
    return float(np.dot(weights, (values - mean) ** 2))


class _Region:
    """Bins of a grid of the current frame: pixels ``(x0 + i*step, y0 + j*step)`` in ``[x0, x1) x [y0, y1)``.

    The bins are filled lazily: ``spans[j] = (lo, hi)`` is the part of grid row ``j`` quantised so
    far, and the kernels quantise what a window needs the first time they read it, so a generous
    region costs only its allocation. The region's methods are the tracker's only way to the Numba
    kernels.
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
        return self.x0 <= x0 and self.y0 <= y0 and x1 < self.x1 and y1 < self.y1

    def histogram(self, cx: float, cy: float, hw: float, hh: float, kernel: int, out: np.ndarray) -> float:
        return _kernels.kernel_histogram(*self.grid, cx, cy, hw, hh, kernel, out)

    def shift(self, cx: float, cy: float, hw: float, hh: float, kernel: int,
              weights: np.ndarray) -> tuple[float, float, float]:
        return _kernels.mean_shift_step(*self.grid, cx, cy, hw, hh, kernel, weights)

    def moments(self, x0: float, y0: float, x1: float, y1: float, weights: np.ndarray, out: np.ndarray) -> int:
        return _kernels.box_moments(*self.grid, x0, y0, x1, y1, weights, out)

    def ring_histogram(self, cx: float, cy: float, hw: float, hh: float, grow: float, out: np.ndarray) -> float:
        """Counts of the ring between the box of half-sizes (hw, hh) and the box ``grow`` times as large."""
        _kernels.flat_histogram(*self.grid, cx - grow * hw, cy - grow * hh, cx + grow * hw, cy + grow * hh,
                             cx - hw, cy - hh, cx + hw, cy + hh, out)
        return float(out.sum())

    def masked_fraction(self, cx: float, cy: float, hw: float, hh: float) -> float:
        masked, total = _kernels.count_masked(*self.grid, cx - hw, cy - hh, cx + hw, cy + hh)
        return masked / total if total else 1.0


class Tracker:
    """Generalized mean-shift tracker.

    Parameters
    ----------
    features : str or FeatureSpace
        ``"hue"`` (with the HSV mask), ``"hue-sat"``, ``"bgr"`` or ``"gray"``; ``"auto"`` picks at
        :meth:`init` the one that best separates the target from its surroundings. Grayscale frames,
        single-channel or BGR with three equal channels, are tracked with ``"gray"`` whatever is
        asked (a warning says so).
    similarity : str or Similarity
        A name from :func:`meanshift.similarities` or your own :class:`~meanshift.similarity.Similarity`.
    kernel : str or Kernel
        ``"epanechnikov"``, ``"flat"``, ``"gaussian"`` or ``"biweight"``.
    scale : {"moments", "contrast", "bandwidth", "fixed"}
        How the window's size follows the target (see :data:`SCALE_MODES`).
    bins : int or tuple, optional
        Bins per channel of the feature space.
    rotation : bool
        With ``scale="moments"``: let the box rotate with the second moments' major axis.
    background_weighting : bool
        Corrected background-weighted histogram (Ning et al. 2012): at ``init``, down-weight target
        bins that are frequent in a ring around the box.
    convergence : Convergence
        Epsilon (pixels, sub-pixel allowed) and iteration cap.
    guard : ScaleGuard
        Bounds and smoothing of the size estimated from the moments.
    scale_margin : float
        The moments that size the window are taken over the window enlarged by this fraction of its
        half-size on every side, so that a window smaller than its target can grow.
    min_confidence : float
        Below this Bhattacharyya coefficient the result is reported lost (``ok=False``) and the size is
        frozen.
    bandwidth_step, bandwidth_smoothing : float
        ``scale="bandwidth"`` or ``"contrast"``: sizes tried are ``h * (1 -/+ step)``; the new size is
        ``smoothing * h_best + (1 - smoothing) * h`` (Comaniciu et al. 2003 use 0.1 and 0.1).
    model_update : float
        Rate of blending the converged candidate histogram into the target model when ``ok``
        (0 = never update).
    box_fill : float
        ``scale="moments"``: the fraction of its box the target is taken to fill; the box's area is
        the measured area divided by it (1 for rectangular targets, pi/4 for ellipses).
    adapt_aspect : bool
        ``scale="moments"`` without rotation: take the aspect ratio from the second moments
        (otherwise the initial box's aspect ratio is kept and only the scale changes).
    max_samples : int or None
        Windows larger than this many pixels are sampled on a grid of every ``step``-th pixel so that
        about this many remain: the cost per frame stays bounded however large the target. None
        reads every pixel.
    motion : {"none", "constant-velocity"}
        Where each frame's search starts (see :data:`MOTION_MODELS`); fast targets need the prediction.
    recovery : bool
        Occlusion handling: the target is declared lost when the confidence drops below
        ``loss_ratio`` times its recent level (or ``min_confidence``); while lost the model and size are
        frozen, the window follows the motion prediction, and every frame a global search (peaks of the
        target's ratio back-projection over the whole frame, each refined by mean shift) looks for it;
        a candidate is locked on only when its confidence reaches ``reacquire_ratio`` times the level.
        ``model_update`` then also waits for a confident match (at least the recent level).
    loss_ratio, reacquire_ratio : float
        See ``recovery``.
    scale_check : bool
        ``scale="contrast"``: accept a size change only when the zeroth moment of the weights agrees
        (the area it gives is larger than the window's for a growth, smaller for a shrink).
    area_estimate : {"model", "core"}
        ``scale="moments"``: the area is ``M00`` divided by the weight of one target pixel, taken
        from the model (``sum_u q_u w_u``, DESIGN.md) or measured over the window's central half on
        the current frame (robust to appearance change; see :data:`AREA_ESTIMATES`).

    Examples
    --------
    >>> import numpy as np, meanshift
    >>> frame = np.zeros((100, 100, 3), np.uint8); frame[40:60, 30:50] = (0, 0, 255)
    >>> t = meanshift.Tracker(features="hue"); t.init(frame, (28, 38, 24, 24))
    >>> moved = np.roll(frame, 5, axis=1)
    >>> round(t.update(moved).center[0])
    44
    """

    def __init__(
        self,
        features: str | FeatureSpace = "hue",
        similarity: str | Similarity = "bhattacharyya",
        kernel: str | Kernel = "epanechnikov",
        scale: str = "moments",
        *,
        bins: int | tuple[int, ...] | None = None,
        rotation: bool = False,
        background_weighting: bool = False,
        convergence: Convergence | None = None,
        guard: ScaleGuard | None = None,
        scale_margin: float = 0.25,
        min_confidence: float = 0.1,
        bandwidth_step: float = 0.1,
        bandwidth_smoothing: float = 0.1,
        model_update: float = 0.0,
        box_fill: float = 1.0,
        area_estimate: str = "model",
        adapt_aspect: bool = True,
        max_samples: int | None = 4096,
        motion: str = "none",
        recovery: bool = False,
        scale_check: bool = False,
        loss_ratio: float = 0.4,
        reacquire_ratio: float = 0.8,
    ) -> None:
        # "auto": the colour space is chosen at init (see _select_features); bgr until then.
        self.auto_features = isinstance(features, str) and features.strip().lower() == "auto"
        self.features = get_features("bgr" if self.auto_features else features, bins=bins)
        self.similarity = get_similarity(similarity)
        self.kernel = get_kernel(kernel)
        if scale not in SCALE_MODES:
            raise ValueError(f"scale must be one of {', '.join(SCALE_MODES)}, got {scale!r}")
        self.scale = scale
        self.rotation = bool(rotation)
        self.background_weighting = bool(background_weighting)
        self.convergence = convergence or Convergence()
        self.guard = guard or ScaleGuard()
        for name, value, lo, hi in (
            ("scale_margin", scale_margin, 0.0, 4.0),
            ("min_confidence", min_confidence, 0.0, 1.0),
            ("bandwidth_step", bandwidth_step, 0.0, 0.5),
            ("bandwidth_smoothing", bandwidth_smoothing, 0.0, 1.0),
            ("model_update", model_update, 0.0, 1.0),
            ("box_fill", box_fill, 0.25, 1.0),
            ("loss_ratio", loss_ratio, 0.0, 1.0),
            ("reacquire_ratio", reacquire_ratio, 0.0, 1.0),
        ):
            if not lo <= float(value) <= hi:
                raise ValueError(f"{name} must be in [{lo}, {hi}], got {value!r}")
            setattr(self, name, float(value))
        if area_estimate not in AREA_ESTIMATES:
            raise ValueError(f"area_estimate must be one of {', '.join(AREA_ESTIMATES)}, got {area_estimate!r}")
        self.area_estimate = area_estimate
        self.adapt_aspect = bool(adapt_aspect)
        if max_samples is not None and int(max_samples) < 64:
            raise ValueError(f"max_samples must be None or >= 64, got {max_samples!r}")
        self.max_samples = int(max_samples) if max_samples is not None else None
        if motion not in MOTION_MODELS:
            raise ValueError(f"motion must be one of {', '.join(MOTION_MODELS)}, got {motion!r}")
        self.motion = motion
        self.recovery = bool(recovery)
        self.scale_check = bool(scale_check)
        self._initialized = False

    # ------------------------------------------------------------------ public API

    @property
    def initialized(self) -> bool:
        """Whether :meth:`init` has been called."""
        return self._initialized

    def __repr__(self) -> str:
        return (f"Tracker(features={self.features.name!r}, bins={self.features.bins}, "
                f"similarity={self.similarity.name!r}, kernel={self.kernel.name!r}, scale={self.scale!r}, "
                f"rotation={self.rotation})")

    def init(self, frame: np.ndarray, box: tuple[float, float, float, float]) -> None:
        """Learn the target's histogram inside ``box`` of ``frame``.

        Parameters
        ----------
        frame : (H, W, 3) uint8 BGR or (H, W) uint8
            Also BGRA and 16-bit frames (converted; see :mod:`meanshift._inputs` for every case).
        box : (x, y, w, h)
            Pixels, floats allowed; clipped to the frame (at least 1 x 1 pixel must lie inside).

        Raises
        ------
        ValueError
            For a bad frame or box, or a box containing no usable pixel (e.g. all masked by the
            HSV thresholds). The tracker is then uninitialised, whatever it tracked before.
        """
        # An init that raises must not leave half of a new state behind (the old model with the new frame's
        # feature space reads past the histograms' ends): the tracker is uninitialised until this one succeeds.
        self._initialized = False
        frame = tracking_frame(frame)
        x, y, w, h = tracking_box(box, frame.shape)
        self._space = self.features
        if self.features.needs_color and (frame.ndim == 2 or _is_gray_bgr(frame)):
            # Colour features on gray pixels would waste every bin but the diagonal (or, for hue,
            # mask everything): gray videos often decode as three equal channels.
            warnings.warn(
                f"grayscale frames: tracking with 'gray' features instead of {self.features.name!r}",
                stacklevel=2,
            )
            self._space = get_features("gray")
        elif self.auto_features:
            self._space = self._select_features(frame, (x, y, w, h))
        self._frame_shape = frame.shape
        self._m = self._space.n_bins
        cx, cy, w, h = box_to_center((x, y, w, h))
        self._cx, self._cy = cx, cy
        self._w, self._h = w, h
        self._angle = 0.0
        self._velocity = (0.0, 0.0)
        self._exclude: tuple[tuple[float, float, float, float], ...] = ()
        self._level: float | None = None  # recent confidence of trusted frames (recovery)
        self._lost_frames = 0
        self._length, self._breadth = w, h  # rotated-box sides when rotation=True
        self._hist = np.empty(self._m, np.float64)
        self._weights = np.empty(self._m, np.float64)
        self._moments = np.empty(6, np.float64)
        self._work = _kernels.converge_workspace(self._m)
        self._half_sizes = np.empty((3, 2), np.float64)
        self._scores = np.empty(3, np.float64)
        # Zeros, as window_and_ring_histograms requires (it clears only the bins it listed last time).
        self._contrast = (np.zeros((3, self._m)), np.zeros((3, self._m)), np.empty(3), np.empty(3))
        self._contrast_book = _kernels.contrast_workspace(3, self._m)
        self._region = _Region()
        grow = 2.0  # a ring as wide as half the box on every side, for the background histogram
        self._quantize(frame, cx, cy, w / 2 * grow, h / 2 * grow, force=True)
        masked = self._region.masked_fraction(cx, cy, w / 2, h / 2)
        if self._space.masked and masked > _MAX_MASKED_FRACTION:
            # A white, grey or dark target: the HSV mask would leave nothing to track.
            warnings.warn(
                f"{masked:.0%} of the box fails the HSV mask (S >= {self._space.s_min}, "
                f"{self._space.v_min} <= V <= {self._space.v_max}); tracking without it",
                stacklevel=2,
            )
            self._space = get_features(self._space, s_min=0, v_min=0, v_max=255)
            self._quantize(frame, cx, cy, w / 2 * grow, h / 2 * grow, force=True)
        q = np.empty(self._m, np.float64)
        mass = self._region.histogram(cx, cy, w / 2, h / 2, self.kernel.code, q)
        if mass <= 0:
            raise ValueError(
                f"box ({x:g}, {y:g}, {w:g}, {h:g}) holds no usable pixel for the {self._space.name!r} feature space "
                "(too small, or every pixel masked by the saturation/value thresholds)"
            )
        background = np.empty(self._m, np.float64)
        total = self._region.ring_histogram(cx, cy, w / 2, h / 2, grow, background)
        self._background = background / total if total > 0 else background
        if self.background_weighting:
            q = self._background_weighted(q, self._background)
        self._q = q
        self._initialized = True

    def _select_features(self, frame: np.ndarray, box: tuple[float, float, float, float]) -> FeatureSpace:
        """The candidate colour space that best separates the box from the ring around it (Collins et al. 2005).

        For each space, the log-likelihood ratio ``L_u = log(max(q_u, d) / max(b_u, d))`` of target
        ``q`` and background ``b`` histograms scores it by the variance ratio
        ``var(L; (q + b) / 2) / (var(L; q) + var(L; b))``: large when target and background pixels
        fall on distinct, each compact, sides of L.
        """
        height, width = frame.shape[:2]
        x, y, w, h = box
        # The box and a ring half its size on every side, clipped to the frame.
        rx0, ry0 = max(int(x - w / 2), 0), max(int(y - h / 2), 0)
        rx1, ry1 = min(int(x + w * 1.5) + 1, width), min(int(y + h * 1.5) + 1, height)
        ys, xs = np.mgrid[ry0:ry1, rx0:rx1]
        inside = (xs >= x) & (xs < x + w) & (ys >= y) & (ys < y + h)
        best, best_ratio = self.features, -np.inf
        for name, bins in _FEATURE_CANDIDATES:
            space = get_features(name, bins=bins)
            codes = np.empty((ry1 - ry0, rx1 - rx0), np.int32)
            quantize_into(frame, space, rx0, ry0, codes)
            valid = codes >= 0
            q = np.bincount(codes[valid & inside], minlength=space.n_bins).astype(np.float64)
            b = np.bincount(codes[valid & ~inside], minlength=space.n_bins).astype(np.float64)
            if q.sum() < 0.5 * inside.sum() or b.sum() == 0:
                continue  # most of the target masked (hue on grey), or no background to compare with
            q, b = q / q.sum(), b / b.sum()
            ratio = np.log(np.maximum(q, 1e-3) / np.maximum(b, 1e-3))
            spread = _weighted_variance(ratio, q) + _weighted_variance(ratio, b)
            score = _weighted_variance(ratio, (q + b) / 2) / max(spread, 1e-9)
            if score > best_ratio:
                best, best_ratio = space, score
        return best

    def update(self, frame: np.ndarray, *, exclude: Sequence[tuple[float, float, float, float]] = ()) -> TrackResult:
        """Track the target into ``frame`` and return where it is.

        Parameters
        ----------
        frame : (H, W, 3) uint8 BGR or (H, W) uint8
            Same shape as the frame given to :meth:`init`.
        exclude : sequence of (x, y, w, h)
            Boxes whose pixels this target must not take (other targets', see
            :class:`meanshift.MultiTracker`): they count as masked this frame.

        Raises
        ------
        ValueError
            Before :meth:`init`, or for a frame that is not like the first (shape, channels).
        """
        if not self._initialized:
            raise ValueError("update() called before init(frame, box): initialise the tracker first")
        frame = tracking_frame(frame)
        if frame.shape != self._frame_shape:
            raise ValueError(f"frame shape changed from {self._frame_shape} at init to {frame.shape}: "
                             "call init() again on the new frame")
        self._exclude = _exclusion_boxes(exclude)
        last_centre = (self._cx, self._cy)
        if self.motion == "constant-velocity":
            height, width = self._frame_shape[:2]
            self._cx = min(max(self._cx + self._velocity[0], 0.0), width - 1.0)
            self._cy = min(max(self._cy + self._velocity[1], 0.0), height - 1.0)
        self._quantize(frame, self._cx, self._cy, self._w / 2 * (1 + self.scale_margin),
                       self._h / 2 * (1 + self.scale_margin), force=True)
        size_before = (self._w, self._h, self._length, self._breadth)
        iterations, mass = self._search(frame)
        p = self._hist
        confidence = float(_kernels.bhattacharyya_coefficient(p, self._q))
        ok = mass > 0 and confidence >= self.min_confidence
        level = self._level
        if self.recovery and level is not None:
            ok = ok and confidence >= self.loss_ratio * level
            if not ok:
                self._w, self._h, self._length, self._breadth = size_before
                self._lost_frames += 1
                # The global search costs a few window searches: every frame at first, then every
                # fifth, so that a target gone for good does not slow the tracker down.
                if self._lost_frames <= 3 or self._lost_frames % 5 == 0:
                    lost_at = (self._cx, self._cy)
                    found = self._reacquire(frame, self.reacquire_ratio * level)
                    if found is not None:
                        iterations += found[0]
                        confidence, mass, ok = found[1], found[2], True
                    else:
                        self._cx, self._cy = lost_at
                if not ok:
                    # A slow change of look is not a loss for ever: the level to return to decays.
                    self._level = level * _LEVEL_DECAY
        if not ok:
            # A lost target tells nothing about its size: neither grow nor shrink the window.
            self._w, self._h, self._length, self._breadth = size_before
            self._velocity = (0.8 * self._velocity[0], 0.8 * self._velocity[1])
        if ok and self.scale == "moments":
            # the weights where the iteration converged size the window
            self.similarity.weights(p, self._q, background=self._background, out=self._weights)
            self._update_size_from_moments(frame)
        if self.similarity.numba_code == _kernels.WEIGHTS_BHATTACHARYYA:
            score = confidence  # the same sum, already taken
        else:
            score = self.similarity.value(p, self._q, background=self._background)
        if ok:
            self._lost_frames = 0
            moved = (self._cx - last_centre[0], self._cy - last_centre[1])
            self._velocity = (0.5 * self._velocity[0] + 0.5 * moved[0], 0.5 * self._velocity[1] + 0.5 * moved[1])
            confident = level is None or not self.recovery or confidence >= level
            if self.model_update > 0 and confident:
                self._q = (1 - self.model_update) * self._q + self.model_update * p
            self._level = confidence if level is None else 0.9 * level + 0.1 * confidence
        return self._result(ok, score, iterations, confidence)

    def _search(self, frame: np.ndarray) -> tuple[int, float]:
        """Mean shift from the current centre with the scale rule's window sizes; ``(iterations, mass)``."""
        if self.scale == "contrast":
            return self._update_contrast(frame)
        if self.scale == "bandwidth":
            return self._update_bandwidth(frame)
        return self._converge(frame, self._w, self._h)

    def _reacquire(self, frame: np.ndarray, threshold: float) -> tuple[int, float, float] | None:
        """Global search for a lost target: ``(iterations, confidence, mass)`` of the locked-on window, or None.

        Candidates are the peaks of the target's ratio back-projection (model over the frame's own
        histogram, Swain & Ballard) summed over a window-sized box (:func:`window_peaks`), on a grid
        of at most ~30,000 samples of the whole frame; each is refined by mean shift at the frozen
        size and kept only if its confidence reaches ``threshold``.
        """
        height, width = frame.shape[:2]
        step = max(1, math.ceil(math.sqrt(height * width / 30000)))
        bins = np.empty((-(-height // step), -(-width // step)), np.int32)
        quantize_into(frame, self._space, 0, 0, bins, step=step)
        for x, y, w, h in self._exclude:
            bins[max(0, math.ceil(y / step)):max(0, math.floor((y + h - 1) / step) + 1),
                 max(0, math.ceil(x / step)):max(0, math.floor((x + w - 1) / step) + 1)] = -1
        valid = bins >= 0
        frame_hist = np.bincount(bins[valid], minlength=self._m).astype(np.float64)
        ratio = np.divide(self._q, frame_hist / max(frame_hist.sum(), 1.0), out=np.zeros(self._m),
                          where=frame_hist > 0)
        weight_map = np.where(valid, ratio[np.where(valid, bins, 0)], 0.0)
        size = (max(1, round(self._h / step)), max(1, round(self._w / step)))
        peaks = window_peaks(weight_map, size, _REACQUIRE_CANDIDATES)
        best = None
        for row, col in peaks:
            self._cx, self._cy = float(col * step), float(row * step)
            self._quantize(frame, self._cx, self._cy, self._w / 2, self._h / 2, force=True)
            iterations, mass = self._converge(frame, self._w, self._h)
            confidence = float(_kernels.bhattacharyya_coefficient(self._hist, self._q))
            if mass > 0 and confidence >= threshold and (best is None or confidence > best[1]):
                best = (iterations, confidence, mass, self._cx, self._cy, self._hist.copy())
        if best is None:
            return None
        iterations, confidence, mass, self._cx, self._cy, self._hist[:] = best
        self._quantize(frame, self._cx, self._cy, self._w / 2, self._h / 2, force=True)
        return iterations, confidence, mass

    # ------------------------------------------------------------------ one frame's steps

    def _quantize(self, frame: np.ndarray, cx: float, cy: float, hw: float, hh: float, *, force: bool = False) -> None:
        """Bins of the search region around the window: the only pixels this frame reads.

        ``force`` starts a new frame (and picks the sampling step for the window's size); otherwise
        the region is only redone when the box ``cx -/+ hw, cy -/+ hh`` has left it.
        """
        x0, x1 = math.ceil(cx - hw), math.floor(cx + hw)
        y0, y1 = math.ceil(cy - hh), math.floor(cy + hh)
        region = self._region
        if not force and region.covers(x0, y0, x1, y1):
            return
        if force:
            # The nearest step to max_samples samples (int() would leave up to four times as many).
            step = max(1, round(math.sqrt(self._w * self._h / self.max_samples))) if self.max_samples else 1
        else:
            step = region.step
        if force and region.bins.size and region.covers(x0, y0, x1, y1) and step == region.step:
            rx0, ry0, rx1, ry1 = region.x0, region.y0, region.x1, region.y1
        else:
            # Room to move: half a window more on every side, so most frames quantise once.
            height, width = frame.shape[:2]
            rx0, ry0 = max(int(x0 - hw), 0), max(int(y0 - hh), 0)
            rx1, ry1 = min(int(x1 + hw) + 1, width), min(int(y1 + hh) + 1, height)
        self._region = _Region(rx0, ry0, rx1, ry1, step, pixel_source(frame, self._space))
        for x, y, w, h in self._exclude:
            _kernels.mask_box(*self._region.grid, x, y, x + w - 1, y + h - 1)

    def _converge(self, frame: np.ndarray, w: float, h: float) -> tuple[int, float]:
        """Mean-shift iterations from the current centre with window ``w x h``; updates the centre.

        Built-in measures iterate inside one Numba call (``_kernels.converge``); user-defined ones
        iterate here, calling their NumPy weight function once per iteration.
        """
        kernel, q = self.kernel.code, self._q
        hw, hh = w / 2, h / 2
        cx, cy = self._cx, self._cy
        height, width = frame.shape[:2]
        eps2 = self.convergence.epsilon ** 2
        max_iterations = self.convergence.max_iterations
        code = self.similarity.numba_code
        self._quantize(frame, cx, cy, hw, hh)
        iterations = 0
        if code is not None:
            delta = float(getattr(self.similarity, "delta", 0.0))
            while True:
                r = self._region
                cx, cy, steps, mass, shift2, left = _kernels.converge(
                    *r.grid[:5], r.x1, r.y1, r.step, cx, cy, hw, hh, kernel, code, q, self._background,
                    delta, eps2, max_iterations - iterations, width, height, self._hist, self._weights,
                    self._work)
                iterations += steps
                if not left:
                    break
                self._quantize(frame, cx, cy, hw, hh)  # the window moved out of the quantised region
                mass = self._region.histogram(cx, cy, hw, hh, kernel, self._hist)
                if shift2 < eps2 or iterations >= max_iterations:
                    break
            self._cx, self._cy = cx, cy
            return iterations, mass
        mass = self._region.histogram(cx, cy, hw, hh, kernel, self._hist)
        while mass > 0 and iterations < max_iterations:
            self.similarity.weights(self._hist, q, background=self._background, out=self._weights)
            m0, mx, my = self._region.shift(cx, cy, hw, hh, kernel, self._weights)
            iterations += 1
            if m0 <= 0:
                mass = 0.0
                break
            nx = min(max(mx / m0, 0.0), width - 1.0)
            ny = min(max(my / m0, 0.0), height - 1.0)
            shift2 = (nx - cx) ** 2 + (ny - cy) ** 2
            cx, cy = nx, ny
            self._quantize(frame, cx, cy, hw, hh)
            mass = self._region.histogram(cx, cy, hw, hh, kernel, self._hist)
            if shift2 < eps2:
                break
        self._cx, self._cy = cx, cy
        return iterations, mass

    def _update_bandwidth(self, frame: np.ndarray) -> tuple[int, float]:
        """Converge with h and h(1 -/+ step), keep the most similar, smooth h (Comaniciu/Meer 2003).

        Keeping the most similar window, as the paper does, tends to shrink it: smaller windows hold
        less background. ``scale="contrast"`` (:meth:`_update_contrast`) corrects for that.
        """
        start = (self._cx, self._cy)
        best = None
        total_iterations = 0
        for factor in (1.0, 1.0 - self.bandwidth_step, 1.0 + self.bandwidth_step):
            w, h = self._clamp_size(self._w * factor, self._h * factor)
            self._cx, self._cy = start
            iterations, mass = self._converge(frame, w, h)
            total_iterations += iterations
            rho = self.similarity.value(self._hist, self._q, background=self._background) if mass > 0 else -np.inf
            if best is None or rho > best[0]:
                best = (rho, self._cx, self._cy, w, h, mass, self._hist.copy())
        _, self._cx, self._cy, w, h, mass, self._hist[:] = best
        self._smooth_size(w, h)
        return total_iterations, mass

    def _update_contrast(self, frame: np.ndarray) -> tuple[int, float]:
        """Converge with h, then keep of h and h(1 -/+ step) the window whose similarity most exceeds its ring's.

        Too large a window takes in background, too small a one leaves target in the ring (between 1
        and 1.5 times the window). The other sizes are judged where h converged, not searched afresh:
        a third of the work, and the contrast with the ring, not a new position, decides the size.
        All three windows and rings come from one pass over the pixels.
        """
        sizes = [self._clamp_size(self._w * f, self._h * f)
                 for f in (1.0, 1.0 - self.bandwidth_step, 1.0 + self.bandwidth_step)]
        iterations, _ = self._converge(frame, *sizes[0])
        half = self._half_sizes
        half[:] = [(w / 2, h / 2) for w, h in sizes]
        grow = 1.5
        self._quantize(frame, self._cx, self._cy, max(w for w, _ in sizes) / 2 * grow,
                       max(h for _, h in sizes) / 2 * grow)
        hists, rings, masses, totals = self._contrast
        _kernels.window_and_ring_histograms(*self._region.grid, self._cx, self._cy, half, grow, self.kernel.code,
                                         hists, rings, masses, totals, self._contrast_book)
        scores = self._scores
        code = self.similarity.numba_code
        if code is not None:
            _kernels.contrast_scores(code, hists, masses, rings, totals, self._q, self._background,
                                  float(getattr(self.similarity, "delta", 0.0)), scores, self._contrast_book)
        else:
            for i in range(len(sizes)):
                scores[i] = -np.inf
                if masses[i] > 0:
                    scores[i] = self.similarity.value(hists[i], self._q, background=self._background)
                    if totals[i] > 0:
                        scores[i] -= self.similarity.value(rings[i] / totals[i], self._q, background=self._background)
        # The first best wins ties, so an unchanged size is kept unless another is strictly better.
        values = scores.tolist()
        best = values.index(max(values))
        if best != 0 and self.scale_check and not self._zeroth_moment_agrees(frame, sizes[0], sizes[best]):
            best = 0
        self._hist[:] = hists[best]
        self._smooth_size(*sizes[best])
        return iterations, float(masses[best])

    def _zeroth_moment_agrees(self, frame: np.ndarray, current: tuple[float, float],
                              proposed: tuple[float, float]) -> bool:
        """Whether the zeroth-moment area estimate also says grow (or shrink) as ``proposed`` does.

        The second, independent opinion on a size change: the area ``M00 / w_core`` over the
        window with ``scale_margin`` around it, ``w_core`` the mean weight of the window's central half.
        """
        self.similarity.weights(self._contrast[0][0], self._q, background=self._background, out=self._weights)
        grow = 1.0 + self.scale_margin
        hw, hh = current[0] / 2 * grow, current[1] / 2 * grow
        self._quantize(frame, self._cx, self._cy, hw, hh)
        core = self._mean_weight(current[0] / 4, current[1] / 4)
        if core <= 0:
            return False
        self._region.moments(self._cx - hw, self._cy - hh, self._cx + hw, self._cy + hh, self._weights, self._moments)
        area = self._moments[0] * self._region.step ** 2 / core
        return (area > current[0] * current[1]) == (proposed[0] > current[0])

    def _smooth_size(self, w: float, h: float) -> None:
        """``h_new = smoothing * h_best + (1 - smoothing) * h``, within the size bounds."""
        g = self.bandwidth_smoothing
        self._w, self._h = self._clamp_size(g * w + (1 - g) * self._w, g * h + (1 - g) * self._h)
        self._length, self._breadth = self._w, self._h

    def _target_pixel_weight(self) -> float:
        """The weight a pixel of the target is expected to carry (the denominator of the area).

        ``"model"``: ``sum_u q_u w_u``, exact when the target looks like its model (DESIGN.md).
        ``"core"``: the mean weight over the window's central half, measured on this frame, which
        stays right when the target's appearance drifts from the model (then ``sum q w`` is too
        large by about the Bhattacharyya coefficient between them, and the window shrinks every frame).
        """
        if self.area_estimate == "model":
            return float(np.dot(self._q, self._weights))
        return self._mean_weight(self._w / 4, self._h / 4)

    def _mean_weight(self, hw: float, hh: float) -> float:
        """Mean weight per pixel (masked ones count as 0) of the box of half-sizes ``(hw, hh)`` at the centre."""
        count = self._region.moments(self._cx - hw, self._cy - hh, self._cx + hw, self._cy + hh, self._weights,
                                     self._moments)
        return float(self._moments[0]) / count if count > 0 else 0.0

    def _update_size_from_moments(self, frame: np.ndarray) -> None:
        """Zeroth moment -> area (A = M00 / target pixel weight), second moments -> shape; then guard rails."""
        grow = 1.0 + self.scale_margin
        hw, hh = self._w / 2 * grow, self._h / 2 * grow
        self._quantize(frame, self._cx, self._cy, hw, hh)
        expected_weight = self._target_pixel_weight()
        if expected_weight <= 0:
            return
        self._region.moments(self._cx - hw, self._cy - hh, self._cx + hw, self._cy + hh, self._weights, self._moments)
        m00, m10, m01, m20, m11, m02 = self._moments
        if m00 <= 0:
            return
        # Each grid sample stands for step^2 pixels.
        area = m00 * self._region.step**2 / expected_weight / self.box_fill
        if not area > 0:
            return
        mx, my = m10 / m00, m01 / m00
        mu20, mu11, mu02 = m20 / m00 - mx * mx, m11 / m00 - mx * my, m02 / m00 - my * my
        if self.rotation:
            lam1, lam2, angle = orientation_from_moments(mu20, mu11, mu02)
            aspect = math.sqrt(lam1 / lam2) if lam2 > 0 else _MAX_ASPECT
            aspect = min(aspect, _MAX_ASPECT)
            length, breadth = self._guarded(self._length, self._breadth, math.sqrt(area * aspect),
                                            math.sqrt(area / aspect))
            self._length, self._breadth, self._angle = length, breadth, angle
            w, h = rotated_bounding_size(length, breadth, angle)
        else:
            if self.adapt_aspect and mu02 > 0 and mu20 > 0:
                aspect = math.sqrt(mu20 / mu02)
            else:
                aspect = self._w / self._h
            aspect = min(max(aspect, 1 / _MAX_ASPECT), _MAX_ASPECT)
            w, h = self._guarded(self._w, self._h, math.sqrt(area * aspect), math.sqrt(area / aspect))
            self._length, self._breadth = w, h
        self._w, self._h = self._clamp_size(w, h)

    def _guarded(self, old_a: float, old_b: float, new_a: float, new_b: float) -> tuple[float, float]:
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

    def _clamp_size(self, w: float, h: float) -> tuple[float, float]:
        height, width = self._frame_shape[:2]
        lo = self.guard.min_size
        return (min(max(w, lo), max(self.guard.max_fraction * width, lo)),
                min(max(h, lo), max(self.guard.max_fraction * height, lo)))

    @staticmethod
    def _background_weighted(q: np.ndarray, background: np.ndarray) -> np.ndarray:
        """CBWH: scale bin u by min(o*/o_u, 1), o* the smallest non-zero background frequency."""
        nonzero = background[background > 0]
        if nonzero.size == 0:
            return q
        v = np.minimum(np.divide(nonzero.min(), background, out=np.ones_like(background), where=background > 0), 1.0)
        weighted = q * v
        total = weighted.sum()
        return weighted / total if total > 0 else q

    def _result(self, ok: bool, score: float, iterations: int, confidence: float) -> TrackResult:
        box = clip_box(center_to_box(self._cx, self._cy, self._w, self._h), self._frame_shape)
        if self.rotation and self.scale == "moments":
            size = (self._length, self._breadth)
        else:
            size = (self._w, self._h)
        return TrackResult(
            ok=bool(ok),
            box=tuple(map(float, box)),
            rotated=((float(self._cx), float(self._cy)), (float(size[0]), float(size[1])), float(self._angle)),
            score=float(score),
            iterations=int(iterations),
            confidence=confidence,
        )
