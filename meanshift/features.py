"""Feature spaces: how a pixel becomes a histogram bin (HSV hue, hue x saturation, BGR, gray).

Quantisation runs in Numba over a rectangular *region* of the frame only, never the whole frame.
The HSV conversion is bit-exact with ``cv2.cvtColor(..., cv2.COLOR_BGR2HSV)`` so that a hue
histogram here equals ``cv2.calcHist`` on OpenCV's HSV image with the same mask.

Examples
--------
>>> import numpy as np
>>> from meanshift.features import get_features, quantize
>>> frame = np.zeros((4, 6, 3), np.uint8); frame[..., 2] = 255     # pure red, BGR
>>> int(quantize(frame, get_features("hue"))[0, 0])                  # hue 0 -> bin 0
0
>>> int(quantize(frame, get_features("bgr", bins=4))[0, 0])         # r in the top bin of 4
3
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from meanshift import _kernels
from meanshift.config import HSV_MASK_DEFAULT

__all__ = ["FeatureSpace", "get_features", "feature_spaces", "quantize", "select_features", "is_gray_bgr"]

_SDIV, _HDIV = _kernels.hsv_division_tables()


@dataclass(frozen=True)
class FeatureSpace:
    """A quantisation of pixels into ``n_bins`` histogram bins.

    Attributes
    ----------
    name : str
        ``"hue"``, ``"hue-sat"``, ``"bgr"`` or ``"gray"``.
    bins : tuple of int
        Bins per channel: ``(hue,)``, ``(hue, saturation)``, ``(per_channel,)`` or ``(gray,)``.
    s_min, v_min, v_max : int
        HSV mask for the hue spaces (pixels outside are ignored, as with ``cv2.inRange``).
    """

    name: str
    code: int
    bins: tuple[int, ...]
    s_min: int = HSV_MASK_DEFAULT[0]
    v_min: int = HSV_MASK_DEFAULT[1]
    v_max: int = HSV_MASK_DEFAULT[2]
    lut_a: np.ndarray = field(init=False, repr=False, compare=False)
    lut_b: np.ndarray = field(init=False, repr=False, compare=False)
    mask: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for b in self.bins:
            if not 1 <= int(b) <= 256:
                raise ValueError(f"{self.name}: bins per channel must be in 1..256, got {self.bins}")
        for name in ("s_min", "v_min", "v_max"):
            value = getattr(self, name)
            if not 0 <= int(value) <= 255:
                raise ValueError(f"{self.name}: {name} must be in 0..255, got {value}")
        # Lookup tables value -> bin, for the Numba kernels: channel/gray/hue values, and saturation.
        values = np.arange(256, dtype=np.int64)
        first = int(self.bins[0])
        if self.code in (_kernels.FEATURE_HUE, _kernels.FEATURE_HUE_SAT):
            lut_a = np.minimum(values * first // 180, first - 1)  # hue runs 0..179 (entries past it unused)
        else:
            lut_a = values * first >> 8
        second = int(self.bins[1]) if len(self.bins) > 1 else 1
        lut_b = values * second >> 8
        mask = np.array([self.s_min, self.v_min, self.v_max], dtype=np.int32)
        object.__setattr__(self, "lut_a", lut_a.astype(np.int32))
        object.__setattr__(self, "lut_b", lut_b.astype(np.int32))
        object.__setattr__(self, "mask", mask)

    @property
    def n_bins(self) -> int:
        """Total number of histogram bins ``m``."""
        if self.code == _kernels.FEATURE_BGR:
            return self.bins[0] ** 3
        return int(np.prod(self.bins))

    @property
    def masked(self) -> bool:
        """Whether some pixels can be masked out (the hue spaces with a non-trivial HSV mask)."""
        hue = self.code in (_kernels.FEATURE_HUE, _kernels.FEATURE_HUE_SAT)
        return hue and (self.s_min > 0 or self.v_min > 0 or self.v_max < 255)

    @property
    def needs_color(self) -> bool:
        """Whether the space needs BGR frames (all but gray)."""
        return self.code != _kernels.FEATURE_GRAY

    def with_bins(self, bins: int | tuple[int, ...]) -> FeatureSpace:
        """The same space with another number of bins (an int applies to every channel)."""
        if isinstance(bins, (int, np.integer)):
            bins = (int(bins),) * len(self.bins)
        return replace(self, bins=tuple(int(b) for b in bins))


_DEFAULT_BINS = {"hue": (16,), "hue-sat": (16, 8), "bgr": (16,), "gray": (32,)}
_CODES = {"hue": _kernels.FEATURE_HUE, "hue-sat": _kernels.FEATURE_HUE_SAT, "bgr": _kernels.FEATURE_BGR,
          "gray": _kernels.FEATURE_GRAY}
_ALIASES = {"rgb": "bgr", "hs": "hue-sat", "hue_sat": "hue-sat", "huesat": "hue-sat", "grey": "gray",
            "grayscale": "gray", "h": "hue"}


def feature_spaces() -> list[str]:
    """Names ``get_features`` accepts."""
    return list(_CODES)


def get_features(
    features: str | FeatureSpace = "hue",
    *,
    bins: int | tuple[int, ...] | None = None,
    s_min: int | None = None,
    v_min: int | None = None,
    v_max: int | None = None,
) -> FeatureSpace:
    """Build a feature space by name, or adjust a given one.

    Parameters
    ----------
    features : str or FeatureSpace
        ``"hue"`` (16 bins), ``"hue-sat"`` (16 x 8), ``"bgr"`` (16 per channel; alias ``"rgb"``)
        or ``"gray"`` (32).
    bins : int or tuple of int, optional
        Bins per channel.
    s_min, v_min, v_max : int, optional
        HSV mask of the hue spaces; default ``(60, 32, 255)``, the canonical CAMSHIFT mask.

    Raises
    ------
    ValueError
        For an unknown name or out-of-range bins/thresholds.
    """
    if isinstance(features, FeatureSpace):
        space = features
    else:
        key = str(features).strip().lower()
        key = _ALIASES.get(key, key)
        if key not in _CODES:
            raise ValueError(f"unknown feature space {features!r}; choose one of {', '.join(_CODES)}")
        space = FeatureSpace(key, _CODES[key], _DEFAULT_BINS[key])
    if bins is not None:
        space = space.with_bins(bins)
    changes = {k: int(v) for k, v in (("s_min", s_min), ("v_min", v_min), ("v_max", v_max)) if v is not None}
    return replace(space, **changes) if changes else space


def pixel_source(frame: np.ndarray, space: FeatureSpace) -> tuple:
    """What the Numba kernels need to quantise pixels of ``frame`` on demand; no validation.

    ``(frame as (H, W, C) uint8, code, lut_a, lut_b, mask, sdiv, hdiv)``: a single-channel frame is
    passed as a ``(H, W, 1)`` view (no copy).
    """
    pixels = frame if frame.ndim == 3 else frame[:, :, None]
    return (pixels, space.code, space.lut_a, space.lut_b, space.mask, _SDIV, _HDIV)


def quantize_into(
    frame: np.ndarray, space: FeatureSpace, rx0: int, ry0: int, out: np.ndarray, *, step: int = 1
) -> None:
    """Fill ``out[j, i]`` (int32) with the bin of pixel ``(rx0 + i*step, ry0 + j*step)``; no validation."""
    _kernels.quantize_region(pixel_source(frame, space), rx0, ry0, step, out)


def quantize(
    frame: np.ndarray, space: FeatureSpace, region: tuple[int, int, int, int] | None = None
) -> np.ndarray:
    """Bin index of every pixel of ``region`` (``x, y, w, h``; default: the whole frame), ``-1`` if masked.

    Parameters
    ----------
    frame : (H, W, 3) uint8 BGR or (H, W) uint8
        A grayscale frame can only be quantised by the ``"gray"`` space.
    space : FeatureSpace
    region : (x, y, w, h) ints, optional
        Must lie inside the frame.

    Returns
    -------
    (h, w) int32 array of bins in ``0 .. space.n_bins - 1`` or ``-1``.
    """
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] != 3):
        raise ValueError(f"frame must be uint8 HxWx3 (BGR) or HxW, got {frame.dtype} {frame.shape}")
    if frame.ndim == 2 and space.needs_color:
        raise ValueError(f"feature space {space.name!r} needs a BGR frame; use 'gray' for grayscale frames")
    if region is None:
        region = (0, 0, frame.shape[1], frame.shape[0])
    x, y, w, h = (int(v) for v in region)
    if x < 0 or y < 0 or w < 0 or h < 0 or x + w > frame.shape[1] or y + h > frame.shape[0]:
        raise ValueError(f"region {region} is not inside the {frame.shape[1]}x{frame.shape[0]} frame")
    out = np.empty((h, w), dtype=np.int32)
    quantize_into(frame, space, x, y, out)
    return out


#: Colour spaces ``features="auto"`` chooses from, with their bins.
AUTO_CANDIDATES = (("bgr", 16), ("hue-sat", (16, 16)), ("hue", 16))


def is_gray_bgr(frame: np.ndarray) -> bool:
    """Whether a BGR frame holds a grayscale picture (three equal channels), judged on a sparse grid."""
    sample = frame[::7, ::7]
    return bool(np.array_equal(sample[..., 0], sample[..., 1]) and np.array_equal(sample[..., 1], sample[..., 2]))


def select_features(frame: np.ndarray, box: tuple[float, float, float, float], default: FeatureSpace,
                    candidates: tuple = AUTO_CANDIDATES) -> FeatureSpace:
    """The candidate colour space that best separates the box from the ring around it (Collins et al. 2005).

    For each space, the log-likelihood ratio ``L_u = log(max(q_u, d) / max(b_u, d))`` of target
    ``q`` and background ``b`` histograms scores it by the variance ratio
    ``var(L; (q + b) / 2) / (var(L; q) + var(L; b))``: large when target and background pixels
    fall on distinct, each compact, sides of L. ``default`` when no candidate can be judged.
    """
    height, width = frame.shape[:2]
    x, y, w, h = box
    # The box and a ring half its size on every side, clipped to the frame.
    rx0, ry0 = max(int(x - w / 2), 0), max(int(y - h / 2), 0)
    rx1, ry1 = min(int(x + w * 1.5) + 1, width), min(int(y + h * 1.5) + 1, height)
    ys, xs = np.mgrid[ry0:ry1, rx0:rx1]
    inside = (xs >= x) & (xs < x + w) & (ys >= y) & (ys < y + h)
    best, best_ratio = default, -np.inf
    for name, bins in candidates:
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


def _weighted_variance(values: np.ndarray, weights: np.ndarray) -> float:
    mean = float(np.dot(weights, values))
    return float(np.dot(weights, (values - mean) ** 2))
