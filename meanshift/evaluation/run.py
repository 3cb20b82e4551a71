"""One tracker over one sequence, one pass, ``update`` alone timed: :func:`run_tracker` and its :class:`TrackerRun`."""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from meanshift.evaluation.datasets import Sequence
from meanshift.evaluation.trackers import TrackerFactory, make_tracker

__all__ = ["TrackerRun", "run_tracker", "seed_opencv"]



@dataclass
class TrackerRun:
    """The per-frame output of one tracker on one sequence.

    Attributes
    ----------
    sequence, tracker : str
        Names.
    boxes : ndarray, shape (N, 4)
        One ``(x, y, w, h)`` per frame; frame 1 is the initial ground truth; NaN after an error.
    ok : ndarray of bool, shape (N,)
        The tracker's own ``ok`` flag per frame (True on frame 1).
    update_seconds : ndarray, shape (N,)
        Time of each ``update`` call (0 on frame 1, NaN after an error).
    init_seconds : float
        Time of the ``init`` call.
    error : str or None
        ``"frame K: ExceptionType: message"`` if the tracker raised; the remaining frames are NaN.
    warnings : list of str
        The distinct warnings the tracker issued during the run, with their counts.
    """

    sequence: str
    tracker: str
    boxes: np.ndarray
    ok: np.ndarray
    update_seconds: np.ndarray
    init_seconds: float
    error: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def n_updates(self) -> int:
        """Number of timed ``update`` calls."""
        return int(np.isfinite(self.update_seconds[1:]).sum())

    @property
    def fps(self) -> float:
        """Frames per second of ``update`` alone."""
        total = float(np.nansum(self.update_seconds[1:]))
        return self.n_updates / total if total > 0 else float("nan")

    @property
    def nonfinite_frames(self) -> np.ndarray:
        """1-based frame numbers whose box holds NaN or inf (not counting frames after an error)."""
        bad = ~np.all(np.isfinite(self.boxes), axis=1)
        if self.error is not None:
            bad &= np.isfinite(self.update_seconds)
        return np.flatnonzero(bad) + 1


_WARMED: set[str] = set()


def seed_opencv(seed: int) -> None:
    """Seed OpenCV's random generator and the C library's ``rand()``, which OpenCV's MIL uses.

    OpenCV's MIL tracker draws its Haar features with the C library's ``rand()`` (process-wide
    state) and samples patches with ``cv::theRNG()``; without seeding both, its result depends on
    how many trackers the process built before. Seeding before every run makes a run's boxes
    independent of task order and of ``jobs``. The other trackers here are deterministic.
    """
    import cv2

    cv2.setRNGSeed(seed)
    try:
        import ctypes

        ctypes.CDLL(None).srand(ctypes.c_uint(seed))
    except (OSError, AttributeError, TypeError):  # no C library handle (e.g. Windows): leave rand() be
        pass


def _reading(frames: Iterator[np.ndarray]) -> Iterator[np.ndarray | Exception]:
    """The frames, then the exception that reading the next one raised (if any) as a last item."""
    try:
        yield from frames
    except Exception as exc:
        yield exc


def _box_of(result) -> tuple[float, ...]:
    box = result.box
    return tuple(float(v) for v in box)


def run_tracker(sequence: Sequence, name: str, factory: TrackerFactory | None = None,
                *, warm_up: bool = True, seed: int | None = 0) -> TrackerRun:
    """Run one tracker over one sequence, one pass, timing ``update`` alone.

    Parameters
    ----------
    sequence : Sequence
        The sequence (frames are decoded one at a time; decoding is not timed).
    name : str
        The tracker's evaluation name; builds it with :func:`make_tracker` unless ``factory`` is given.
    factory : callable, optional
        Zero-argument callable returning a fresh tracker with ``init(frame, box)`` and
        ``update(frame)`` (whose result has ``.box`` and ``.ok``).
    warm_up : bool
        Before timing, once per process and tracker name, run a throwaway tracker on frames 1–2 so
        that one-off costs (Numba compilation, OpenCV's lazy initialisation) are not timed.
    seed : int or None
        Seed for OpenCV's random generators (see :func:`seed_opencv`) set right before the tracker
        is built; ``None`` leaves them alone.
    """
    factory = factory or (lambda: make_tracker(name))
    n = len(sequence)
    boxes = np.full((n, 4), np.nan)
    ok = np.zeros(n, dtype=bool)
    seconds = np.full(n, np.nan)
    frames = sequence.frames()
    try:
        first = next(frames)
    except Exception as exc:  # an unreadable first frame fails this run, not the whole evaluation
        return TrackerRun(sequence.name, name, boxes, ok, seconds, float("nan"),
                          f"frame 1 (reading it): {type(exc).__name__}: {exc}")
    init_box = sequence.init_box
    if warm_up and name not in _WARMED and n > 1:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the timed run below reports them
            try:
                w = factory()
                w.init(first, init_box)
                w.update(sequence.frame(1))
            except Exception:  # the timed run below hits and reports the same error
                pass
        _WARMED.add(name)
    if seed is not None:
        seed_opencv(seed)
    error = None
    init_seconds = float("nan")
    # Collect the tracker's warnings per run rather than printing them across the progress bar.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tracker = factory()
        try:
            t0 = time.perf_counter()
            tracker.init(first, init_box)
            init_seconds = time.perf_counter() - t0
        except Exception as exc:
            error = f"frame 1 (init): {type(exc).__name__}: {exc}"
        else:
            boxes[0] = init_box  # frame 1's answer is the box the tracker was given
            ok[0] = True
            seconds[0] = 0.0
            for i, frame in enumerate(_reading(frames), start=1):
                if isinstance(frame, Exception):  # a frame that did not decode ends the run, kept so far
                    error = f"frame {i + 1} (reading it): {type(frame).__name__}: {frame}"
                    break
                try:
                    t0 = time.perf_counter()
                    result = tracker.update(frame)
                    dt = time.perf_counter() - t0
                    boxes[i] = _box_of(result)
                    ok[i] = bool(result.ok)
                    seconds[i] = dt
                except Exception as exc:  # a crash is a result to report, not a reason to lose the run
                    error = f"frame {i + 1}: {type(exc).__name__}: {exc}"
                    break
    counts: dict[str, int] = {}
    for wmsg in caught:
        text = f"{wmsg.category.__name__}: {wmsg.message}"
        counts[text] = counts.get(text, 0) + 1
    messages = [m if c == 1 else f"{m} (x{c})" for m, c in counts.items()]
    return TrackerRun(sequence.name, name, boxes, ok, seconds, init_seconds, error, messages)


# --------------------------------------------------------------------------- the evaluation
