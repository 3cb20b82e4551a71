"""One-pass evaluation (OPE) of trackers on OTB-layout datasets, side by side with OpenCV's trackers.

The protocol of the OTB benchmark (Wu, Lim & Yang 2013/2015) as got10k and pysot-toolkit run it:

1. For every sequence and every tracker, build a fresh tracker and call ``init`` on frame 1 with
   frame 1's ground truth. Frame 1's reported box *is* that ground truth (it counts in the scores,
   as in OTB and got10k).
2. Call ``update`` on every following frame, once, and record the box it returns. There is no
   re-initialisation after a failure: a lost tracker stays lost unless it finds the target again.
3. Score the boxes with :func:`meanshift.evaluation.metrics.score_sequence` (success curve and AUC, precision
   curve and P@20, frames with invalid ground truth left out).
4. Average over sequences: the mean success/precision curve is the mean of the per-sequence curves
   (each sequence weighs the same, as in OTB and got10k), so the mean AUC is the mean of the
   per-sequence AUCs. Speed is the total number of ``update`` calls divided by their total time:
   ``update`` alone, timed with :func:`time.perf_counter`, excluding decoding, ``init`` and a
   warm-up call (Numba compiles on first use) made on a throwaway tracker before timing starts.

Trackers are named:

* ``meanshift-<preset>`` for each preset in ``meanshift.PRESETS`` (``meanshift-camshift``,
  ``meanshift-comaniciu-meer``, ``meanshift-generalized``); the bare preset name is accepted too.
* ``opencv-camshift``, ``opencv-meanshift``, ``opencv-mil``, ``opencv-kcf``, ``opencv-csrt``,
  ``opencv-mosse`` (and on request ``opencv-boosting``, ``opencv-medianflow``, ``opencv-tld``),
  see :mod:`meanshift.evaluation.baselines`. Those missing from the installed OpenCV are skipped with a message.
* groups: ``default`` (ours and the six OpenCV baselines), ``ours``, ``opencv``, ``all``.

Coordinates: boxes are fed to the trackers in the ground truth's own convention (1-based for OTB,
0-based for the VOT-derived sequences) and scored against it; both IoU and centre error are
unchanged by a shift of both boxes, so no conversion is needed (a 1 px offset of the image
content relative to the box at init is below what any tracker here resolves).

Examples
--------
>>> from meanshift.evaluation import evaluate                                 # doctest: +SKIP
>>> ev = evaluate("../shared/data/sequences", ["meanshift-generalized", "opencv-camshift"],
...               out="out/eval", jobs=2)                                       # doctest: +SKIP
>>> print(ev.mean_table_markdown())                                            # doctest: +SKIP
"""

from __future__ import annotations

import multiprocessing
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from meanshift.evaluation.baselines import DEFAULT_BASELINES, EXTRA_BASELINES, available_baselines, create_baseline
from meanshift.evaluation.datasets import Sequence, load_dataset, load_sequence
from meanshift.evaluation.metrics import PRECISION_THRESHOLDS, SequenceScore, auc, score_sequence

__all__ = [
    "OURS_PREFIX",
    "our_tracker_names",
    "tracker_names",
    "resolve_trackers",
    "make_tracker",
    "TrackerRun",
    "run_tracker",
    "seed_opencv",
    "Evaluation",
    "evaluate",
]

OURS_PREFIX = "meanshift-"
GROUPS = ("default", "ours", "opencv", "all")

TrackerFactory = Callable[[], object]


# --------------------------------------------------------------------------- tracker names


def our_tracker_names() -> tuple[str, ...]:
    """``meanshift-<preset>`` for every preset of the installed engine, in ``meanshift.PRESETS`` order."""
    import meanshift

    return tuple(OURS_PREFIX + p for p in meanshift.PRESETS)


def tracker_names(include_extras: bool = True) -> tuple[str, ...]:
    """Every tracker name ``evaluate`` knows (available in this OpenCV or not)."""
    extra = EXTRA_BASELINES if include_extras else ()
    return our_tracker_names() + DEFAULT_BASELINES + extra


