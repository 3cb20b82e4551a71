"""The tracker: generalized mean shift as a composition of parts, orchestrated one frame at a time.

One frame flows one way: frame -> region -> bins -> weights -> moments -> window -> result. The parts
do the work: a feature space turns pixels into bins (:mod:`meanshift.features`), a similarity measure
gives every bin a weight (:mod:`meanshift.similarity`), a kernel weighs pixels by their place in the
window (:mod:`meanshift.kernels`), a scale rule sizes the window (:mod:`meanshift.scale`), a motion
model says where the search starts (:mod:`meanshift.motion`) and a recovery part decides whether the
box is trusted and searches when it is not (:mod:`meanshift.recovery`).

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

import copy
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from meanshift import _kernels
from meanshift._inputs import exclusion_boxes, tracking_box, tracking_frame
from meanshift.config import MIN_BOX_SIDE, Convergence
from meanshift.features import FeatureSpace, get_features, is_gray_bgr, select_features
from meanshift.geometry import box_to_center, center_to_box, clip_box, rotated_bounding_size
from meanshift.kernels import Kernel, get_kernel
from meanshift.motion import MotionModel, get_motion_model
from meanshift.parts import PART_KEYWORDS, part_options_for
from meanshift.recovery import LossDetector, get_recovery
from meanshift.result import TrackResult
from meanshift.scale import ScaleRule, get_scale_rule, scale_rules
from meanshift.similarity import Similarity, get_similarity
from meanshift.state import TargetState

__all__ = ["Tracker", "TrackResult", "SCALE_MODES"]

#: Names of the built-in scale rules (:func:`meanshift.scale_rules` lists registered ones too).
SCALE_MODES = tuple(scale_rules())

#: ``Tracker()``'s mean-shift stopping rule, :func:`meanshift.generalized`'s: there the iteration only
#: proposes a position (inseparable targets), so half a pixel is precision enough (issue 16).
DEFAULT_CONVERGENCE = Convergence(epsilon=0.5, max_iterations=20)

# When more of the initial box than this fails the HSV mask, the mask is dropped (with a warning).
_MAX_MASKED_FRACTION = 0.95


class Tracker:
    """Generalized mean-shift tracker: features x similarity x kernel x scale rule x motion x recovery.

    The defaults are the recommended tracker, the settings :func:`meanshift.generalized` names (BGR
    16x16x16 bins, the ``"posterior"`` similarity measure, whose weights are P(obj | u) from a learnt object
    and surroundings model, the ``"posterior"`` scale rule with its search, size, learning and loss
    detection; where the colours do not separate the target the classic search proposes a position too,
    with Bhattacharyya weights of a background-weighted model and an Epanechnikov kernel, stopping at 0.5
    px or 20 iterations on ~1,024 samples a window): ``Tracker()`` is that tracker. The presets are the
    named alternatives and set every parameter they need.

    Parameters
    ----------
    features : str or FeatureSpace
        ``"bgr"`` (default), ``"hue"`` (with the HSV mask), ``"hue-sat"``, ``"gray"``, ``"hsv-full"``,
        ``"lab"`` or ``"ycrcb"`` (:func:`meanshift.feature_spaces` lists them); ``"auto"`` picks at
        :meth:`init` the one that best separates the target from its surroundings. Grayscale frames,
        single-channel or BGR with three equal channels, are tracked with ``"gray"`` whatever is
        asked (a warning says so).
    similarity : str or Similarity
        A name from :func:`meanshift.similarities` (default ``"posterior"``) or your own
        :class:`~meanshift.similarity.Similarity`; it gives the weights of every engine and the ``score``.
    kernel : str or Kernel
        A name from :func:`meanshift.kernels` (``"epanechnikov"``, ``"flat"``, ``"gaussian"``, ``"biweight"``).
    scale : str or ScaleRule
        How the window's size follows the target: a name from :func:`meanshift.scale_rules`
        (``"fixed"``, ``"moments"``, ``"bandwidth"``, ``"contrast"``, ``"posterior"``, the default) or a
        rule object.
    bins : int or tuple, optional
        Bins per channel of the feature space (default: the space's own, 16 per channel for ``"bgr"``).
    background_weighting : bool
        Corrected background-weighted histogram (:func:`meanshift.model.background_weighted`): at
        ``init``, down-weight target bins that are frequent in a ring around the box.
    convergence : Convergence
        Epsilon (pixels, sub-pixel allowed) and iteration cap of the mean-shift iteration
        (default ``Convergence(epsilon=0.5, max_iterations=20)``, :func:`generalized`'s; the classic
        presets set their own, 0.1 px and 1 px).
    model_update : float
        Rate of blending the converged candidate histogram into the target model on trusted frames
        (that the recovery part also trusts); 0 = never update.
    max_samples : int or None
        Windows larger than this many pixels are sampled on a grid of every ``step``-th pixel so that
        about this many remain: the cost per frame stays bounded however large the target. None
        reads every pixel. The default is :func:`generalized`'s; the classic presets read 4,096.
    motion : str or MotionModel
        Where each frame's search starts: a name from :func:`meanshift.motion_models` or a model object.
    recovery : bool, str or LossDetector
        Loss detection: ``False`` / ``"threshold"`` (lost below ``min_confidence``), ``True`` /
        ``"reacquire"`` (the default: also lost below ``loss_ratio`` times the recent match, then a global search;
        see :mod:`meanshift.recovery`), or a part object.
    channel_order : {"bgr", "rgb"}
        The order of the frames' channels: ``"bgr"`` as OpenCV reads them (default), ``"rgb"`` for
        imageio, PIL or deep-learning loaders. Only the channel indices the kernels read are swapped:
        no frame is copied, and hue, gray and the other spaces see the right colours.
    **part_options
        Parameters of the parts by the names listed in :data:`meanshift.parts.PART_KEYWORDS` (``scale_margin``,
        ``guard``, ``rotation``, ``area_estimate``, ``box_fill``, ``adapt_aspect``, ``bandwidth_step``,
        ``bandwidth_smoothing``, ``scale_check``; ``min_confidence``, ``loss_ratio``,
        ``reacquire_ratio``), passed to the part named by ``scale`` or ``recovery``. A value for a
        parameter the chosen part does not have raises ``ValueError``. Parts given as objects carry
        their own parameters. Each tracker works on its own copy of the parts it is given.

    Examples
    --------
    >>> import numpy as np, meanshift
    >>> frame = np.zeros((100, 100, 3), np.uint8); frame[40:60, 30:50] = (0, 0, 255)
    >>> t = meanshift.Tracker(); t.init(frame, (28, 38, 24, 24))    # the recommended tracker
    >>> moved = np.roll(frame, 5, axis=1)                          # the target's centre: 39.5 -> 44.5
    >>> ok, box = t.update(moved)
    >>> ok, abs(box[0] + (box[2] - 1) / 2 - 44.5) < 1.5
    (True, True)
    >>> classic = meanshift.Tracker(features="hue", scale="moments", background_weighting=False, recovery=False)
    >>> classic.features.name, classic.scale_rule.name, classic.recovery.name
    ('hue', 'moments', 'threshold')
    """

    def __init__(
        self,
        features: str | FeatureSpace = "bgr",
        similarity: str | Similarity = "posterior",
        kernel: str | Kernel = "epanechnikov",
        scale: str | ScaleRule = "posterior",
        *,
        bins: int | tuple[int, ...] | None = None,
        background_weighting: bool = True,
        convergence: Convergence | None = None,
        model_update: float = 0.0,
        max_samples: int | None = 1024,
        motion: str | MotionModel = "none",
        recovery: bool | str | LossDetector = True,
        channel_order: str = "bgr",
        **part_options: Any,
    ) -> None:
        # "auto": the colour space is chosen at init (see select_features); bgr until then.
        self.auto_features = isinstance(features, str) and features.strip().lower() == "auto"
        self.features = get_features("bgr" if self.auto_features else features, bins=bins,
                                     channel_order=channel_order)
        self.similarity = get_similarity(similarity)
        self.kernel = get_kernel(kernel)
        self.background_weighting = bool(background_weighting)
        self.convergence = convergence or DEFAULT_CONVERGENCE
        if not 0.0 <= float(model_update) <= 1.0:
            raise ValueError(f"model_update must be in [0.0, 1.0], got {model_update!r}")
        self.model_update = float(model_update)
        if max_samples is not None and int(max_samples) < 64:
            raise ValueError(f"max_samples must be None or >= 64, got {max_samples!r}")
        self.max_samples = int(max_samples) if max_samples is not None else None
        unknown = sorted(set(part_options) - set(PART_KEYWORDS))
        if unknown:
            raise TypeError(f"Tracker() got unexpected keyword argument(s) {', '.join(unknown)}")
        # Copies: parts keep per-target state, and a part object may be handed to several trackers.
        self.scale_rule: ScaleRule = copy.deepcopy(get_scale_rule(scale, **part_options_for(scale, "scale",
                                                                                           part_options)))
        self.motion: MotionModel = copy.deepcopy(get_motion_model(motion))
        if isinstance(recovery, bool):
            recovery = self.scale_rule.recovery_for(recovery)  # a rule may bring its own loss detection
        self.recovery: LossDetector = copy.deepcopy(get_recovery(recovery, **part_options_for(recovery, "recovery",
                                                                                             part_options)))
        self._initialized = False

    @property
    def initialized(self) -> bool:
        """Whether :meth:`init` has been called."""
        return self._initialized

    @property
    def channel_order(self) -> str:
        """``"bgr"`` or ``"rgb"``: the channel order of the frames this tracker reads."""
        return self.features.channel_order

    def __repr__(self) -> str:
        order = "" if self.channel_order == "bgr" else f", channel_order={self.channel_order!r}"
        return (f"Tracker(features={self.features.name!r}, bins={self.features.bins}, "
                f"similarity={self.similarity.name!r}, kernel={self.kernel.name!r}, scale={self.scale_rule.name!r}, "
                f"rotation={getattr(self.scale_rule, 'rotation', False)}{order})")

    def init(self, frame: np.ndarray, box: tuple[float, float, float, float]) -> None:
        """Learn the target's histogram inside ``box`` of ``frame``.

        Parameters
        ----------
        frame : (H, W, 3) uint8 BGR or (H, W) uint8
            RGB with ``Tracker(channel_order="rgb")``. Also BGRA (RGBA) and 16-bit frames (converted; see
            :mod:`meanshift._inputs` for every case).
        box : (x, y, w, h)
            Pixels, floats allowed; clipped to the frame (at least 1 x 1 pixel must lie inside). A box
            under :data:`meanshift.config.MIN_BOX_SIDE` (8 px) on a side is tracked with a warning, and
            ``ok`` stays False while the window is under it too.

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
        # A box too small for a meaningful histogram: tracked, but not trusted while the window stays that small.
        self.below_floor = min(w, h) < MIN_BOX_SIDE
        if self.below_floor:
            floor = f"{MIN_BOX_SIDE:g}"
            warnings.warn(f"box ({x:g}, {y:g}, {w:g}, {h:g}) is under {floor} px (meanshift.config.MIN_BOX_SIDE), "
                          "too few pixels for a meaningful histogram: tracking it, but ok stays False while the "
                          f"window is under {floor} px; draw a box of at least {floor} x {floor} px around the target",
                          stacklevel=2)
        space = self.features
        if self.features.needs_color and (frame.ndim == 2 or is_gray_bgr(frame)):
            # Colour features on gray pixels would waste every bin but the diagonal (or, for hue,
            # mask everything): gray videos often decode as three equal channels.
            warnings.warn(f"grayscale frames: tracking with 'gray' features instead of {self.features.name!r}",
                          stacklevel=2)
            space = get_features("gray", channel_order=self.features.channel_order)
        elif self.auto_features:
            space = select_features(frame, (x, y, w, h), self.features)
        state = TargetState(space, self.similarity, self.kernel, self.convergence, self.max_samples,
                            self.scale_rule.guard, frame.shape, box_to_center((x, y, w, h)))
        grow = 2.0  # a ring as wide as half the box on every side, for the background histogram
        state.quantize(frame, state.cx, state.cy, w / 2 * grow, h / 2 * grow, force=True)
        # (Only a masked space can mask the box: the count is not compiled for the others.)
        masked = state.region.masked_fraction(state.cx, state.cy, w / 2, h / 2) if space.masked else 0.0
        if masked > _MAX_MASKED_FRACTION:
            # A white, grey or dark target: the HSV mask would leave nothing to track.
            warnings.warn(f"{masked:.0%} of the box fails the HSV mask (S >= {space.s_min}, "
                          f"{space.v_min} <= V <= {space.v_max}); tracking without it", stacklevel=2)
            state.space = get_features(space, s_min=0, v_min=0, v_max=255)
            state.quantize(frame, state.cx, state.cy, w / 2 * grow, h / 2 * grow, force=True)
        model = (state.cx, state.cy, w / 2, h / 2, grow, self.background_weighting)
        if not state.space.masked and state.region.has_inner_sample(*model[:4]):
            # The window surely holds a usable pixel: the classic model is learnt when first read, so an
            # engine with a model of its own (the default tracker's) neither compiles nor runs its kernels.
            state.defer_model(*model)
        elif state.learn_model(state.region, *model) <= 0:
            raise ValueError(
                f"box ({x:g}, {y:g}, {w:g}, {h:g}) holds no usable pixel for the {state.space.name!r} feature space "
                "(too small, or every pixel masked by the saturation/value thresholds)")
        # What the recovery part asks of a search with a verdict of its own (the posterior engine's).
        state.loss_policy = self.recovery.loss_policy()
        self.state = state
        for part in (self.scale_rule, self.motion, self.recovery):
            part.reset(state, frame)
        self._initialized = True

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
        if frame.shape != self.state.frame_shape:
            raise ValueError(f"frame shape changed from {self.state.frame_shape} at init to {frame.shape}: "
                             "call init() again on the new frame")
        state = self.state
        state.exclude = exclusion_boxes(exclude)
        state.search_ok = None
        last_centre = (state.cx, state.cy)
        self.motion.predict(state)
        if self.scale_rule.reads_region(state) or self.recovery.reads_region:
            grow = 1 + self.scale_rule.margin
            state.quantize(frame, state.cx, state.cy, state.w / 2 * grow, state.h / 2 * grow, force=True)
        size_before = (state.w, state.h, state.length, state.breadth)
        iterations, mass = self.scale_rule.search(state, frame)  # region -> bins -> weights -> moments -> window
        confidence = self.scale_rule.match(state)
        ok, confidence, mass, extra = self.recovery.assess(state, frame, confidence, mass, size_before)
        iterations += extra
        if not ok:
            # A lost target tells nothing about its size: neither grow nor shrink the window.
            state.w, state.h, state.length, state.breadth = size_before
        else:
            self.scale_rule.resize(state, frame)
        score = self.scale_rule.score(state)
        if score is None and self.similarity.numba_code == _kernels.WEIGHTS_BHATTACHARYYA:
            score = confidence  # the same sum, already taken
        elif score is None:
            score = self.similarity.value(state.hist, state.q, background=state.background)
        self.motion.observe(state, (state.cx - last_centre[0], state.cy - last_centre[1]), ok)
        if ok:
            if self.model_update > 0 and self.recovery.trusts(confidence):
                state.q = (1 - self.model_update) * state.q + self.model_update * state.hist
            self.recovery.confirm(confidence)
        # The part may report a loss it did not act on (the camshift preset's "watch").
        reported = self.recovery.report(ok) and not (self.below_floor and min(state.w, state.h) < MIN_BOX_SIDE)
        return self._result(reported, score, iterations, confidence)

    def __getattr__(self, name: str) -> Any:
        # The state's attributes (cx, cy, w, h, q, hist, region, space, ...) read through the tracker, as they
        # could before the state had its own object.
        state = self.__dict__.get("state")
        if state is not None and not name.startswith("__") and hasattr(state, name):
            return getattr(state, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}"
                             + ("" if state is not None else " (before init())"))

    def _result(self, ok: bool, score: float, iterations: int, confidence: float) -> TrackResult:
        state = self.state
        whole = center_to_box(state.cx, state.cy, state.w, state.h)
        box = clip_box(whole, state.frame_shape)
        size = self.scale_rule.rotated_size(state)
        x, y, w, h = (float(v) for v in box)
        centre = (float(state.cx), float(state.cy))
        if (w, h) != (whole[2], whole[3]):
            # The box reaches outside the frame and is clipped: the oriented box is clipped alike, about the
            # clipped box's centre (an upright one to the clipped box, a rotated one shrunk until its
            # bounding box fits the clipped box), so that the two never disagree on where the target is.
            centre = (x + (w - 1.0) / 2.0, y + (h - 1.0) / 2.0)
            if state.angle == 0.0 and tuple(size) == (state.w, state.h):
                size = (w, h)
            else:
                bw, bh = rotated_bounding_size(float(size[0]), float(size[1]), float(state.angle))
                fit = min(1.0, w / bw if bw > 0 else 1.0, h / bh if bh > 0 else 1.0)
                size = (size[0] * fit, size[1] * fit)
        return TrackResult(ok=bool(ok), box=(x, y, w, h),
                           rotated=(centre, (float(size[0]), float(size[1])), float(state.angle)),
                           score=float(score), iterations=int(iterations), confidence=confidence)
