"""Property-based tests of the public tracker API: whatever it is given, it tracks or says what is wrong.

Random frames (1x1 and up; BGR, gray, (H, W, 1), gray as BGR, BGRA, 16-bit, float, int64, bool, strided views,
read-only arrays, nested lists), random boxes (inside, straddling the border, outside, tiny, huge,
NaN/inf) and random sequences of ``init``/``update`` calls, frames changing size mid-stream included.
An oracle written here, independently of ``meanshift._inputs``, says for each call whether it must
succeed or which problem its ``ValueError`` must name; a successful ``update`` must return a finite box
inside the frame. Anything else (an error from inside Numba, an ``OverflowError``, a NaN) fails.
The number of examples comes from the Hypothesis profile in ``conftest.py``.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import meanshift

meanshift.register_similarity(
    "fuzz-hellinger", replace=True,  # a user-defined measure: the pure-Python iteration path
    value=lambda p, q: float(np.sum(np.sqrt(p * q))),
    weights=lambda p, q: np.sqrt(np.divide(q, p, out=np.zeros_like(q), where=p > 0)),
)

TRACKERS = {
    "camshift": meanshift.camshift,
    "comaniciu-meer": meanshift.comaniciu_meer,
    "generalized": meanshift.generalized,
    "moments-rotation-kl": lambda: meanshift.Tracker(features="hue-sat", similarity="kl", kernel="gaussian",
                                                     scale="moments", rotation=True),
    "moments-core-gray": lambda: meanshift.Tracker(features="gray", similarity="chi-square", kernel="biweight",
                                                   scale="moments", area_estimate="core", max_samples=None),
    "contrast-loglik-update": lambda: meanshift.Tracker(features="bgr", similarity="log-likelihood", kernel="flat",
                                                        scale="contrast", model_update=0.5),
    "bandwidth-2bins": lambda: meanshift.Tracker(features="bgr", similarity="intersection", scale="bandwidth",
                                                 bins=2),
    "python-similarity": lambda: meanshift.Tracker(features="bgr", similarity="fuzz-hellinger", scale="fixed"),
}

FRAME_KINDS = ("bgr", "gray", "gray1", "gray3", "bgra", "uint16", "view", "readonly", "float32", "float64", "int64",
               "bool", "list")
REJECTED_KINDS = {"float32": "float32", "float64": "float64", "int64": "int64", "bool": "bool", "list": "int64"}


class Frame:
    """A generated frame and what the tracker must make of it."""

    def __init__(self, data, kind: str, height: int, width: int):
        self.data, self.kind, self.height, self.width = data, kind, height, width

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape after the documented normalisation (gray kinds are 2-D, the others BGR)."""
        gray = self.kind in ("gray", "gray1")
        return (self.height, self.width) if gray else (self.height, self.width, 3)

    @property
    def rejected_dtype(self) -> str | None:
        return REJECTED_KINDS.get(self.kind)

    def __repr__(self) -> str:
        return f"Frame({self.kind}, {self.height}x{self.width})"


@st.composite
def frames(draw, size: tuple[int, int] | None = None, kinds: st.SearchStrategy[str] | None = None) -> Frame:
    height, width = size or (draw(st.integers(1, 90)), draw(st.integers(1, 120)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    content = draw(st.sampled_from(["noise", "flat", "target", "black", "white"]))
    if content == "noise":
        bgr = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    elif content in ("black", "white"):
        bgr = np.full((height, width, 3), 0 if content == "black" else 255, np.uint8)
    else:
        bgr = np.empty((height, width, 3), np.uint8)
        bgr[:] = rng.integers(0, 256, 3)
        if content == "target":  # a block of another colour, somewhere, of any size
            y, x = rng.integers(0, height), rng.integers(0, width)
            bgr[y : y + rng.integers(1, height + 1), x : x + rng.integers(1, width + 1)] = rng.integers(0, 256, 3)
    kind = draw(st.sampled_from(FRAME_KINDS) if kinds is None else kinds)
    data: object = {
        "bgr": lambda: bgr,
        "gray": lambda: np.ascontiguousarray(bgr[..., 1]),
        "gray1": lambda: np.ascontiguousarray(bgr[..., 1:2]),
        "gray3": lambda: np.repeat(bgr[..., 1:2], 3, axis=2),  # a gray picture in BGR: tracked with gray features
        "bgra": lambda: np.dstack([bgr, rng.integers(0, 256, (height, width), dtype=np.uint8)]),
        "uint16": lambda: bgr.astype(np.uint16) * 257 + rng.integers(0, 256, bgr.shape).astype(np.uint16),
        "view": lambda: np.pad(bgr, ((1, 1), (2, 2), (0, 0)))[::-1, ::-1][1:-1, 2:-2],  # negative strides
        "readonly": lambda: _readonly(bgr),
        "float32": lambda: bgr.astype(np.float32) / 255,
        "float64": lambda: bgr.astype(np.float64),
        "int64": lambda: bgr.astype(np.int64),
        "bool": lambda: bgr > 127,
        "list": lambda: bgr.tolist(),
    }[kind]()
    return Frame(data, kind, height, width)


def _readonly(array: np.ndarray) -> np.ndarray:
    array = array.copy()
    array.flags.writeable = False
    return array


COORDINATES = st.one_of(
    st.floats(-150, 250, allow_nan=False),
    st.integers(-20, 140),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e300, -1e300, 0.0, 1e-9, 0.5, 2.0**62]),
)
BOXES = st.tuples(COORDINATES, COORDINATES, COORDINATES, COORDINATES)


