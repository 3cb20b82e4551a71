"""Feature spaces: how a pixel becomes a histogram bin (HSV hue, hue x saturation, BGR, gray, HSV-full, Lab, YCrCb).

Quantisation runs in Numba over a rectangular *region* of the frame only, never the whole frame.
The HSV conversions are bit-exact with ``cv2.cvtColor(..., cv2.COLOR_BGR2HSV)`` (and ``_FULL``) so that a
hue histogram here equals ``cv2.calcHist`` on OpenCV's HSV image with the same mask. Lab and YCrCb are
converted by ``cv2.cvtColor`` itself, over the search region only (so they are OpenCV's 8-bit values by
construction), then binned per channel in Numba.

Frames are BGR, as OpenCV reads them; ``channel_order="rgb"`` (:func:`get_features`, or
``Tracker(channel_order="rgb")``) reads RGB frames (imageio, PIL, deep-learning loaders) by swapping the
channel indices the kernels read, without copying a frame.

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
_HDIV_FULL = _kernels.hsv_division_tables(256)[1]

#: Channel orders a frame may have (``channel_order=``).
CHANNEL_ORDERS = ("bgr", "rgb")


@dataclass(frozen=True)
class FeatureSpace:
    """A quantisation of pixels into ``n_bins`` histogram bins.

    Attributes
    ----------
    name : str
        ``"hue"``, ``"hue-sat"``, ``"bgr"``, ``"gray"``, ``"hsv-full"``, ``"lab"`` or ``"ycrcb"``.
    bins : tuple of int
        Bins per channel: ``(hue,)``, ``(hue, saturation)``, ``(gray,)``, or ``(per_channel,)`` for the
        three-channel spaces (bgr, hsv-full, lab, ycrcb: ``per_channel ** 3`` bins).
    s_min, v_min, v_max : int
        HSV mask for the hue spaces (pixels outside are ignored, as with ``cv2.inRange``).
    channel_order : {"bgr", "rgb"}
        The order of the frames' channels: OpenCV's BGR, or RGB (imageio, PIL, deep-learning loaders).
    """

    name: str
    code: int
    bins: tuple[int, ...]
    s_min: int = HSV_MASK_DEFAULT[0]
    v_min: int = HSV_MASK_DEFAULT[1]
    v_max: int = HSV_MASK_DEFAULT[2]
    channel_order: str = "bgr"
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
        if self.channel_order not in CHANNEL_ORDERS:
            raise ValueError(f"channel_order must be 'bgr' (OpenCV's frames) or 'rgb' (imageio, PIL), "
                             f"got {self.channel_order!r}")
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
        if self.code in _THREE_CHANNEL_CODES:
            return self.bins[0] ** 3
        return int(np.prod(self.bins))

    @property
    def converted(self) -> bool:
        """Whether pixels are converted by ``cv2.cvtColor`` (over the search region) before binning."""
        return self.code in (_kernels.FEATURE_LAB, _kernels.FEATURE_YCRCB)

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


_THREE_CHANNEL_CODES = (_kernels.FEATURE_BGR, _kernels.FEATURE_HSV_FULL, _kernels.FEATURE_LAB,
                        _kernels.FEATURE_YCRCB)
_DEFAULT_BINS = {"hue": (16,), "hue-sat": (16, 8), "bgr": (16,), "gray": (32,), "hsv-full": (16,), "lab": (16,),
                 "ycrcb": (16,)}
_CODES = {"hue": _kernels.FEATURE_HUE, "hue-sat": _kernels.FEATURE_HUE_SAT, "bgr": _kernels.FEATURE_BGR,
          "gray": _kernels.FEATURE_GRAY, "hsv-full": _kernels.FEATURE_HSV_FULL, "lab": _kernels.FEATURE_LAB,
          "ycrcb": _kernels.FEATURE_YCRCB}
_ALIASES = {"rgb": "bgr", "hs": "hue-sat", "hue_sat": "hue-sat", "huesat": "hue-sat", "grey": "gray",
            "grayscale": "gray", "h": "hue", "hsv_full": "hsv-full", "hsvfull": "hsv-full", "cielab": "lab",
            "ycc": "ycrcb", "ycbcr": "ycrcb"}
#: The cv2.cvtColor conversion of the converted spaces, by channel order.
_CVT_CODES = {("lab", "bgr"): "COLOR_BGR2Lab", ("lab", "rgb"): "COLOR_RGB2Lab",
              ("ycrcb", "bgr"): "COLOR_BGR2YCrCb", ("ycrcb", "rgb"): "COLOR_RGB2YCrCb"}


def feature_spaces() -> list[str]:
    """Every name ``Tracker(features=...)`` accepts: the spaces :func:`get_features` builds, then ``"auto"``.

    (``get_features`` also takes a few aliases: ``"rgb"`` for ``"bgr"``, ``"hs"``, ``"grey"``, ``"ycbcr"``, ...)

    Examples
    --------
    >>> from meanshift.features import feature_spaces
    >>> feature_spaces()
    ['hue', 'hue-sat', 'bgr', 'gray', 'hsv-full', 'lab', 'ycrcb', 'auto']
    """
    return [*_CODES, "auto"]


def get_features(
    features: str | FeatureSpace = "hue",
    *,
    bins: int | tuple[int, ...] | None = None,
    s_min: int | None = None,
    v_min: int | None = None,
    v_max: int | None = None,
    channel_order: str | None = None,
) -> FeatureSpace:
    """Build a feature space by name, or adjust a given one.

    Parameters
    ----------
    features : str or FeatureSpace
        ``"hue"`` (16 bins), ``"hue-sat"`` (16 x 8), ``"bgr"`` (16 per channel; alias ``"rgb"``),
        ``"gray"`` (32), or, 16 per channel each: ``"hsv-full"`` (H over 0..255 as
        ``cv2.COLOR_BGR2HSV_FULL``, S, V; no mask), ``"lab"`` (``cv2.COLOR_BGR2Lab``, 8-bit) or
        ``"ycrcb"`` (``cv2.COLOR_BGR2YCrCb``).
    bins : int or tuple of int, optional
        Bins per channel.
    s_min, v_min, v_max : int, optional
        HSV mask of the hue spaces; default ``(60, 32, 255)``, the canonical CAMSHIFT mask.
    channel_order : {"bgr", "rgb"}, optional
        Order of the frames' channels (default ``"bgr"``, OpenCV's).

    Raises
    ------
    ValueError
        For an unknown name or out-of-range bins/thresholds.

    Examples
    --------
    >>> from meanshift.features import get_features
    >>> space = get_features("lab", bins=8, channel_order="rgb")
    >>> space.n_bins, space.channel_order
    (512, 'rgb')
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
    changes: dict = {k: int(v) for k, v in (("s_min", s_min), ("v_min", v_min), ("v_max", v_max)) if v is not None}
    if channel_order is not None:
        changes["channel_order"] = str(channel_order).strip().lower()
    return replace(space, **changes) if changes else space