def _canonical(name: str) -> str:
    import meanshift

    name = name.strip()
    if name in meanshift.PRESETS:
        return OURS_PREFIX + name
    return name


def resolve_trackers(spec: str | Iterable[str] | None = None, *, warn=None) -> list[str]:
    """Turn a user's selection into the list of tracker names to run, dropping unavailable ones.

    Parameters
    ----------
    spec : str or iterable of str, optional
        Names and groups (``default``, ``ours``, ``opencv``, ``all``), as a list or one
        comma-separated string. ``None`` means ``default``.
    warn : callable, optional
        Called with a message for each tracker skipped because the installed OpenCV lacks it
        (default: :func:`warnings.warn`).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    warn = warn or (lambda msg: warnings.warn(msg, stacklevel=3))
    if spec is None:
        items = ["default"]
    elif isinstance(spec, str):
        items = [s for s in spec.split(",") if s.strip()]
    else:
        items = [s for part in spec for s in str(part).split(",") if s.strip()]
    ours = list(our_tracker_names())
    known = set(tracker_names())
    wanted: list[str] = []
    for raw in items:
        item = raw.strip()
        if item == "default":
            names = ours + list(DEFAULT_BASELINES)
        elif item == "ours":
            names = ours
        elif item == "opencv":
            names = list(DEFAULT_BASELINES)
        elif item == "all":
            names = ours + list(DEFAULT_BASELINES + EXTRA_BASELINES)
        else:
            name = _canonical(item)
            if name not in known:
                raise ValueError(
                    f"unknown tracker {item!r}; known: {', '.join(tracker_names())} "
                    f"and the groups {', '.join(GROUPS)}"
                )
            names = [name]
        wanted.extend(n for n in names if n not in wanted)
    missing = available_baselines([n for n in wanted if not n.startswith(OURS_PREFIX)])
    for name, reason in missing.items():
        if reason is not None:
            warn(f"skipping {name}: {reason}")
    return [n for n in wanted if missing.get(n) is None]


def make_tracker(name: str):
    """Build a fresh tracker by its evaluation name (see :func:`tracker_names`)."""
    name = _canonical(name)
    if name.startswith(OURS_PREFIX):
        import meanshift

        return meanshift.create_tracker(name[len(OURS_PREFIX):])
    return create_baseline(name)


# --------------------------------------------------------------------------- running one tracker


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


def _box_of(result) -> tuple[float, float, float, float]:
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
    gt = sequence.groundtruth
    boxes = np.full((n, 4), np.nan)
    ok = np.zeros(n, dtype=bool)
    seconds = np.full(n, np.nan)
    frames = sequence.frames()
    first = next(frames)
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
            boxes[0] = gt[0]
            ok[0] = True
            seconds[0] = 0.0
            for i, frame in enumerate(frames, start=1):
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


@dataclass
class Evaluation:
    """Runs and scores of several trackers on several sequences.

    Attributes
    ----------
    sequences : list of str
        Sequence names, in order.
    trackers : list of str
        Tracker names, in order.
    runs : dict
        ``(sequence, tracker) -> TrackerRun``.
    scores : dict
        ``(sequence, tracker) -> SequenceScore``.
    frames : dict
        ``sequence -> number of frames``.
    meta : dict
        How the run was made (versions, jobs, command).
    """

    sequences: list[str]
    trackers: list[str]
    runs: dict[tuple[str, str], TrackerRun]
    scores: dict[tuple[str, str], SequenceScore]
    frames: dict[str, int]
    meta: dict = field(default_factory=dict)

    def mean_success(self, tracker: str) -> np.ndarray:
        """Mean over sequences of the success curves (21 values)."""
        return np.nanmean([self.scores[s, tracker].success for s in self.sequences], axis=0)

    def mean_precision(self, tracker: str) -> np.ndarray:
        """Mean over sequences of the precision curves (51 values)."""
        return np.nanmean([self.scores[s, tracker].precision for s in self.sequences], axis=0)

    def mean_auc(self, tracker: str) -> float:
        """Mean AUC over sequences (= AUC of the mean success curve)."""
        return auc(self.mean_success(tracker))

    def mean_precision_at_20(self, tracker: str) -> float:
        """Mean P@20 over sequences."""
        return float(self.mean_precision(tracker)[int(np.flatnonzero(PRECISION_THRESHOLDS == 20)[0])])

    def fps(self, tracker: str) -> float:
        """Total ``update`` calls over their total time, all sequences together."""
        runs = [self.runs[s, tracker] for s in self.sequences]
        total = sum(float(np.nansum(r.update_seconds[1:])) for r in runs)
        count = sum(r.n_updates for r in runs)
        return count / total if total > 0 else float("nan")

    def warning_lines(self) -> list[str]:
        """The trackers' own warnings, one line per (sequence, tracker, message)."""
        return [f"{t} on {s}: {m}" for (s, t), r in sorted(self.runs.items()) for m in r.warnings]

    def ranked_trackers(self) -> list[str]:
        """Trackers by decreasing mean AUC."""
        return sorted(self.trackers, key=lambda t: -np.nan_to_num(self.mean_auc(t), nan=-1.0))

    def problems(self) -> list[str]:
        """Human-readable list of tracker errors and NaN boxes, one line each."""
        out = []
        for (s, t), r in sorted(self.runs.items()):
            if r.error:
                out.append(f"{t} on {s}: {r.error}")
            bad = r.nonfinite_frames
            if bad.size:
                out.append(f"{t} on {s}: {bad.size} non-finite boxes, first at frame {bad[0]}")
        return out

    # ---- tables

    def mean_rows(self) -> list[dict]:
        """One row per tracker, best mean AUC first."""
        rows = []
        for t in self.ranked_trackers():
            runs = [self.runs[s, t] for s in self.sequences]
            rows.append({
                "tracker": t,
                "sequences": len(self.sequences),
                "frames": sum(self.frames[s] for s in self.sequences),
                "auc": self.mean_auc(t),
                "precision_20": self.mean_precision_at_20(t),
                "fps": self.fps(t),
                "ms_per_frame": 1000.0 / self.fps(t) if self.fps(t) > 0 else float("nan"),
                "lost_frames": int(sum((~r.ok).sum() for r in runs)),
                "errors": sum(r.error is not None for r in runs),
            })
        return rows

    def sequence_rows(self) -> list[dict]:
        """One row per (sequence, tracker), sequences in order, trackers ranked."""
        rows = []
        ranked = self.ranked_trackers()
        for s in self.sequences:
            for t in ranked:
                r, sc = self.runs[s, t], self.scores[s, t]
                rows.append({
                    "sequence": s,
                    "tracker": t,
                    "frames": self.frames[s],
                    "valid_frames": sc.n_valid,
                    "auc": sc.auc,
                    "precision_20": sc.precision_at_20,
                    "fps": r.fps,
                    "lost_frames": int((~r.ok).sum()),
                    "error": r.error or "",
                })
        return rows

    def mean_table_markdown(self) -> str:
        """The mean table: tracker, mean AUC, mean P@20, fps (best AUC first)."""
        lines = [
            "| tracker | AUC | P@20 | fps (`update`) | ms/frame | frames lost (ok=False) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in self.mean_rows():
            lines.append(
                f"| {row['tracker']} | {row['auc']:.3f} | {row['precision_20']:.3f} | {row['fps']:.0f} | "
                f"{row['ms_per_frame']:.2f} | {row['lost_frames']} |"
            )
        return "\n".join(lines)

    def sequence_table_markdown(self) -> str:
        """Per-sequence tables of AUC, P@20 and fps (rows: sequences and their mean; columns: trackers)."""
        ranked = self.ranked_trackers()
        parts = []
        tables = (("AUC", "auc", ".3f"), ("P@20", "precision_20", ".3f"), ("fps", "fps", ".0f"))
        for title, key, fmt in tables:
            head = "| sequence | frames | " + " | ".join(ranked) + " |"
            rule = "|---|---:|" + "---:|" * len(ranked)
            lines = [f"### {title}", "", head, rule]
            for s in self.sequences:
                vals = []
                for t in ranked:
                    sc, r = self.scores[s, t], self.runs[s, t]
                    v = {"auc": sc.auc, "precision_20": sc.precision_at_20, "fps": r.fps}[key]
                    cell = format(v, fmt) if np.isfinite(v) else "n/a"
                    if key == "auc" and r.error:
                        cell += " (error)"
                    vals.append(cell)
                lines.append(f"| {s} | {self.frames[s]} | " + " | ".join(vals) + " |")
            means = {t: {"auc": self.mean_auc(t), "precision_20": self.mean_precision_at_20(t),
                         "fps": self.fps(t)}[key] for t in ranked}
            total = sum(self.frames[s] for s in self.sequences)
            cells = " | ".join(format(means[t], fmt) for t in ranked)
            lines.append(f"| **mean** | {total} | {cells} |")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)


