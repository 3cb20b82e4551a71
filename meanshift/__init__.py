"""meanshift: real-time object tracking by generalized mean shift.

A target is a colour histogram; a pluggable similarity measure between the candidate and target
histograms gives every pixel a weight; mean shift moves the window to the weighted mean, and the
zeroth and second moments of the weights size and orient it. CAMSHIFT and Comaniciu/Meer's kernel
tracker are presets of this one engine.

Examples
--------
>>> import meanshift
>>> from meanshift.synthetic import moving_target_sequence
>>> frames = moving_target_sequence(n_frames=20, frame_size=(120, 160), base_size=(30, 24))
>>> first, box = next(frames)
>>> tracker = meanshift.generalized()
>>> tracker.init(first, box)
>>> results = [tracker.update(frame) for frame, _ in frames]
>>> all(r.ok for r in results)
True
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Bound now: importing the submodule `meanshift.kernels` later would otherwise replace the function
# `meanshift.kernels` by the module of the same name (kernels.py needs only NumPy).
from meanshift.kernels import Kernel, get_kernel, kernels

if TYPE_CHECKING:  # the real imports, for type checkers and IDEs
    from meanshift.config import Convergence, ScaleGuard
    from meanshift.features import FeatureSpace, feature_spaces, get_features
    from meanshift.motion import ConstantVelocity, MotionModel, get_motion_model, motion_models, register_motion_model
    from meanshift.multi import MultiTracker
    from meanshift.opencv import cam_shift, mean_shift
    from meanshift.presets import PRESETS, camshift, comaniciu_meer, create_tracker, generalized
    from meanshift.recovery import LossDetector, LossWatch, Reacquisition, get_recovery, recoveries, register_recovery
    from meanshift.result import TrackResult
    from meanshift.scale import (
        BandwidthScale,
        ContrastScale,
        FixedScale,
        MomentsScale,
        ScaleRule,
        get_scale_rule,
        register_scale_rule,
        scale_rules,
    )
    from meanshift.similarity import Similarity, get_similarity, register_similarity, similarities
    from meanshift.tracker import SCALE_MODES, Tracker

# Public names and the modules that define them. They are imported on first use (PEP 562), so that
# `import meanshift` and `meanshift --help` do not pay for Numba until something needs it.
_EXPORTS = {
    "Convergence": "meanshift.config", "ScaleGuard": "meanshift.config",
    "FeatureSpace": "meanshift.features", "feature_spaces": "meanshift.features", "get_features": "meanshift.features",
    "cam_shift": "meanshift.opencv", "mean_shift": "meanshift.opencv",
    "PRESETS": "meanshift.presets", "camshift": "meanshift.presets", "comaniciu_meer": "meanshift.presets",
    "create_tracker": "meanshift.presets", "generalized": "meanshift.presets",
    "Similarity": "meanshift.similarity", "get_similarity": "meanshift.similarity",
    "register_similarity": "meanshift.similarity", "similarities": "meanshift.similarity",
    "MultiTracker": "meanshift.multi",
    "SCALE_MODES": "meanshift.tracker", "Tracker": "meanshift.tracker", "TrackResult": "meanshift.result",
    **{name: "meanshift.scale" for name in ("ScaleRule", "FixedScale", "MomentsScale", "BandwidthScale",
                                            "ContrastScale", "scale_rules", "get_scale_rule", "register_scale_rule")},
    **{name: "meanshift.motion" for name in ("MotionModel", "ConstantVelocity", "motion_models", "get_motion_model",
                                             "register_motion_model")},
    **{name: "meanshift.recovery" for name in ("LossDetector", "Reacquisition", "LossWatch", "recoveries",
                                               "get_recovery", "register_recovery")},
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'meanshift' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


__version__ = "0.1.0"

__all__ = [
    "Tracker",
    "TrackResult",
    "MultiTracker",
    "SCALE_MODES",
    "camshift",
    "comaniciu_meer",
    "generalized",
    "create_tracker",
    "PRESETS",
    "mean_shift",
    "cam_shift",
    "Similarity",
    "similarities",
    "register_similarity",
    "get_similarity",
    "Kernel",
    "kernels",
    "get_kernel",
    "FeatureSpace",
    "feature_spaces",
    "get_features",
    "ScaleRule",
    "FixedScale",
    "MomentsScale",
    "BandwidthScale",
    "ContrastScale",
    "scale_rules",
    "get_scale_rule",
    "register_scale_rule",
    "MotionModel",
    "ConstantVelocity",
    "motion_models",
    "get_motion_model",
    "register_motion_model",
    "LossDetector",
    "Reacquisition",
    "LossWatch",
    "recoveries",
    "get_recovery",
    "register_recovery",
    "Convergence",
    "ScaleGuard",
    "__version__",
]