def _blue_red_indices(space: FeatureSpace) -> tuple[int, int]:
    """Channel indices of blue and red in the frames ``space`` reads (RGB frames are read without a copy)."""
    return (2, 0) if space.channel_order == "rgb" else (0, 2)


def pixel_source(frame: np.ndarray, space: FeatureSpace, x0: int = 0, y0: int = 0, x1: int | None = None,
                 y1: int | None = None, step: int = 1) -> tuple:
    """What the Numba kernels need to quantise pixels of ``frame`` on demand; no validation.

    ``(pixels as (H, W, C) uint8, code, lut_a, lut_b, mask, sdiv, hdiv, ib, ir, ox, oy, ss)``: a
    single-channel frame is passed as a ``(H, W, 1)`` view (no copy); ``ib, ir`` are the channel indices of
    blue and red (swapped for RGB frames, no copy). For the converted spaces (Lab, YCrCb), ``pixels`` is
    the grid of every ``step``-th pixel of the box ``[x0, x1) x [y0, y1)`` (default: the whole frame)
    converted by ``cv2.cvtColor`` (a per-pixel conversion: only the pixels the kernels may read are
    converted), with its origin ``(ox, oy) = (x0, y0)`` and ``ss = step``; the kernels must then read
    that grid only.
    """
    if frame.ndim == 2:
        return (frame[:, :, None], space.code, space.lut_a, space.lut_b, space.mask, _SDIV, _HDIV, 0, 0, 0, 0, 1)
    hdiv = _HDIV_FULL if space.code == _kernels.FEATURE_HSV_FULL else _HDIV
    if space.converted:
        import cv2  # only these spaces need it

        height, width = frame.shape[:2]
        x1 = width if x1 is None else min(x1, width)
        y1 = height if y1 is None else min(y1, height)
        x0, y0 = max(x0, 0), max(y0, 0)
        pixels: np.ndarray
        if x1 <= x0 or y1 <= y0:  # an empty region reads no pixel
            pixels = np.zeros((1, 1, 3), np.uint8)
        else:
            conversion = getattr(cv2, _CVT_CODES[space.name, space.channel_order])
            pixels = cv2.cvtColor(np.ascontiguousarray(frame[y0:y1:step, x0:x1:step]), conversion)
        return (pixels, space.code, space.lut_a, space.lut_b, space.mask, _SDIV, hdiv, 0, 2, x0, y0, step)
    ib, ir = _blue_red_indices(space)
    return (frame, space.code, space.lut_a, space.lut_b, space.mask, _SDIV, hdiv, ib, ir, 0, 0, 1)


