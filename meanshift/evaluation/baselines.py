"""OpenCV's trackers behind the ``init(frame, box)`` / ``update(frame)`` interface of ``meanshift.Tracker``.

These are the baselines of ``meanshift eval``. They live outside the core on purpose: the engine
knows nothing of them, and they use OpenCV exactly as its users do.

* ``opencv-camshift``: the canonical CAMSHIFT pipeline of OpenCV's ``samples/python/camshift.py``.
  Per frame: BGR→HSV of the whole frame, ``inRange`` mask (0, 60, 32)–(180, 255, 255) to drop dark
  and unsaturated pixels, back-projection of a 16-bin hue histogram (taken at ``init`` under the
  same mask and min–max normalised to 0..255), the mask applied to it, then ``cv2.CamShift`` with
  at most 10 iterations or a shift under 1 px.  The reported box is the window ``cv2.CamShift``
  returns (the axis-aligned bounds of its rotated box).
* ``opencv-meanshift``: ``cv2.meanShift`` on the same back-projection; the window keeps its size.
* ``opencv-mil``, ``opencv-kcf``, ``opencv-csrt``, ``opencv-mosse`` (and, on request,
  ``opencv-boosting``, ``opencv-medianflow``, ``opencv-tld``): OpenCV's classical trackers.  MIL
  ships with ``opencv-python``; the others need ``opencv-contrib-python``.  MOSSE, Boosting,
  MedianFlow and TLD exist only in ``cv2.legacy``.

When an OpenCV tracker reports failure (``update`` returns ``ok=False``; for CAMSHIFT an empty
rotated box, an empty window or an OpenCV error), the result keeps the last box it reported:
that is what its user would see on screen.  The tracker's own state is left as OpenCV leaves it,
so it may recover later.

Examples
--------
>>> import numpy as np
>>> from meanshift.evaluation.baselines import create_baseline
>>> frame = np.zeros((60, 80, 3), np.uint8); frame[20:40, 30:50] = (0, 0, 255)
>>> t = create_baseline("opencv-camshift")
>>> t.init(frame, (30, 20, 20, 20))
>>> r = t.update(frame)
>>> r.ok, [int(v) for v in r.box]   # cv2.CamShift's window is ~15% larger than the target
(True, [28, 18, 25, 25])
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "BaselineResult",
    "OpenCVCamShift",
    "OpenCVMeanShift",
    "OpenCVTracker",
    "DEFAULT_BASELINES",
    "EXTRA_BASELINES",
    "baseline_names",
    "available_baselines",
    "create_baseline",
]

# The canonical sample's constants (samples/python/camshift.py).
HSV_LOWER = (0.0, 60.0, 32.0)
HSV_UPPER = (180.0, 255.0, 255.0)
HUE_BINS = 16
TERM_CRITERIA = (3, 10, 1)  # cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10 iterations, 1 px

# name -> candidate factories, tried in order: (attribute path under cv2, package that provides it)
_CLASSICAL = {
    "opencv-mil": [("TrackerMIL_create", "opencv-python"),
                   ("legacy.TrackerMIL_create", "opencv-contrib-python")],
    "opencv-kcf": [("TrackerKCF_create", "opencv-contrib-python"),
                   ("legacy.TrackerKCF_create", "opencv-contrib-python")],
    "opencv-csrt": [("TrackerCSRT_create", "opencv-contrib-python"),
                    ("legacy.TrackerCSRT_create", "opencv-contrib-python")],
    "opencv-mosse": [("legacy.TrackerMOSSE_create", "opencv-contrib-python")],
    "opencv-boosting": [("legacy.TrackerBoosting_create", "opencv-contrib-python")],
    "opencv-medianflow": [("legacy.TrackerMedianFlow_create", "opencv-contrib-python")],
    "opencv-tld": [("legacy.TrackerTLD_create", "opencv-contrib-python")],
}

#: Baselines run by default: the back-projection pipelines and the classical trackers the issue names.
DEFAULT_BASELINES = (
    "opencv-camshift", "opencv-meanshift", "opencv-mil", "opencv-kcf", "opencv-csrt", "opencv-mosse",
)
#: Further legacy trackers, run only when asked for by name.
EXTRA_BASELINES = ("opencv-boosting", "opencv-medianflow", "opencv-tld")


@dataclass(frozen=True)
class BaselineResult:
    """What a baseline's ``update`` returns: the ``ok`` and ``box`` fields of ``meanshift.TrackResult``."""

    ok: bool
    box: tuple[float, float, float, float]


