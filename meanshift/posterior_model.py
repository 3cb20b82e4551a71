"""The recommended tracker's model and the settings of its stages: search, size and learning.

See :mod:`meanshift.posterior` for how the engine uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from meanshift._kernels import posterior as _pk

__all__ = ["WindowSearch", "ZerothMomentSize", "ModelLearning", "PosteriorModel"]

# Joint colour-texture bins: levels per colour channel, and the brightness step a neighbour must exceed.
_TEXTURE_COLOUR_BINS = 8
# On grayscale frames, levels of the one intensity channel: the gray space's default resolution (16 and 64
# measured worse on both folds of benchmarks/results/gray_folds.md).
_TEXTURE_GRAY_LEVELS = 32
_TEXTURE_TOLERANCE = 4


def _check_choice(name: str, value: object, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


@dataclass(frozen=True)
class WindowSearch:
    """The search stage of the recommended tracker: where this frame's window is.

    The weights of the search region are summed over box-sized windows under a Gaussian motion prior
    around the prediction, and the best window is refined by mean shift (for a measure linear in the
    candidate, ``posterior`` among them; a measure linearised at the candidate is followed by mean shift
    from the prediction instead). Attributes are switchable one by one for the ablation.

    Attributes
    ----------
    region : float
        Side of the search region over the box's side.
    motion_sigma : float or None
        Gaussian motion prior on the window score, sigma in units of sqrt(box area); None for none.
    refine : bool
        Refine the best window by mean shift on the posterior map.
    samples : int
        Grid samples of the search region (the step is chosen to stay near this).
    window_stride : int
        Coarse-to-fine window search: score every ``window_stride``-th window in each direction, then
        the windows around the best of them (see :func:`meanshift._kernels.posterior.best_window`);
        1 scores every window. Used only on windows at least four strides wide and high.
    proposal : {"never", "auto", "always"}
        Also take the classic mean-shift search's position (Bhattacharyya weights of the target
        model, from the last position) as a candidate; of the two, the one whose histogram is closer
        to the object model (Bhattacharyya coefficient) wins. ``"auto"``: only when the colours do not
        separate the target from its surroundings at init (see ``separation``).
    """

    region: float = 4.0
    motion_sigma: float | None = 0.5
    refine: bool = True
    samples: int = 16384
    window_stride: int = 2
    proposal: str = "auto"

    def __post_init__(self) -> None:
        _check_choice("proposal", self.proposal, ("never", "auto", "always"))
        if not (isinstance(self.window_stride, int) and self.window_stride >= 1):
            raise ValueError(f"window_stride must be an integer >= 1, got {self.window_stride!r}")
        if not self.region >= 1:
            raise ValueError(f"region must be >= 1 (the search region's side over the box's), got {self.region!r}")


@dataclass(frozen=True)
class ZerothMomentSize:
    """The size stage: the box's area from the zeroth moment of the weights over the learning region.

    Attributes
    ----------
    rule : {"zeroth", "zeroth-separable", "fixed"}
        ``"zeroth"``: area = zeroth moment of the posteriors over the learning region;
        ``"zeroth-separable"``: the same when the colours separate the target at init (``separation``),
        fixed otherwise.
    max_step, smoothing : float
        Guard rails on the size: per-frame change of the side at most ``max_step``; exponential
        smoothing of log-size with weight ``smoothing`` for the new measurement.
    scale_check : bool
        Accept a growth only when the band it adds is mostly object (mean posterior > 1/2), a shrink
        only when the band it removes is mostly not.
    size_prior : float
        Per frame, pull log-size this fraction of the way back to the initial size (a prior on the
        scale, as ASMS regularises it), weighed against the whole measured ratio (``max_step`` bounds
        the combined change): counters the shrink of ambiguous posteriors, and the size returns after an
        occlusion. The box lags a steady change of size by about ``(size / initial) ** (prior /
        smoothing)``, with the pull and the smoothing as the trust below makes them. When the band check
        refuses a change the pull alone moves the size, within the same bound.

    The weight of the measurement grows with how well the colours separated the target at init
    (``ModelLearning.separation``'s quantity ``sum_u (q_u - b_u) P(obj | u)``), from the threshold at
    which the zeroth moment is trusted at all (``"zeroth-separable"``) to a perfect separation: the
    trust ``t = (separation - threshold) / (1 - threshold)`` in ``[0, 1]`` scales the pull to
    ``size_prior * (1 - t)`` and opens the smoothing to ``smoothing + (1 - smoothing) * t``. At the
    threshold the pull and the smoothing hold in full (weighed against the whole measurement, so without
    the 0.75-1.34 cap of the rule before); for crisp posteriors the zeroth moment sizes the box alone, as
    CAMSHIFT's moments size it on a clean back-projection, and a target growing or shrinking three times
    is followed (``tests/test_scale_scenes.py``). The guard rails are needed on real video: without the
    pull the perturbed protocol loses 0.049 on VOT and 0.012 on OTB, without the smoothing 0.013 on OTB
    and 0.011 on VOT. The trust replaced a full pull weighed against the bounded step, which capped the
    side at 0.75-1.34 times the initial one: against it VOT loses 0.013 (``vot2017_book``, ``ball1``),
    OTB and aerial do not (``benchmarks/results/robustness.md``; the runs before,
    ``robustness_before_size_trust.md``).
    """

    rule: str = "zeroth-separable"
    max_step: float = 0.05
    smoothing: float = 0.3
    scale_check: bool = True
    size_prior: float = 0.05

    def __post_init__(self) -> None:
        _check_choice("rule", self.rule, ("zeroth", "zeroth-separable", "fixed"))


@dataclass(frozen=True)
class ModelLearning:
    """The model stage: the object and surroundings histograms, the bins they are taken in, and which
    frames teach them.

    Attributes
    ----------
    surround : float
        Side of the learning region (box plus surroundings) over the box's side.
    learning_rate : float
        Blend rate of the object and surroundings histograms on confident frames.
    learn_objectness : float or None
        The conservative update teaches the model on a frame whose match with it is at least the recent
        level; it also teaches it on a frame whose box is at least this object-like (mean ``P(obj | u)``
        in the box over its value at init), None for the level alone. A target that changes its look
        steadily (a skier turning in the air) never matches as well as the recent level, so the level
        alone freezes the model and the target is declared lost while its box still stands out from its
        surroundings (objectness 1.2-1.4 in Skiing); an occluder or background in the box brings the
        objectness down (0.5-0.75 while the pole hides Jogging-1). 1.0, "as object-like as at init", is
        the default: under SRE fold A 0.455 -> 0.498, fold B 0.406 -> 0.431; in one pass A 0.494 -> 0.534
        and B 0.501 -> 0.466, dtb70_Animal3's lucky run lost (``benchmarks/results/robustness_ablation.md``).
    texture : {"auto", "never", "always"}
        Joint colour-texture bins (8 levels per channel x a 4-neighbour local binary pattern, see
        :func:`meanshift._kernels.texture.quantize_texture`) instead of the tracker's colour space;
        ``"auto"`` (the default): when they separate the target from its surroundings better at init, and
        the tracker's colour space is BGR or the frames are gray (the joint bins are built on the frame's
        own channels; another colour space asked for keeps its bins). On
        grayscale frames the joint bins read the one intensity channel at 32 levels (the gray space's
        default), not 8. Decided under the perturbed protocol over the 36 sequences (13 runs each), against
        colour bins alone on colour frames (the rule before, which kept texture to gray frames): OTB
        +0.021, VOT +0.003, aerial +0.049, the thermal video unchanged, all +0.028, 14 sequences better
        and 7 worse (``benchmarks/results/robustness.md``); no family loses. On the 19 sequences of the
        earlier folds it had lost on one (``benchmarks/results/ablation_folds.md``).
    separation : float
        The colours separate the target when the expected posterior of an object pixel exceeds that of
        a surroundings pixel by at least this much at init (``sum_u (q_u - b_u) P(obj | u)``).
    """

    surround: float = 2.0
    learning_rate: float = 0.05
    learn_objectness: float | None = 1.0
    texture: str = "auto"
    separation: float = 1 / 3

    def __post_init__(self) -> None:
        _check_choice("texture", self.texture, ("never", "auto", "always"))
        if self.learn_objectness is not None and not self.learn_objectness > 0:
            raise ValueError(f"learn_objectness must be positive or None, got {self.learn_objectness!r}")
        if not self.surround > 1:
            raise ValueError(f"surround must be > 1, got {self.surround!r}")


class PosteriorModel:
    """Object and surroundings histograms with their areas: the learnt model every measure is taken against.

    ``obj`` and ``sur`` are normalised histograms (:class:`meanshift.similarity.ObjectModel`);
    :meth:`posterior_table` gives ``P(obj | u)`` with the counts scaled by the areas.
    """

    def __init__(self, m: int) -> None:
        self.obj = np.zeros(m)
        self.sur = np.zeros(m)
        self.obj_area = self.sur_area = 0.0
        #: Counts the changes of the histograms: a table that does not depend on the candidate needs
        #: recomputing only when it moves.
        self.version = 0
        self._counts = np.zeros(m)

    def learn(self, bins: np.ndarray, target: tuple[int, int, int, int], outer: tuple[int, int, int, int],
              rate: float) -> None:
        """Blend the histograms of ``target`` and of ``outer`` minus ``target`` (grid rectangles) in at ``rate``."""
        self.version += 1
        j0, j1, i0, i1 = target
        n = _pk.blend_histogram(bins, j0, j1, i0, i1, 0, 0, 0, 0, rate, self._counts, self.obj)
        if n > 0:
            self.obj_area = (1 - rate) * self.obj_area + rate * n if self.obj_area else float(n)
        o0, o1, p0, p1 = outer
        n = _pk.blend_histogram(bins, o0, o1, p0, p1, j0, j1, i0, i1, rate, self._counts, self.sur)
        if n > 0:
            self.sur_area = (1 - rate) * self.sur_area + rate * n if self.sur_area else float(n)

    def posterior_table(self, out: np.ndarray) -> np.ndarray:
        """``P(obj | u) = A_o q_u / (A_o q_u + A_s b_u)`` into ``out``; a bin seen in neither gets the prior."""
        prior = self.obj_area / max(self.obj_area + self.sur_area, 1e-9)
        _pk.posterior_table(self.obj, self.obj_area, self.sur, self.sur_area, prior, out)
        return out
