"""The per-frame steps of the recommended tracker's engine (:class:`PosteriorTracking`), state in and out.

A learnt object / surroundings model (:class:`~meanshift.posterior_model.PosteriorModel`); the
similarity measure in use turns it into a weight per bin (:meth:`meanshift.similarity.Similarity.model_weights`:
for the ``posterior`` measure ``P(obj | u)`` itself, for the others the measure's weights linearised
around the window at the predicted position); the weights are summed over box-sized windows of the
search region under a motion prior, the best window refined by mean shift on the weight map, and
their zeroth moment sizes the box. The parts that put these steps into the engine are in
:mod:`meanshift.posterior`; the mathematics in its docstring and on the docs' mathematics page.
"""

from __future__ import annotations

import math

import numpy as np

from meanshift._kernels import posterior as _pk
from meanshift._kernels.texture import quantize_texture
from meanshift.features import FeatureSpace, GridQuantizer, is_gray_bgr
from meanshift.posterior_model import (
    _TEXTURE_COLOUR_BINS,
    _TEXTURE_GRAY_LEVELS,
    _TEXTURE_TOLERANCE,
    ModelLearning,
    PosteriorModel,
    WindowSearch,
    ZerothMomentSize,
)
from meanshift.posterior_step import PosteriorStep, SearchGrid
from meanshift.similarity import Similarity, get_similarity
from meanshift.state import LossPolicy

__all__ = ["PosteriorTracking", "PosteriorStep"]

# The local search of a measure whose weights depend on the candidate: at most this many steps, each
# taken with the weights linearised again at the window's new place, until a step moves less than the
# epsilon (pixels) -- the classic presets' tenth of a pixel and twenty iterations.
_LOCAL_STEPS = 20
_LOCAL_EPSILON = 0.1


