"""Presets: the classic trackers as settings of the one engine, and our recommended default.

``Tracker()``'s defaults are the recommended tracker (what :func:`generalized` sets); each preset sets
every parameter in which it differs from them, so a change of the defaults never changes a preset.

Examples
--------
>>> import meanshift
>>> meanshift.camshift()
Tracker(features='hue', bins=(16,), similarity='backprojection', kernel='flat', scale='moments', rotation=True)
>>> meanshift.create_tracker("comaniciu-meer", kernel="gaussian").kernel.name
'gaussian'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meanshift.config import Convergence, ScaleGuard
from meanshift.tracker import DEFAULT_CONVERGENCE, Tracker

__all__ = ["camshift", "comaniciu_meer", "generalized", "create_tracker", "PRESETS"]


def camshift(**overrides: Any) -> Tracker:
    """Bradski's CAMSHIFT (1998), as ``cv2.CamShift`` with OpenCV's sample pipeline.

    16-bin hue histogram under the mask ``S >= 60, 32 <= V <= 255``, back-projection weights
    (``q_u / max q``), flat kernel, window size and orientation from the moments every frame (no
    smoothing or per-frame bound, only a minimum size and at most 90 % of the frame), 10 iterations or
    1 px as OpenCV's sample. The moments are taken over the window grown by a quarter of its half-size
    on every side (``cv2.CamShift`` grows it by 10 px; on the shared sequences this margin measured
    AUC 0.233 against 0.221 with 0.4 and 0.187 with 0.2, OpenCV's pipeline 0.229).
    Like ``cv2.CamShift`` the window follows whatever it holds (``min_confidence=0``), but ``ok`` is
    honest: the ``"watch"`` recovery part (:class:`~meanshift.recovery.LossWatch`) reports the target
    lost while the match is below 0.6 of its recent level, without changing what the window does
    (``recovery=False`` gives OpenCV's ``ok``, False only when no pixel of target colour is left).
    Keyword arguments override any :class:`Tracker` parameter.
    """
    settings: dict[str, Any] = dict(
        features="hue", bins=16, similarity="backprojection", kernel="flat", scale="moments", rotation=True,
        convergence=Convergence(epsilon=1.0, max_iterations=10),
        guard=ScaleGuard(max_step=None, smoothing=1.0, min_size=6.0, max_fraction=0.9),
        scale_margin=0.25, min_confidence=0.0, recovery="watch",
        background_weighting=False, model_update=0.0, motion="none", max_samples=4096,
    )
    settings.update(overrides)
    return Tracker(**settings)


def comaniciu_meer(**overrides: Any) -> Tracker:
    """Comaniciu, Ramesh & Meer, "Kernel-based object tracking" (PAMI 2003).

    RGB histogram of 16x16x16 bins, Epanechnikov kernel, Bhattacharyya coefficient with weights
    ``sqrt(q_u / p_u)``, and the paper's bandwidth rule: converge with h, 0.9 h and 1.1 h, keep the
    most similar, ``h_new = 0.1 h_best + 0.9 h``. Keyword arguments override any :class:`Tracker` parameter.
    """
    settings: dict[str, Any] = dict(
        features="bgr", bins=16, similarity="bhattacharyya", kernel="epanechnikov", scale="bandwidth",
        convergence=Convergence(epsilon=0.1, max_iterations=20),
        bandwidth_step=0.1, bandwidth_smoothing=0.1,
        background_weighting=False, recovery=False, min_confidence=0.1, model_update=0.0, motion="none",
        max_samples=4096,
    )
    settings.update(overrides)
    return Tracker(**settings)


def generalized(**overrides: Any) -> Tracker:
    """Our recommended default: the settings that measured best on the shared sequences, fold by fold.

    ``scale="posterior"`` (issue 15, :mod:`meanshift.posterior` with the default
    :class:`~meanshift.posterior_model.WindowSearch`, :class:`~meanshift.posterior_model.ZerothMomentSize` and
    :class:`~meanshift.posterior_model.ModelLearning`): each pixel weighs P(obj | u) from an object
    histogram (BGR 16x16x16) and a histogram of its surroundings; the window is the best box-sized sum
    of posteriors under a Gaussian motion prior, refined by mean shift on the posterior map; its size
    follows the zeroth moment of the posteriors (the expected object area) within guard rails, when
    the colours separate the target at init. Otherwise the classic search (Bhattacharyya weights of a
    background-weighted model, CBWH, Epanechnikov kernel) proposes a position too and the closer
    match to the object model wins. The posteriors use joint colour x local-binary-pattern bins when
    those separate the target better at init (``ModelLearning.texture="auto"``; on grayscale frames, gray
    features, 32 intensity levels x the pattern). The models learn at 0.05 on confident frames; ``ok`` is
    False while the match is below 0.4 of its recent level. Options are kept only if no family of the 36
    shared sequences loses under the perturbed protocol (``benchmarks/results/robustness.md``), with one
    exception said there: the size's trust in well-separated colours, kept for following a real change
    of scale although VOT lost 0.013 with it.
    Keyword arguments override any :class:`Tracker` parameter; the previous default is
    ``generalized(scale="contrast")``.
    """
    settings: dict[str, Any] = dict(
        features="bgr", bins=16, similarity="posterior", kernel="epanechnikov", scale="posterior",
        background_weighting=True, recovery=True,
        # The classic search only proposes a position here (inseparable targets), which the posterior
        # step's own candidate may beat: half a pixel and ~1,024 samples a window are enough (issue 16:
        # Human7 0.39x -> 0.77x OpenCV's speed; one pass A -0.002 / B -0.003, SRE A +0.002 / B -0.001,
        # benchmarks/results/speed_versions.md, ablation_folds.md and robustness.md).
        convergence=DEFAULT_CONVERGENCE,
        bandwidth_step=0.1, bandwidth_smoothing=0.1,
        max_samples=1024,
    )
    settings.update(overrides)
    return Tracker(**settings)


_PRESETS: dict[str, Callable[..., Tracker]] = {
    "camshift": camshift,
    "comaniciu-meer": comaniciu_meer,
    "generalized": generalized,
}
#: Names accepted by :func:`create_tracker` (and the CLI's ``--preset``).
PRESETS: tuple[str, ...] = tuple(_PRESETS)


def create_tracker(
    preset: str = "generalized",
    *,
    similarity: str | None = None,
    kernel: str | None = None,
    features: str | None = None,
    bins: int | tuple[int, ...] | None = None,
    **overrides: Any,
) -> Tracker:
    """A preset by name with optional overrides (``None`` keeps the preset's choice).

    Raises
    ------
    ValueError
        For an unknown preset name (the message lists :data:`PRESETS`).
    """
    key = str(preset).strip().lower().replace("_", "-")
    if key not in _PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose one of {', '.join(PRESETS)}")
    for name, value in (("similarity", similarity), ("kernel", kernel), ("features", features), ("bins", bins)):
        if value is not None:
            overrides[name] = value
    return _PRESETS[key](**overrides)
