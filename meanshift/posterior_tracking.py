"""The per-frame steps of pixel-wise posterior tracking (:class:`PosteriorTracking`), state in and out.

The parts that put them into the engine are in :mod:`meanshift.posterior`; the mathematics in its
docstring and on the docs' mathematics page.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from meanshift._kernels import posterior as _pk
from meanshift._kernels.texture import quantize_texture
from meanshift.features import FeatureSpace, GridQuantizer, is_gray_bgr
from meanshift.posterior_model import (
    _TEXTURE_COLOUR_BINS,
    _TEXTURE_GRAY_LEVELS,
    _TEXTURE_TOLERANCE,
    PosteriorModel,
    PosteriorSettings,
)

__all__ = ["PosteriorTracking", "PosteriorStep"]


@dataclass
class PosteriorStep:
    """What one frame gives: the new state and the match quality."""

    cx: float
    cy: float
    w: float
    h: float
    ok: bool
    confidence: float
    iterations: int


class _Grid:
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


class PosteriorTracking:
    """The per-frame steps of pixel-wise posterior tracking; state is passed in and returned.

    Parameters
    ----------
    space : FeatureSpace
        How pixels become bins.
    settings : PosteriorSettings
    min_size, max_fraction : float
        Size bounds (pixels; fraction of the frame's side).
    recovery : bool
        Whether a lost target is searched for in a widening region (otherwise ``ok`` is only reported).
    loss_ratio, reacquire_ratio : float
        Loss when the box's mean posterior falls below ``loss_ratio`` times the one at init, when the
        confidence falls below ``loss_ratio`` times its recent level, or when the window
        jumps (more than its own size from the prediction) while below the level; lost until it is
        back to ``reacquire_ratio`` times the level.
    """

    def __init__(self, space: FeatureSpace, settings: PosteriorSettings, *, min_size: float, max_fraction: float,
                 loss_ratio: float, reacquire_ratio: float, motion: bool, recovery: bool = True) -> None:
        self.space = space
        self.settings = settings
        self.min_size, self.max_fraction = min_size, max_fraction
        self.loss_ratio, self.reacquire_ratio = loss_ratio, reacquire_ratio
        self.motion = motion
        self.recovery = recovery
        self.texture = False
        self.gray_frames = False
        self._quantize = GridQuantizer(space)
        self._buffers: dict[str, np.ndarray] = {}
        self._allocate(space.n_bins)

    def _allocate(self, m: int) -> None:
        self.model = PosteriorModel(m)
        self._table_s = np.empty(m)
        self._table = np.empty(m)
        self._hist = np.empty(m)
        self._tables_version = -1  # the model version the tables were computed for
        self.level: float | None = None
        self.lost = 0
        self.velocity = (0.0, 0.0)
        self._calibration: float | None = None  # scale_calibration: the first sizing's m00 over its reference area

    # ---------------------------------------------------------------- geometry

    def _grid(self, frame: np.ndarray, cx: float, cy: float, hw: float, hh: float,
              exclude=()) -> tuple[_Grid, np.ndarray]:
        height, width = frame.shape[:2]
        x0, y0 = max(int(math.floor(cx - hw)), 0), max(int(math.floor(cy - hh)), 0)
        x1, y1 = min(int(math.ceil(cx + hw)) + 1, width), min(int(math.ceil(cy + hh)) + 1, height)
        x1, y1 = max(x1, x0 + 1), max(y1, y0 + 1)
        area = (x1 - x0) * (y1 - y0)
        step = max(1, round(math.sqrt(area / self.settings.samples)))
        rows, cols = -(-(y1 - y0) // step), -(-(x1 - x0) // step)
        bins = self._buffer("bins", (rows, cols), np.int32)
        if self.texture:
            pixels = frame if frame.ndim == 3 else frame[:, :, None]
            if self.gray_frames:
                pixels = pixels[:, :, :1]  # three equal channels: the first is the intensity
            levels = self.texture_bins(frame)[0]
            quantize_texture(pixels, x0, y0, step, levels, max(2, step), _TEXTURE_TOLERANCE, bins)
        else:
            self._quantize(frame, x0, y0, bins, step=step)
        grid = _Grid(x0, y0, step, rows, cols)
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
        s = self.settings
        self.gray_frames = frame.ndim == 2 or is_gray_bgr(frame)
        mode = s.texture if s.texture != "gray" else ("auto" if self.gray_frames else "never")
        candidates = {"never": (False,), "always": (True,), "auto": (False, True)}[mode]
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
        s = self.settings
        grid, bins = self._grid(frame, cx, cy, w / 2 * s.surround, h / 2 * s.surround)
        self.model.learn(bins, grid.rect(cx, cy, w, h), grid.rect(cx, cy, w * s.surround, h * s.surround), 1.0)
        self.initial_size = (w, h)
        self.model.tables(self._table_s, self._table, False)
        self.separation = float(np.dot(self.model.obj - self.model.sur, self._table_s))
        self.objectness = float(np.dot(self.model.obj, self._table_s))  # mean P(obj | u) in the box

    @property
    def wants_proposal(self) -> bool:
        """Whether :meth:`update` should be given the classic mean-shift search's position."""
        p = self.settings.proposal
        return p == "always" or (p == "auto" and not self.separable)

    @property
    def separable(self) -> bool:
        """Whether the colours separated the target from its surroundings at init (``separation``)."""
        return self.separation >= self.settings.separation
        self.level = None
        self.lost = 0
        self.velocity = (0.0, 0.0)

    def _match(self, bins: np.ndarray, post_s: np.ndarray, rect) -> tuple[float, float]:
        """``(bc, objectness)``: the Bhattacharyya coefficient of the box's histogram with the object
        model, and the box's mean ``P(obj | u)`` over the one at init.

        The coefficient alone stays high on background when the model holds the box's background
        corners; the objectness falls to the surroundings' level when the target is gone.
        """
        bc, total, count = _pk.rect_match(bins, *rect, self.model.obj, post_s, self._hist)
        if count <= 0 or not self.objectness > 0:
            return bc, 0.0
        return bc, total / count / self.objectness

    def update(self, frame: np.ndarray, cx: float, cy: float, w: float, h: float, exclude=(),
               proposal: tuple[float, float] | None = None) -> PosteriorStep:
        s = self.settings
        height, width = frame.shape[:2]
        px, py = cx, cy
        if self.motion and not self.lost:
            px = min(max(cx + self.velocity[0], 0.0), width - 1.0)
            py = min(max(cy + self.velocity[1], 0.0), height - 1.0)
        grow = s.search * (1.5 ** min(self.lost, 4))
        grid, bins = self._grid(frame, px, py, w / 2 * grow, h / 2 * grow, exclude)
        model = self.model
        if self._tables_version != model.version:
            model.tables(self._table_s, self._table, s.distractors)
            self._tables_version = model.version
        post = self._buffer("post", bins.shape)
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
        if s.distractors or min(rows, cols) < 4 * stride:
            stride = 1  # the distractor search reads every window's score; small windows are not smooth
        bj, bi = _pk.best_window(bins, self._table, rows, cols, off_j - gj, off_i - gi, prior_scale, stride, post,
                                 integral, scores)
        iterations = 1
        if scores[bj, bi] <= 0:
            # nothing object-like in the search region: stay at the prediction
            nx, ny = px, py
        else:
            gi, gj = bi + off_i, bj + off_j
            if s.refine:
                gi, gj, its, mass = _pk.map_mean_shift(post, gi, gj, w / 2 / st, h / 2 / st, 0.01, 10)
                iterations += its
            nx, ny = grid.to_frame(gi, gj)
        nx = min(max(nx, 0.0), width - 1.0)
        ny = min(max(ny, 0.0), height - 1.0)
        target = grid.rect(nx, ny, w, h)
        post_s = post
        if model.has_distractors and s.distractors:
            post_s = self._buffer("post_s", bins.shape)
            _pk.posterior_map(bins, self._table_s, post_s)
        confidence, objectness = self._match(bins, post_s, target)
        if proposal is not None:
            other = grid.rect(proposal[0], proposal[1], w, h)
            other_confidence, other_objectness = self._match(bins, post_s, other)
            if other_confidence > confidence:
                nx, ny, target, confidence, objectness = (proposal[0], proposal[1], other, other_confidence,
                                                          other_objectness)
        if self.lost and self.level is not None and confidence < self.reacquire_ratio * self.level:
            # lost, and the best candidate is not convincing: stay where the target was last seen
            nx, ny = cx, cy

        # loss detection: low against the recent level, or a jump while below it
        level = self.level
        jump = math.hypot(nx - px, ny - py) > 0.5 * math.sqrt(w * h)
        if level is None:
            ok = confidence > 0
        elif self.lost:
            ok = confidence >= self.reacquire_ratio * level
        else:
            ok = confidence >= self.loss_ratio * level and not (s.jump_check and jump and confidence < level * 0.9)
        # and the box must still look like the object, not like its surroundings
        ok = ok and objectness >= self.loss_ratio
        nw, nh = w, h
        if not ok and self.recovery and s.hold_when_lost:
            # a lost target tells nothing about where it is: the window stays where it was last trusted
            nx, ny = cx, cy
        if ok:
            # the zeroth moment is an area only where the posteriors say something: not on inseparable targets
            if s.scale_rule == "zeroth" or (s.scale_rule == "zeroth-separable" and self.separable):
                nw, nh = self._zeroth_moment_size(grid, post_s, nx, ny, w, h, frame.shape)
            moved = (nx - cx, ny - cy)
            self.velocity = (0.5 * self.velocity[0] + 0.5 * moved[0], 0.5 * self.velocity[1] + 0.5 * moved[1])
            self.lost = 0
            # conservative update: a frame teaches the model when it matches it at least as well as the
            # recent level, or when its box is at least as object-like as at init (a change of look
            # keeps the box standing out from its surroundings; background or an occluder does not)
            if (level is None or confidence >= level
                    or (s.learn_objectness is not None and objectness >= s.learn_objectness)):
                outer = grid.rect(nx, ny, nw * s.surround, nh * s.surround)
                model.learn(bins, grid.rect(nx, ny, nw, nh), outer, s.learning_rate)
                if s.distractors:
                    found = self._distractors(scores, bins, bj, bi, rows, cols)
                    if s.distractor_match > 0:
                        # a distractor must also look like the object (its histogram), not only score
                        found = [d for d in found
                                 if _pk.rect_match(bins, *d, model.obj, post_s, self._hist)[0]
                                 >= s.distractor_match * confidence]
                    if found:
                        model.learn_distractors(bins, found, s.learning_rate if model.has_distractors else 1.0)
            self.level = confidence if level is None else 0.9 * level + 0.1 * confidence
        elif self.recovery:
            # lost: the search region and the motion prior widen each frame, and the window stays put
            # until a convincing match (see above)
            self.lost += 1
            self.velocity = (0.8 * self.velocity[0], 0.8 * self.velocity[1])
            if level is not None:
                self.level = level * s.level_decay
        return PosteriorStep(nx, ny, nw, nh, ok, confidence, iterations)

    def _distractors(self, scores: np.ndarray, bins: np.ndarray, bj: int, bi: int, rows: int,
                     cols: int) -> list[tuple[int, int, int, int]]:
        """Other windows scoring at least ``distractor_ratio`` of the target's (greedy, non-overlapping)."""
        s = self.settings
        target = scores[bj, bi]
        if target <= 0:
            return []
        work = scores.copy()
        found = []
        j, i = bj, bi
        for _ in range(4):
            work[max(0, j - rows + 1):j + rows, max(0, i - cols + 1):i + cols] = 0.0
            index = int(np.argmax(work))
            j, i = divmod(index, work.shape[1])
            if work[j, i] < s.distractor_ratio * target:
                break
            top, left = j - rows // 2, i - cols // 2
            found.append((top, top + rows, left, left + cols))
        return found

    def _zeroth_moment_size(self, grid: _Grid, post: np.ndarray, cx: float, cy: float, w: float, h: float,
                            shape) -> tuple[float, float]:
        """Area = zeroth moment of ``P(obj | u)`` (``post``, against the surroundings) over the learning
        region, compared with the box's area (``zeroth_area``, ``scale_calibration``); bounded, checked,
        smoothed."""
        s = self.settings
        reference = 0.0
        if s.zeroth_area == "samples":
            # the identity the model was learnt under holds in grid samples: the box's grid rectangle
            # holds about (w - 1)(h - 1) / step^2 of them, not w h / step^2 (a fractional centre)
            rows, cols = post.shape
            j0, j1, i0, i1 = grid.rect(cx, cy, w, h)
            count = max(0, min(j1, rows) - max(j0, 0)) * max(0, min(i1, cols) - max(i0, 0))
            if count > 0:
                reference = count * grid.step ** 2
        elif s.zeroth_area == "expected":
            # the same area in expectation over the centre's fraction: a grid of any step puts on average
            # (w - 1) / step samples across a box of w pixels (its pixel centres span w - 1)
            reference = max(w - 1, 1.0) * max(h - 1, 1.0)
        if s.scale_calibration:
            # the lag bias of the measurement, read on the first update (the model fits frame 0 only,
            # the size has had one frame to change): later ratios are taken relative to it
            if self._calibration is None:
                j0, j1, i0, i1 = grid.rect(cx, cy, w * s.surround, h * s.surround)
                m00 = _pk.rect_sum(post, j0, j1, i0, i1) * grid.step ** 2
                self._calibration = m00 / (reference if reference > 0 else w * h) if m00 > 0 else 1.0
            reference = (reference if reference > 0 else w * h) * self._calibration
        ratio = _pk.zeroth_moment_ratio(post, grid.x0, grid.y0, grid.step, cx, cy, w, h, s.surround, s.max_step,
                                        s.scale_check, reference)
        prior = (self.initial_size[0] / w) ** s.size_prior if s.size_prior > 0 else 1.0
        if s.size_prior_against == "measurement" and s.size_prior > 0 and ratio != 1.0:
            # the prior against the whole measured ratio (unbounded, the band check passed above), the
            # combined change bounded: bounding the measurement first caps the size where its largest
            # step balances the prior's pull
            raw = _pk.zeroth_moment_ratio(post, grid.x0, grid.y0, grid.step, cx, cy, w, h, s.surround, math.inf,
                                          False, reference)
            bound = (1 + s.max_step) ** s.smoothing
            ratio = min(max(raw ** s.smoothing * prior, 1 / bound), bound)
        else:
            ratio = ratio ** s.smoothing * prior
        return self._clamp(w * ratio, h * ratio, shape)