def _as_bgr(frame: np.ndarray) -> np.ndarray:
    import cv2

    frame = np.asarray(frame)
    if frame.ndim == 2:
        return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.size == 0:
        raise ValueError(f"frame must be BGR (H, W, 3) or gray (H, W) uint8, got shape {frame.shape}")
    return frame


def _float_box(values: Iterable[Any]) -> tuple[float, float, float, float]:
    """``(x, y, w, h)`` as four floats (a box, or a rect OpenCV returned)."""
    x, y, w, h = (float(v) for v in values)
    return (x, y, w, h)


def _int_window(values: Iterable[Any]) -> tuple[int, int, int, int]:
    """``(x, y, w, h)`` as four ints (the window ``cv2.CamShift`` or ``cv2.meanShift`` returned)."""
    x, y, w, h = (int(v) for v in values)
    return (x, y, w, h)


def _int_rect(box, frame_shape) -> tuple[int, int, int, int]:
    """Round a float ``(x, y, w, h)`` to OpenCV's integer ``Rect``, clipped to the frame."""
    x, y, w, h = (float(v) for v in box)
    if not (np.isfinite([x, y, w, h]).all() and w > 0 and h > 0):
        raise ValueError(f"box must be finite (x, y, w, h) with w > 0 and h > 0, got {tuple(box)}")
    H, W = frame_shape[:2]
    x0, y0 = max(0, int(round(x))), max(0, int(round(y)))
    x1, y1 = min(W, int(round(x + w))), min(H, int(round(y + h)))
    if x1 <= x0 or y1 <= y0:
        raise ValueError(f"box {tuple(box)} lies outside the {W}x{H} frame")
    return (x0, y0, x1 - x0, y1 - y0)


class _BackProjection:
    """Shared state of the CAMSHIFT sample: hue histogram at init, masked back-projection per frame."""

    def __init__(self) -> None:
        self._hist: np.ndarray | None = None
        self._window: tuple[int, int, int, int] | None = None
        self._last_box: tuple[float, float, float, float] | None = None

    def init(self, frame: np.ndarray, box) -> None:
        import cv2

        bgr = _as_bgr(frame)
        x, y, w, h = _int_rect(box, bgr.shape)
        hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
        mask = cv2.inRange(hsv, np.array(HSV_LOWER), np.array(HSV_UPPER))
        hist = cv2.calcHist([hsv[y:y + h, x:x + w]], [0], mask[y:y + h, x:x + w], [HUE_BINS], [0, 180])
        cv2.normalize(hist, hist, 0, 255, cv2.NORM_MINMAX)
        self._hist = hist.reshape(-1)
        self._window = (x, y, w, h)
        self._last_box = _float_box(box)

    def _state(self) -> tuple[np.ndarray, tuple[int, int, int, int], tuple[float, float, float, float]]:
        """The histogram, search window and last reported box; ValueError before ``init``."""
        if self._hist is None or self._window is None or self._last_box is None:
            raise ValueError("update() called before init()")
        return self._hist, self._window, self._last_box

    def back_projection(self, frame: np.ndarray) -> np.ndarray:
        """The masked hue back-projection of the whole frame, uint8 (H, W)."""
        import cv2

        hist, _, _ = self._state()
        hsv = cv2.cvtColor(_as_bgr(frame), cv2.COLOR_BGR2HSV)
        mask = cv2.inRange(hsv, np.array(HSV_LOWER), np.array(HSV_UPPER))
        prob: np.ndarray = cv2.calcBackProject([hsv], [0], hist, [0, 180], 1)
        prob &= mask
        return prob

    def _fail(self) -> BaselineResult:
        _, _, last_box = self._state()
        return BaselineResult(False, last_box)

    def _report(self, window) -> BaselineResult:
        self._last_box = _float_box(window)
        return BaselineResult(True, self._last_box)


class OpenCVCamShift(_BackProjection):
    """The canonical OpenCV CAMSHIFT pipeline (``samples/python/camshift.py``) as a tracker object."""

    name = "opencv-camshift"

    def update(self, frame: np.ndarray) -> BaselineResult:
        import cv2

        prob = self.back_projection(frame)
        _, window, last_box = self._state()
        x, y, w, h = window
        if w <= 0 or h <= 0:
            # The window collapsed; the sample would stop tracking. Search again from the last box.
            window = self._window = _int_rect(last_box, prob.shape)
        try:
            rotated, found = cv2.CamShift(prob, window, TERM_CRITERIA)
        except cv2.error:
            self._window = _int_rect(last_box, prob.shape)
            return self._fail()
        window = self._window = _int_window(found)
        (_, _), (rw, rh), _ = rotated
        if rw <= 0 or rh <= 0 or window[2] <= 0 or window[3] <= 0:
            # cv2.CamShift returns an empty RotatedRect when the window holds no back-projection.
            return self._fail()
        return self._report(window)


