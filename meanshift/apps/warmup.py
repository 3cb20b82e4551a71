"""Compile (or load from Numba's cache) the tracking kernels before the tracking loop starts.

The first run after installing compiles the kernels: :data:`COMPILE_SECONDS` on a 2-core machine
(measured with an empty cache, ``NUMBA_CACHE_DIR`` pointing at a fresh folder); later runs load them
from the cache in about a second. Doing it before the loop keeps the progress bar's rate and the
reported speed about tracking alone, and lets the wait be announced on its own line.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

import click

__all__ = ["COMPILE_SECONDS", "compile_kernels", "cache_is_cold"]

#: What the first run's compilation takes, said in the console message and in the README: the default
#: tracker compiles in 9 s on a quiet 2-core machine (benchmarks/results/first_start.md; 6 s before the
#: joint colour-texture bins became the default on colour frames).
COMPILE_SECONDS = 9


def cache_is_cold() -> bool:
    """Whether the kernels will be compiled rather than loaded (caching off, or an empty cache)."""
    from meanshift import _kernels
    from meanshift._jit import CACHE_ENABLED, cache_is_warm

    return not CACHE_ENABLED or cache_is_warm(_kernels.converge) is False


def compile_kernels(make_tracker: Any, frame: Any, boxes: Sequence[Sequence[float]], *, quiet: bool) -> float:
    """Run one throwaway tracker on ``frame`` so that every kernel the run needs is compiled or loaded.

    With a cold cache, says so on one line and shows the seconds passing on the line below it (on
    stderr) until done. Errors are left for the real run to report. Returns the seconds it took.
    """
    from meanshift._jit import CACHE_ENABLED

    cold = cache_is_cold()
    if cold and not quiet:
        why = (f"first run after installing: about {COMPILE_SECONDS} s, then cached" if CACHE_ENABLED
               else "MEANSHIFT_NUMBA_CACHE=0: every run")
        click.echo(f"compiling the tracking kernels ({why})", err=True)
    start = time.perf_counter()
    done = threading.Event()
    spinner = None
    if cold and not quiet:
        spinner = threading.Thread(target=_spin, args=(done, start), daemon=True)
        spinner.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the real run reports them
            box = next(iter(boxes), None)  # the first target's box, else one a quarter of the frame's size
            tracker = make_tracker()
            if box is None:
                h, w = frame.shape[:2]
                box = (w / 4, h / 4, max(w / 4, 4), max(h / 4, 4))
            tracker.init(frame, box)
            tracker.update(frame)
    except Exception:  # noqa: S110 - the tracking run hits and reports the same error
        pass
    finally:
        done.set()
        if spinner is not None:
            spinner.join()
    seconds = time.perf_counter() - start
    if cold and not quiet:
        click.echo(f"compiled in {seconds:.0f} s", err=True)
    return seconds


def _spin(done: threading.Event, start: float) -> None:
    import sys

    if not sys.stderr.isatty():
        return  # a log file gets the two lines only
    marks = "|/-\\"
    i = 0
    while not done.wait(0.25):
        sys.stderr.write(f"\r{marks[i % 4]} {time.perf_counter() - start:4.0f} s")
        sys.stderr.flush()
        i += 1
    sys.stderr.write("\r" + " " * 12 + "\r")
    sys.stderr.flush()