def _task(seq_path: str, max_frames: int | None, name: str, factory: TrackerFactory | None,
          opencv_threads: int | None, seed: int | None) -> TrackerRun:
    """Worker body (top level, so that the 'spawn' context can pickle it)."""
    if opencv_threads is not None:
        import cv2

        cv2.setNumThreads(opencv_threads)
    return run_tracker(load_sequence(seq_path, max_frames=max_frames), name, factory, seed=seed)


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="frame", desc="eval", disable=not enabled, dynamic_ncols=True,
                file=sys.stderr)


def evaluate(
    dataset: str | Path | list[Sequence],
    trackers: str | Iterable[str] | Mapping[str, TrackerFactory] | None = None,
    *,
    out: str | Path | None = None,
    jobs: int = 1,
    sequences: Iterable[str] | None = None,
    max_frames: int | None = None,
    progress: bool = True,
    opencv_threads: int | None = None,
    plots: bool = True,
    seed: int | None = 0,
    warn=None,
) -> Evaluation:
    """One-pass evaluation of trackers on an OTB-layout dataset; optionally write tables, plots, boxes.

    Parameters
    ----------
    dataset : str, Path or list of Sequence
        Dataset folder (one sub-folder per sequence, see :mod:`meanshift.evaluation.datasets`), or loaded sequences.
    trackers : str, iterable of str, or mapping, optional
        Names or groups (see :func:`resolve_trackers`; default ``"default"``), or a mapping
        ``name -> zero-argument factory`` for trackers of your own (with ``jobs > 1`` the factories
        must be picklable: top-level functions or ``functools.partial`` of them).
    out : str or Path, optional
        Folder to write the results into (see :func:`write_results`).
    jobs : int
        Worker processes (``multiprocessing`` 'spawn' context). Tasks are (sequence, tracker)
        pairs, longest sequences first. With ``jobs > 1`` the workers share the cores, so speeds
        are lower than a quiet machine gives; use ``jobs=1`` for speed measurements.
    sequences : iterable of str, optional
        Only these sequences.
    max_frames : int, optional
        Cut every sequence to its first ``max_frames`` frames (quick runs, tests).
    progress : bool
        Show a tqdm progress bar (on stderr) counting frames.
    opencv_threads : int, optional
        ``cv2.setNumThreads`` in each worker; default: 1 when ``jobs > 1`` (no oversubscription),
        OpenCV's own default otherwise.
    plots : bool
        With ``out``, also draw the success and precision plots (needs matplotlib).
    seed : int or None
        Seed of OpenCV's random generators before every run (MIL is randomised), see
        :func:`seed_opencv`; ``None`` leaves them alone.
    warn : callable, optional
        Receives a message for each tracker skipped (default :func:`warnings.warn`).

    Returns
    -------
    Evaluation
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if max_frames is not None and max_frames < 2:
        raise ValueError(f"max_frames must be at least 2 (init plus one update), got {max_frames}")
    if isinstance(dataset, (str, Path)):
        seqs = load_dataset(dataset, names=sequences, max_frames=max_frames)
    else:
        seqs = [s.head(max_frames) if max_frames else s for s in dataset]
        if sequences is not None:
            keep = set(sequences)
            seqs = [s for s in seqs if s.name in keep]
    if not seqs:
        raise ValueError("no sequence to evaluate")
    if isinstance(trackers, Mapping):
        factories: dict[str, TrackerFactory | None] = dict(trackers)
    else:
        factories = {n: None for n in resolve_trackers(trackers, warn=warn)}
    if not factories:
        raise ValueError("no tracker to evaluate (all selected trackers are unavailable)")
    if opencv_threads is None and jobs > 1:
        opencv_threads = 1

    # Longest sequences first so that the slow tasks do not end up alone at the tail.
    tasks = [(s, name) for s in sorted(seqs, key=lambda s: -len(s)) for name in factories]
    runs: dict[tuple[str, str], TrackerRun] = {}
    started = time.perf_counter()
    with _progress(sum(len(s) for s, _ in tasks), progress) as bar:
        if jobs == 1:
            if opencv_threads is not None:
                import cv2

                cv2.setNumThreads(opencv_threads)
            for s, name in tasks:
                bar.set_postfix_str(f"{s.name} {name}", refresh=False)
                runs[s.name, name] = run_tracker(s, name, factories[name], seed=seed)
                bar.update(len(s))
        else:
            ctx = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=jobs, mp_context=ctx) as pool:
                futures = {
                    pool.submit(_task, str(s.path), len(s), name, factories[name], opencv_threads, seed):
                    (s, name)
                    for s, name in tasks
                }
                for fut in as_completed(futures):
                    s, name = futures[fut]
                    runs[s.name, name] = fut.result()
                    bar.set_postfix_str(f"{s.name} {name}", refresh=False)
                    bar.update(len(s))
    elapsed = time.perf_counter() - started

    names = [s.name for s in seqs]
    scores = {(s.name, t): score_sequence(runs[s.name, t].boxes, s.groundtruth)
              for s in seqs for t in factories}
    ev = Evaluation(
        sequences=names,
        trackers=list(factories),
        runs=runs,
        scores=scores,
        frames={s.name: len(s) for s in seqs},
        meta=_meta(jobs, opencv_threads, max_frames, elapsed, seed),
    )
    if out is not None:
        from meanshift.evaluation.report import write_results

        write_results(ev, out, plots=plots)
    return ev


def _meta(jobs: int, opencv_threads: int | None, max_frames: int | None, elapsed: float,
          seed: int | None) -> dict:
    import cv2

    versions = {"python": platform.python_version(), "numpy": np.__version__, "opencv": cv2.__version__}
    try:
        import numba

        versions["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    try:
        from importlib.metadata import version

        versions["meanshift"] = version("meanshift")
    except Exception:  # not installed, e.g. run from a source tree
        pass
    return {
        "protocol": "OTB one-pass evaluation (OPE)",
        "source": _source_revision(),
        "jobs": jobs,
        "opencv_threads": opencv_threads if opencv_threads is not None else "opencv default",
        "max_frames": max_frames,
        "seed": seed,
        "cpu_count": os.cpu_count(),
        "machine": platform.machine(),
        "platform": platform.platform(),
        "versions": versions,
        "wall_seconds": round(elapsed, 1),
        "date": time.strftime("%Y-%m-%d"),
    }


def _source_revision() -> str | None:
    """``<commit>`` (plus ``+dirty`` when meanshift/ has local changes) of a source checkout, else None."""
    import subprocess

    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return None
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "meanshift"],
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return head + ("+dirty" if dirty else "")