def quantize_into(
    frame: np.ndarray, space: FeatureSpace, rx0: int, ry0: int, out: np.ndarray, *, step: int = 1
) -> None:
    """Fill ``out[j, i]`` (int32) with the bin of pixel ``(rx0 + i*step, ry0 + j*step)``; no validation."""
    rows, cols = out.shape
    source = pixel_source(frame, space, rx0, ry0, rx0 + (cols - 1) * step + 1, ry0 + (rows - 1) * step + 1, step)
    _kernels.quantize_region(source, rx0, ry0, step, out)


class GridQuantizer:
    """:func:`quantize_into` for one feature space, with what every frame would recompute prepared once.

    For the BGR space on colour frames the per-channel tables (:func:`meanshift._kernels.
    channel_place_tables`' values, made here in NumPy: one kernel fewer to compile on the first start)
    are kept and the kernel called directly: the same bins, without the per-call set-up, which on a
    tracker's per-frame grid costs about as much as a small grid's pixels. Other spaces and gray
    frames go through :func:`quantize_into`.

    Examples
    --------
    >>> import numpy as np
    >>> frame = np.random.default_rng(0).integers(0, 256, (20, 30, 3), dtype=np.uint8)
    >>> space = get_features("bgr")
    >>> fast, slow = np.empty((5, 7), np.int32), np.empty((5, 7), np.int32)
    >>> GridQuantizer(space)(frame, 2, 1, fast, step=3)
    >>> quantize_into(frame, space, 2, 1, slow, step=3)
    >>> bool((fast == slow).all())
    True
    """

    def __init__(self, space: FeatureSpace) -> None:
        self.space = space
        self._tables = None
        if space.code == _kernels.FEATURE_BGR:
            n1 = int(space.lut_a[255]) + 1  # bins per channel
            first = (space.lut_a.astype(np.int64) * (n1 * n1)).astype(np.int32)
            middle = (space.lut_a.astype(np.int64) * n1).astype(np.int32)
            self._tables = (first, middle, space.lut_a)
        self._ib, self._ir = _blue_red_indices(space)

    def __call__(self, frame: np.ndarray, rx0: int, ry0: int, out: np.ndarray, *, step: int = 1,
                 once: bool = False) -> None:
        """Fill ``out[j, i]`` with the bin of pixel ``(rx0 + i*step, ry0 + j*step)``; no validation.

        ``once``: a grid quantised once, not frame after frame (the posterior engine's comparison of bin
        kinds at init). The BGR tables are then looked up in NumPy, the same integer sums, so that a run
        which goes on in other bins never compiles the kernel (issue 27, the first start).
        """
        if self._tables is not None and frame.ndim == 3:
            first, middle, last = self._tables
            if once:
                rows, cols = out.shape
                pixels = frame[ry0:ry0 + (rows - 1) * step + 1:step, rx0:rx0 + (cols - 1) * step + 1:step]
                out[:] = first[pixels[..., self._ib]] + middle[pixels[..., 1]] + last[pixels[..., self._ir]]
                return
            _kernels.quantize_three_channels(frame, first, middle, last, self._ib, self._ir, rx0, ry0, step, 1, out)
        else:
            quantize_into(frame, self.space, rx0, ry0, out, step=step)


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
AUTO_CANDIDATES = (("bgr", 16), ("hue-sat", (16, 16)), ("hue", 16), ("hsv-full", 16), ("lab", 16), ("ycrcb", 16))


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
        space = get_features(name, bins=bins, channel_order=default.channel_order)
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
