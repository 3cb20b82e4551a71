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

from meanshift.config import Convergence, ScaleGuard
from meanshift.features import FeatureSpace, feature_spaces, get_features
from meanshift.kernels import Kernel, get_kernel, kernels
from meanshift.opencv import cam_shift, mean_shift
from meanshift.presets import PRESETS, camshift, comaniciu_meer, create_tracker, generalized
from meanshift.similarity import Similarity, get_similarity, register_similarity, similarities
from meanshift.tracker import SCALE_MODES, Tracker, TrackResult

__version__ = "0.1.0"

__all__ = [
    "Tracker",
    "TrackResult",
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
    "Convergence",
    "ScaleGuard",
    "__version__",
]