class OpenCVMeanShift(_BackProjection):
    """``cv2.meanShift`` on the CAMSHIFT sample's back-projection: fixed window size, integer steps."""

    name = "opencv-meanshift"

    def update(self, frame: np.ndarray) -> BaselineResult:
        import cv2

        prob = self.back_projection(frame)
        _, window, _ = self._state()
        try:
            _, found = cv2.meanShift(prob, window, TERM_CRITERIA)
        except cv2.error:
            return self._fail()
        window = self._window = _int_window(found)
        if window[2] <= 0 or window[3] <= 0:
            return self._fail()
        return self._report(window)


def _resolve_factory(name: str) -> tuple[Callable[[], Any], bool]:
    """Return ``(factory, is_legacy)`` of a classical tracker, or raise LookupError naming what to install."""
    import cv2

    if name not in _CLASSICAL:
        raise LookupError(f"unknown OpenCV tracker {name!r}")
    for attr_path, _ in _CLASSICAL[name]:
        obj: Any = cv2
        for part in attr_path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if obj is not None:
            return obj, attr_path.startswith("legacy.")
    package = _CLASSICAL[name][-1][1]
    raise LookupError(
        f"{name} is not in the installed OpenCV {cv2.__version__} (needs {package}; "
        f"pip uninstall opencv-python && pip install {package})"
    )


class OpenCVTracker:
    """One of OpenCV's classical trackers (MIL, KCF, CSRT, MOSSE, …) with ``init``/``update``.

    Parameters
    ----------
    name : str
        ``"opencv-mil"``, ``"opencv-kcf"``, ``"opencv-csrt"``, ``"opencv-mosse"``, ``"opencv-boosting"``,
        ``"opencv-medianflow"`` or ``"opencv-tld"``.

    Raises
    ------
    LookupError
        If the installed OpenCV lacks the tracker; the message names the package to install.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._factory, self._legacy = _resolve_factory(name)
        self._tracker: Any | None = None  # a cv2.Tracker (or cv2.legacy.Tracker) once init() has run
        self._last_box: tuple[float, float, float, float] | None = None

    def init(self, frame: np.ndarray, box) -> None:
        bgr = _as_bgr(frame)
        rect = _int_rect(box, bgr.shape)
        self._tracker = self._factory()
        if self._legacy:
            # legacy trackers take a float Rect2d and say whether init worked
            ok = self._tracker.init(bgr, tuple(float(v) for v in rect))
            if ok is False:
                raise ValueError(f"{self.name} could not initialise on box {tuple(box)}")
        else:
            self._tracker.init(bgr, rect)
        self._last_box = _float_box(box)

    def update(self, frame: np.ndarray) -> BaselineResult:
        if self._tracker is None or self._last_box is None:  # no init(), or an init() that raised
            raise ValueError("update() called before init()")
        ok, rect = self._tracker.update(_as_bgr(frame))
        if not ok:
            return BaselineResult(False, self._last_box)
        self._last_box = _float_box(rect)
        return BaselineResult(True, self._last_box)


def baseline_names() -> tuple[str, ...]:
    """Every baseline name this module knows, available or not."""
    return DEFAULT_BASELINES + EXTRA_BASELINES


def available_baselines(names=None) -> dict[str, str | None]:
    """Map each baseline name to ``None`` if the installed OpenCV has it, else to the reason it is missing."""
    out: dict[str, str | None] = {}
    for name in baseline_names() if names is None else names:
        if name in ("opencv-camshift", "opencv-meanshift"):
            out[name] = None
            continue
        try:
            _resolve_factory(name)
            out[name] = None
        except LookupError as exc:
            out[name] = str(exc)
    return out


def create_baseline(name: str):
    """Build the baseline tracker called ``name`` (see :func:`baseline_names`).

    Raises
    ------
    LookupError
        If the name is unknown or the installed OpenCV lacks the tracker.
    """
    if name == "opencv-camshift":
        return OpenCVCamShift()
    if name == "opencv-meanshift":
        return OpenCVMeanShift()
    if name in _CLASSICAL:
        return OpenCVTracker(name)
    raise LookupError(f"unknown baseline {name!r}; known: {', '.join(baseline_names())}")
