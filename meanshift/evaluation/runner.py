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
from collections.abc import Iterable, Mapping
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from pathlib import Path

import numpy as np

from meanshift.evaluation.datasets import Sequence, load_dataset, load_sequence
from meanshift.evaluation.metrics import score_sequence
from meanshift.evaluation.results import Evaluation
from meanshift.evaluation.run import TrackerRun, run_tracker, seed_opencv
from meanshift.evaluation.trackers import (
    GROUPS,
    OURS_PREFIX,
    TrackerFactory,
    make_tracker,
    our_tracker_names,
    resolve_trackers,
    tracker_names,
)

# The names below are defined in trackers.py, run.py and results.py and re-exported here, where they
# have always been importable from.
__all__ = [
    "GROUPS",
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

def _task(seq_path: str, max_frames: int | None, name: str, factory: TrackerFactory | None,
          opencv_threads: int | None, seed: int | None, start_box=None, seq_name: str | None = None) -> TrackerRun:
    """Worker body (top level, so that the 'spawn' context can pickle it).

    The sequence is loaded again from ``seq_path``; ``start_box`` and ``seq_name`` carry a variant's
    start (:meth:`Sequence.started_on`).
    """
    if opencv_threads is not None:
        import cv2

        cv2.setNumThreads(opencv_threads)
    seq = load_sequence(seq_path, max_frames=max_frames)
    if start_box is not None:
        seq = seq.started_on(start_box)
    if seq_name is not None:
        seq = replace(seq, name=seq_name)
    return run_tracker(seq, name, factory, seed=seed)


def _progress(total: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="frame", desc="eval", disable=not enabled, dynamic_ncols=True,
                file=sys.stderr)


def evaluate(
    dataset: str | Path | list[str | Path] | list[Sequence],
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
    dataset : str, Path, list of them, or list of Sequence
        Dataset folder (one sub-folder per sequence, image folders and videos mixed, see
        :mod:`meanshift.evaluation.datasets`), several folders pooled, or loaded sequences.
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
    given = [dataset] if isinstance(dataset, (str, Path)) else list(dataset)
    loaded = [s for s in given if isinstance(s, Sequence)]
    if loaded and len(loaded) != len(given):
        raise TypeError("dataset mixes loaded Sequence objects and folders: give one kind")
    if not loaded:
        seqs = load_dataset(dataset, names=sequences, max_frames=max_frames)  # type: ignore[arg-type]
    else:
        seqs = [s.head(max_frames) if max_frames else s for s in loaded]
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
                    pool.submit(_task, str(s.path), len(s), name, factories[name], opencv_threads, seed,
                                s.start_box, s.name):
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

    root = Path(__file__).resolve().parents[2]  # meanshift/evaluation/runner.py -> the checkout
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