class PosteriorTracking:
    """The per-frame steps of the recommended tracker's engine; the window is passed in and returned.

    Parameters
    ----------
    space : FeatureSpace
        How pixels become bins.
    search : WindowSearch
        The search stage's settings.
    size : ZerothMomentSize
        The size stage's settings.
    learning : ModelLearning
        The model stage's settings.
    policy : LossPolicy
        The loss verdict's ratios and what a lost target does, as the recovery part states them: lost
        when the box's mean weight falls below ``loss_ratio`` times the one at init or the match below
        ``loss_ratio`` times its recent level; lost until it is back to ``reacquire_ratio`` times the
        level; with ``search`` the search region and motion prior widen while lost, and with
        ``hold_when_lost`` the window keeps its last trusted position; the level decays by
        ``level_decay`` per lost frame.
    min_size, max_fraction : float
        Size bounds (pixels; fraction of the frame's side).
    similarity : Similarity or str
        The measure whose weights the search follows (default ``"posterior"``).
    """

    def __init__(self, space: FeatureSpace, search: WindowSearch | None = None, size: ZerothMomentSize | None = None,
                 learning: ModelLearning | None = None, *, policy: LossPolicy | None = None, min_size: float = 4.0,
                 max_fraction: float = 1.0, similarity: Similarity | str = "posterior") -> None:
        self.space = space
        self.search = search or WindowSearch()
        self.size = size or ZerothMomentSize()
        self.learning = learning or ModelLearning()
        self.policy = policy or LossPolicy(search=True)
        self.similarity = get_similarity(similarity)
        self.min_size, self.max_fraction = min_size, max_fraction
        self.texture = False
        self.gray_frames = False
        self._quantize = GridQuantizer(space)
        self._buffers: dict[str, np.ndarray] = {}
        self._allocate(space.n_bins)

    def _allocate(self, m: int) -> None:
        self.model = PosteriorModel(m)
        self._table_s = np.empty(m)  # P(obj | u): whether the colours separate the target, at init
        self._table = np.empty(m)  # the measure's weight table the search sums
        self._hist = np.empty(m)
        self._candidate = np.empty(m)
        self._hist_rect: tuple[int, int, int, int] | None = None
        self._tables_version = -1  # the model version the weight table was computed for
        self.level: float | None = None
        self.lost = 0

    # ---------------------------------------------------------------- geometry

    def _grid(self, frame: np.ndarray, cx: float, cy: float, hw: float, hh: float,
              exclude=(), *, once: bool = False) -> tuple[SearchGrid, np.ndarray]:
        height, width = frame.shape[:2]
        x0, y0 = max(int(math.floor(cx - hw)), 0), max(int(math.floor(cy - hh)), 0)
        x1, y1 = min(int(math.ceil(cx + hw)) + 1, width), min(int(math.ceil(cy + hh)) + 1, height)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        area = (x1 - x0) * (y1 - y0)
        step = max(1, round(math.sqrt(area / self.search.samples)))
        rows, cols = -(-(y1 - y0) // step), -(-(x1 - x0) // step)
        bins = self._buffer("bins", (rows, cols), np.int32)
        if self.texture:
            pixels = frame if frame.ndim == 3 else frame[:, :, None]
            if self.gray_frames:
                pixels = pixels[:, :, :1]  # three equal channels: the first is the intensity
            levels = self.texture_bins(frame)[0]
            quantize_texture(pixels, x0, y0, step, levels, max(2, step), _TEXTURE_TOLERANCE,
                             self.space.channel_order == "rgb", bins)
        else:
            self._quantize(frame, x0, y0, bins, step=step, once=once)
        grid = SearchGrid(x0, y0, step, rows, cols)
        for bx, by, bw, bh in exclude:
            j0, j1, i0, i1 = grid.rect(bx + (bw - 1) / 2, by + (bh - 1) / 2, bw, bh)
            bins[max(j0, 0):max(j1, 0), max(i0, 0):max(i1, 0)] = -1
        return grid, bins

    def _buffer(self, name: str, shape: tuple[int, int], dtype=np.float64) -> np.ndarray:
        """A work array of ``shape``, reused from frame to frame while the shape stays (contents undefined)."""
        array = self._buffers.get(name)
        if array is None or array.shape != shape:
            array = self._buffers[name] = np.empty(shape, dtype)
        return array

    def _clamp(self, w: float, h: float, shape) -> tuple[float, float]:
        height, width = shape[:2]
        lo = self.min_size
        return (min(max(w, lo), max(self.max_fraction * width, lo)),
                min(max(h, lo), max(self.max_fraction * height, lo)))

    # ---------------------------------------------------------------- init / update

    def init(self, frame: np.ndarray, cx: float, cy: float, w: float, h: float) -> None:
        self.gray_frames = frame.ndim == 2 or is_gray_bgr(frame)
        choice = self.learning.texture
        if choice == "auto" and not (self.gray_frames or self.space.name == "bgr"):
            # The joint bins are built on the frame's own channels: "auto" weighs them only against the
            # BGR (or gray) bins they refine; another colour space asked for keeps its bins.
            choice = "never"
        candidates = {"never": (False,), "always": (True,), "auto": (False, True)}[choice]
        best: tuple[float, bool] = (-math.inf, False)
        for texture in candidates:
            self._learn_first_with(texture, frame, cx, cy, w, h)
            if self.separation > best[0]:
                best = (self.separation, texture)
        if best[1] != self.texture:
            self._learn_first_with(best[1], frame, cx, cy, w, h)

    def _learn_first_with(self, texture: bool, frame: np.ndarray, cx: float, cy: float, w: float, h: float) -> None:
        """A fresh model in the colour-texture bins (``texture``) or the colour space's, learnt at init."""
        self.texture = texture
        self._allocate(self.texture_bins(frame)[1] if texture else self.space.n_bins)
        self._learn_first(frame, cx, cy, w, h)

    def texture_bins(self, frame: np.ndarray) -> tuple[int, int]:
        """``(levels, n_bins)`` of the joint colour-texture bins for frames like ``frame``.

        Colour frames: 8 levels per channel (``8**3 * 16`` bins). Grayscale frames (2-D, or three equal
        channels, read as one): 32 levels of the one intensity channel (``32 * 16`` bins), the gray
        feature space's default resolution.
        """
        if self.gray_frames:
            return _TEXTURE_GRAY_LEVELS, _TEXTURE_GRAY_LEVELS * 16
        return _TEXTURE_COLOUR_BINS, _TEXTURE_COLOUR_BINS ** frame.shape[2] * 16

    def _learn_first(self, frame: np.ndarray, cx: float, cy: float, w: float, h: float) -> None:
        surround = self.learning.surround
        # (At init only: the texture bins may win and the colour quantiser never run again.)
        grid, bins = self._grid(frame, cx, cy, w / 2 * surround, h / 2 * surround, once=True)
        self.model.learn(bins, grid.rect(cx, cy, w, h), grid.rect(cx, cy, w * surround, h * surround), 1.0)
        self.initial_size = (w, h)
        self.model.posterior_table(self._table_s)
        self.separation = float(np.dot(self.model.obj - self.model.sur, self._table_s))
        # the box's mean weight at init (the candidate is the object itself): what later boxes are held to
        self._weight_table(self.model.obj)
        self.objectness = float(np.dot(self.model.obj, self._table))

    def _weight_table(self, candidate: np.ndarray) -> None:
        """The measure's weights against the model into ``_table`` (kept while a fixed table's model stays).

        A measure whose weights are not probabilities (every one but ``posterior``) has its table divided
        by the weight an object pixel carries on average, ``sum_u q_u w_u`` (DESIGN.md), so that the
        zeroth moment of the weights reads as an area in pixels and a box's mean weight as its objectness.
        """
        measure, model = self.similarity, self.model
        if not measure.depends_on_candidate and self._tables_version == model.version:
            return
        measure.model_weights(candidate, model, out=self._table)
        if not measure.zeroth_moment_is_area:
            expected = float(np.dot(model.obj, self._table))
            if expected > 0:
                self._table /= expected
        self._tables_version = model.version

    @property
    def wants_proposal(self) -> bool:
        """Whether :meth:`update` should be given the classic mean-shift search's position."""
        p = self.search.proposal
        return p == "always" or (p == "auto" and not self.separable)

    @property
    def size_trust(self) -> float:
        """How far the colours separated the target at init beyond the threshold of :attr:`separable`, in [0, 1]."""
        floor = self.learning.separation
        return min(max((self.separation - floor) / (1 - floor), 0.0), 1.0) if floor < 1 else 0.0

    @property
    def separable(self) -> bool:
        """Whether the colours separated the target from its surroundings at init (``separation``)."""
        return self.separation >= self.learning.separation

    def _match(self, bins: np.ndarray, weights: np.ndarray, rect) -> tuple[float, float]:
        """``(bc, objectness)``: the Bhattacharyya coefficient of the box's histogram with the object
        model, and the box's mean weight (``P(obj | u)`` for the posterior measure) over the one at init.

        The coefficient alone stays high on background when the model holds the box's background
        corners; the objectness falls to the surroundings' level when the target is gone.
        """
        bc, total, count = _pk.rect_match(bins, *rect, self.model.obj, weights, self._hist)
        self._hist_rect = rect  # the box whose normalised histogram _hist now holds
        if count <= 0 or not self.objectness > 0:
            return bc, 0.0
        return bc, total / count / self.objectness

    def update(self, frame: np.ndarray, cx: float, cy: float, w: float, h: float, exclude=(),
               proposal: tuple[float, float] | None = None) -> PosteriorStep:
        learning, policy = self.learning, self.policy
        height, width = frame.shape[:2]
        px, py = cx, cy  # the tracker's motion part predicted the start
        grow = self.search.region * (1.5 ** min(self.lost, 4))
        grid, bins = self._grid(frame, px, py, w / 2 * grow, h / 2 * grow, exclude)
        model = self.model
        post = self._buffer("post", bins.shape)
        if self.similarity.depends_on_candidate:
            nx, ny, iterations = self._local_search(bins, grid, post, px, py, w, h)
        else:
            nx, ny, iterations = self._dense_search(bins, grid, post, px, py, w, h)
        nx = min(max(nx, 0.0), width - 1.0)
        ny = min(max(ny, 0.0), height - 1.0)
        target = grid.rect(nx, ny, w, h)
        confidence, objectness = self._match(bins, post, target)
        if proposal is not None:
            other = grid.rect(proposal[0], proposal[1], w, h)
            other_confidence, other_objectness = self._match(bins, post, other)
            if other_confidence > confidence:
                nx, ny, target, confidence, objectness = (proposal[0], proposal[1], other, other_confidence,
                                                          other_objectness)
        if self.lost and self.level is not None and confidence < policy.reacquire_ratio * self.level:
            # lost, and the best candidate is not convincing: stay where the target was last seen
            nx, ny = cx, cy

        # loss detection: low against the recent level
        level = self.level
        if level is None:
            ok = confidence > 0
        elif self.lost:
            ok = confidence >= policy.reacquire_ratio * level
        else:
            ok = confidence >= policy.loss_ratio * level
        # and the box must still look like the object, not like its surroundings
        ok = ok and objectness >= policy.loss_ratio
        nw, nh = w, h
        if not ok and policy.search and policy.hold_when_lost:
            # a lost target tells nothing about where it is: the window stays where it was last trusted
            nx, ny = cx, cy
        score, histogram = self._score(bins, grid.rect(nx, ny, w, h))
        if ok:
            # the zeroth moment is an area only where the posteriors say something: not on inseparable targets
            rule = self.size.rule
            if rule == "zeroth" or (rule == "zeroth-separable" and self.separable):
                nw, nh = self._zeroth_moment_size(grid, post, nx, ny, w, h, frame.shape)
            self.lost = 0
            # conservative update: a frame teaches the model when it matches it at least as well as the
            # recent level, or when its box is at least as object-like as at init (a change of look
            # keeps the box standing out from its surroundings; background or an occluder does not)
            if (level is None or confidence >= level
                    or (learning.learn_objectness is not None and objectness >= learning.learn_objectness)):
                outer = grid.rect(nx, ny, nw * learning.surround, nh * learning.surround)
                model.learn(bins, grid.rect(nx, ny, nw, nh), outer, learning.learning_rate)
            self.level = confidence if level is None else 0.9 * level + 0.1 * confidence
        elif policy.search:
            # lost: the search region and the motion prior widen each frame, and the window stays put
            # until a convincing match (see above)
            self.lost += 1
            if level is not None:
                self.level = level * policy.level_decay
        return PosteriorStep(nx, ny, nw, nh, ok, confidence, iterations, score, histogram)

    def _dense_search(self, bins: np.ndarray, grid: SearchGrid, post: np.ndarray, px: float, py: float, w: float,
                      h: float) -> tuple[float, float, int]:
        """The best box-sized window sum of the weights under the motion prior, refined by mean shift.

        For a measure whose table does not depend on the candidate, ``rho(p) = sum_u p_u w_u`` is linear in
        ``p``: a window's sum of weights *is* its similarity (times its size), so every window of the search
        region can be scored exactly at once. Fills ``post`` with the weight map; ``(x, y, iterations)``.
        """
        s = self.search
        self._weight_table(self.model.obj)
        st = grid.step
        rows, cols = max(1, round(h / st)), max(1, round(w / st))
        scores = self._buffer("scores", bins.shape)
        integral = self._buffer("integral", (bins.shape[0] + 1, bins.shape[1] + 1))
        # window (j, i) covers rows j - rows//2 .. j - rows//2 + rows - 1: its centre in grid units
        off_j, off_i = (rows - 1) / 2 - rows // 2, (cols - 1) / 2 - cols // 2
        gi, gj = grid.to_grid(px, py)
        prior_scale = 0.0
        if s.motion_sigma is not None:
            # Gaussian motion prior around the prediction, widening while the target is lost
            sigma = s.motion_sigma * math.sqrt(w * h) / st * (1.5 ** min(self.lost, 4))
            prior_scale = -0.5 / (sigma * sigma)
        stride = s.window_stride
        if min(rows, cols) < 4 * stride:
            stride = 1  # small windows are not smooth
        bj, bi = _pk.best_window(bins, self._table, rows, cols, off_j - gj, off_i - gi, prior_scale, stride, post,
                                 integral, scores)
        iterations = 1
        if scores[bj, bi] <= 0:
            return px, py, iterations  # nothing object-like in the search region: stay at the prediction
        gi, gj = bi + off_i, bj + off_j
        if s.refine:
            gi, gj, its, _ = _pk.map_mean_shift(post, gi, gj, w / 2 / st, h / 2 / st, 0.01, 10)
            iterations += its
        x, y = grid.to_frame(gi, gj)
        return x, y, iterations

    def _local_search(self, bins: np.ndarray, grid: SearchGrid, post: np.ndarray, px: float, py: float, w: float,
                      h: float) -> tuple[float, float, int]:
        """Mean shift from the prediction, the measure linearised again around the window at every step.

        A measure whose weights depend on the candidate (Bhattacharyya's ``sqrt(q_u / p_u)``, KL's ratio, ...)
        is linearised around the window it is taken at (DESIGN.md): its weights say which way the similarity
        grows from there, not how similar a window far away is, so they are followed locally, as the classic
        engine does. Fills ``post`` with the weight map of the last step; ``(x, y, iterations)``.
        """
        st = grid.step
        x, y = px, py
        iterations = 0
        for _ in range(_LOCAL_STEPS):
            n = _pk.grid_histogram(bins, *grid.rect(x, y, w, h), 0, 0, 0, 0, self._candidate)
            if n <= 0:
                break
            self._candidate /= n
            self._weight_table(self._candidate)
            _pk.posterior_map(bins, self._table, post)
            gi, gj = grid.to_grid(x, y)
            ni, nj, _, mass = _pk.map_mean_shift(post, gi, gj, w / 2 / st, h / 2 / st, 0.0, 1)
            iterations += 1
            if mass <= 0:
                break
            nx, ny = grid.to_frame(ni, nj)
            moved = math.hypot(nx - x, ny - y)
            x, y = nx, ny
            if moved < _LOCAL_EPSILON:
                break
        if iterations == 0 or n <= 0:
            _pk.posterior_map(bins, self._table, post)
        return x, y, max(iterations, 1)

    def _score(self, bins: np.ndarray, rect: tuple[int, int, int, int]) -> tuple[float, np.ndarray]:
        """The measure's value of the box ``rect``'s normalised histogram against the model, and the histogram."""
        histogram = self._hist
        if rect != self._hist_rect:  # (usually the box _match just read)
            n = _pk.grid_histogram(bins, *rect, 0, 0, 0, 0, histogram)
            if n > 0:
                histogram /= n
            self._hist_rect = rect
        measure = self.similarity
        # A fixed table of probabilities is the measure's own weights, unscaled and current: reused.
        if not measure.depends_on_candidate and measure.zeroth_moment_is_area:
            return float(measure.model_value(histogram, self.model, weights=self._table)), histogram
        return float(measure.model_value(histogram, self.model)), histogram

    def _zeroth_moment_size(self, grid: SearchGrid, post: np.ndarray, cx: float, cy: float, w: float, h: float,
                            shape) -> tuple[float, float]:
        """Area = zeroth moment of the weights (``post``) over the learning region, compared with the box's
        expected sample area ``(w - 1)(h - 1)``; bounded, checked, smoothed."""
        s, surround = self.size, self.learning.surround
        # a grid of any step puts on average (w - 1) / step samples across a box of w pixels (its pixel
        # centres span w - 1): the area the posteriors' identity holds in, in expectation over the centre
        reference = max(w - 1, 1.0) * max(h - 1, 1.0)
        ratio = _pk.zeroth_moment_ratio(post, grid.x0, grid.y0, grid.step, cx, cy, w, h, surround, s.max_step,
                                        s.scale_check, reference)
        # the better the colours separated the target at init, the more the measurement is believed: the
        # pull toward the initial size fades and the smoothing opens (ZerothMomentSize)
        trust = self.size_trust
        size_prior = s.size_prior * (1 - trust)
        smoothing = s.smoothing + (1 - s.smoothing) * trust
        if ratio != 1.0:  # a change (the band check, when on, agreed): the whole measured ratio, against the pull
            raw = ratio
            if not 1 / (1 + s.max_step) < ratio < 1 + s.max_step:  # bounded: sum the region again, unbounded
                raw = _pk.zeroth_moment_ratio(post, grid.x0, grid.y0, grid.step, cx, cy, w, h, surround, math.inf,
                                              False, reference)
            ratio = raw ** smoothing
        bound = (1 + s.max_step) ** smoothing
        prior = (self.initial_size[0] / w) ** size_prior if size_prior > 0 else 1.0
        ratio = min(max(ratio * prior, 1 / bound), bound)
        return self._clamp(w * ratio, h * ratio, shape)