@st.composite
def boxes_inside(draw, height: int, width: int) -> tuple[float, float, float, float]:
    """Boxes ``init`` must accept: 2 x 2 pixels inside the frame (or all of it), possibly straddling its border."""
    x = draw(st.floats(-width, width - 2)) if width >= 2 else 0.0
    y = draw(st.floats(-height, height - 2)) if height >= 2 else 0.0
    w = draw(st.floats(min(2, width) + max(0.0, -x), 3.0 * width + 2))
    h = draw(st.floats(min(2, height) + max(0.0, -y), 3.0 * height + 2))
    return x, y, w, h


def expected_box_problem(box: tuple[float, ...], height: int, width: int) -> str | None:
    """The words the ``ValueError`` for this box must contain; ``None`` when ``init`` must accept it."""
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        return "NaN or infinite"
    if w <= 0 or h <= 0:
        return "positive width and height"
    if x + w <= 0 or y + h <= 0 or x >= width or y >= height:
        return "entirely outside"
    inside = min(x + w, width) - max(x, 0), min(y + h, height) - max(y, 0)
    if min(inside) < 1 - 1e-6:
        return "at least 1 x 1"
    if min(inside) < 2:
        # A window under 2 px may fall between pixel centres, where the kernel's weights are all 0.
        return "|no usable pixel"
    return None


def check_result(result: meanshift.TrackResult, frame: Frame) -> None:
    assert isinstance(result, meanshift.TrackResult)
    x, y, w, h = result.box
    assert all(math.isfinite(v) for v in result.box), result
    assert w > 0 and h > 0, result  # never an empty box
    assert x >= 0 and y >= 0 and x + w <= frame.width + 1e-9 and y + h <= frame.height + 1e-9, (result, frame)
    (cx, cy), (rw, rh), angle = result.rotated
    assert all(math.isfinite(v) for v in (cx, cy, rw, rh, angle, result.score, result.confidence)), result
    assert 0 <= result.confidence <= 1 + 1e-9 and result.iterations >= 0


def init_as_expected(tracker: meanshift.Tracker, frame: Frame, box: tuple[float, ...]) -> bool:
    """Call ``init`` and check it against the oracle; whether the tracker is now initialised on ``frame``."""
    problem = f"dtype uint8 .*got {frame.rejected_dtype}" if frame.rejected_dtype else None
    problem = problem or expected_box_problem(box, frame.height, frame.width)
    if problem is None:
        tracker.init(frame.data, box)  # must not raise
        return True
    if problem.startswith("|"):  # may succeed, or must say this
        try:
            tracker.init(frame.data, box)
            return True
        except ValueError as exc:
            assert problem[1:] in str(exc)
            return False
    with pytest.raises(ValueError, match=problem):
        tracker.init(frame.data, box)
    return False


@given(name=st.sampled_from(sorted(TRACKERS)), first=frames(), box=BOXES, data=st.data())
def test_every_call_tracks_or_names_the_problem(name, first, box, data):
    tracker = TRACKERS[name]()
    current = first  # the frame of the last successful init
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "grayscale frames: tracking with gray", "HSV mask": expected here
        ready = init_as_expected(tracker, first, box)
        for _ in range(data.draw(st.integers(0, 8), label="calls")):
            call = data.draw(st.sampled_from(["update", "update", "update", "init"]), label="call")
            source = data.draw(st.sampled_from(["same frame", "same size", "any size"]), label="frame")
            if source == "same frame":
                frame = current
            else:
                frame = data.draw(frames((current.height, current.width) if source == "same size" else None))
            if call == "init":
                # a failed init leaves the tracker uninitialised, whatever it tracked before
                ready = init_as_expected(tracker, frame, data.draw(BOXES, label="box"))
                current = frame if ready else current
            elif not ready:
                with pytest.raises(ValueError, match="before init"):
                    tracker.update(frame.data)
            elif frame.rejected_dtype:
                with pytest.raises(ValueError, match=f"dtype uint8 .*got {frame.rejected_dtype}"):
                    tracker.update(frame.data)
            elif frame.shape != current.shape:
                with pytest.raises(ValueError, match="shape changed"):
                    tracker.update(frame.data)
            else:
                check_result(tracker.update(frame.data), frame)


@given(name=st.sampled_from(sorted(TRACKERS)), size=st.tuples(st.integers(1, 80), st.integers(1, 100)),
       data=st.data())
def test_a_long_stream_of_one_kind_of_frame_always_gives_a_box_in_the_frame(name, size, data):
    """Many updates on frames of one size and kind, the way a camera delivers them."""
    kind = data.draw(st.sampled_from(["bgr", "gray", "gray1", "gray3", "bgra", "uint16", "view", "readonly"]),
                     label="kind")
    kinds = st.just(kind)
    stream = [data.draw(frames(size, kinds=kinds)) for _ in range(data.draw(st.integers(2, 16), label="length"))]
    box = data.draw(boxes_inside(*size), label="box")
    tracker = TRACKERS[name]()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tracker.init(stream[0].data, box)
        for frame in stream[1:]:
            check_result(tracker.update(frame.data), frame)
