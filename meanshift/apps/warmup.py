"""Compile (or load from Numba's cache) the tracking kernels before the tracking loop starts.

The first run after installing compiles the kernels the chosen tracker uses: :data:`COMPILE_SECONDS` for
the default tracker, :data:`CLASSIC_COMPILE_SECONDS` for the classic presets, on a 2-core machine
(``benchmarks/first_start.py``: an empty cache, ``NUMBA_CACHE_DIR`` pointing at a fresh folder); later runs
load them from the cache in about a second. Doing it before the loop keeps the progress bar's rate and the
reported speed about tracking alone, and lets the wait be announced on its own line. With a core left idle,
a second process compiles half of the default tracker's kernels meanwhile (:func:`start_helper`).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

import click

__all__ = ["COMPILE_SECONDS", "CLASSIC_COMPILE_SECONDS", "compile_kernels", "cache_is_cold", "start_helper",
           "stop_helper"]

#: What the first run's compilation takes with the default tracker, said in the console message and in the
#: README and docs: 3.3-4.4 s in one process on 2 cores with other work running (load averages 1-3,
#: benchmarks/results/first_start.md, "compiling, as the command reports it"). It was 9 s when the default
#: tracker also compiled the classic engine's model and paths it never takes (issue 27).
COMPILE_SECONDS = 4

#: The same for the classic presets, whose engine compiles more: camshift 9.6-10.7 s, comaniciu-meer 7.8-8.2 s.
CLASSIC_COMPILE_SECONDS = 10


def cache_is_cold(tracker: Any = None) -> bool:
    """Whether ``tracker``'s kernels will be compiled rather than loaded (caching off, or not in the cache).

    Told by one kernel its engine always calls: the posterior engine's window search (the default
    tracker's, also when ``tracker`` is None) or the classic engine's model histogram.
    """
    from meanshift._jit import CACHE_ENABLED, cache_is_warm

    if not CACHE_ENABLED:
        return True
    if tracker is None or _runs_posterior_engine(tracker):
        from meanshift._kernels.posterior import best_window as probe
    else:
        from meanshift._kernels import kernel_histogram as probe
    return cache_is_warm(probe) is False


def _runs_posterior_engine(tracker: Any) -> bool:
    from meanshift.posterior_scale import PosteriorScale

    return isinstance(getattr(tracker, "scale_rule", None), PosteriorScale)


def start_helper(tracker: Any) -> subprocess.Popen | None:
    """A second process compiling the posterior engine's frame kernels into the same cache, or None.

    It compiles them last used first (:func:`meanshift._kernels.posterior.compile_frame_kernels`) while
    the tracker's first frame compiles them first used first: the two meet in the middle and the tracker
    loads the rest from the cache. None when it cannot help: caching off, another engine, or no core left
    idle for it (with the cores busy, a second compiler only takes turns with the first).
    ``MEANSHIFT_COMPILE_HELPER=0`` never starts it, ``=1`` starts it whenever there are two cores, busy or
    not (the first-start benchmark measures both ways).
    """
    from meanshift._jit import CACHE_ENABLED

    choice = os.environ.get("MEANSHIFT_COMPILE_HELPER", "auto").strip().lower()
    useful = CACHE_ENABLED and bool(sys.executable) and _runs_posterior_engine(tracker)
    if choice in {"0", "false", "no", "off"} or not useful:
        return None
    if not (_idle_cores() >= 0.5 or choice in {"1", "true", "yes", "on"} and _cores() >= 2):
        return None
    import meanshift

    code = "from meanshift._kernels.posterior import compile_frame_kernels; compile_frame_kernels()"
    # Run from the folder that holds this meanshift, so that it is the one imported (and cached), whatever the
    # working directory holds; a cache folder given relative to the working directory is made absolute.
    home = os.path.dirname(os.path.dirname(os.path.abspath(meanshift.__file__)))
    env = dict(os.environ)
    if env.get("NUMBA_CACHE_DIR"):
        env["NUMBA_CACHE_DIR"] = os.path.abspath(env["NUMBA_CACHE_DIR"])
    try:
        return subprocess.Popen([sys.executable, "-c", code], cwd=home, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None


def stop_helper(helper: subprocess.Popen | None) -> None:
    """End the helper of :func:`start_helper` if it is still compiling: the tracker has all it needs now.

    Numba writes each cache file under a temporary name and renames it, so an end mid-write leaves no
    broken entry.
    """
    if helper is None or helper.poll() is not None:
        return
    helper.terminate()
    try:
        helper.wait(timeout=5)
    except subprocess.TimeoutExpired:
        helper.kill()
        helper.wait()


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _idle_cores() -> float:
    """About how many of the cores this process may run on are idle besides the one it runs on.

    From the load average of the last minute (processes running or waiting); 0 where it cannot be read.
    """
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # no load average (Windows)
        return 0.0
    return max(_cores() - 1 - busy, 0.0)


def compile_kernels(make_tracker: Any, frame: Any, boxes: Sequence[Sequence[float]], *, quiet: bool) -> float:
    """Run one throwaway tracker on ``frame`` so that every kernel the run needs is compiled or loaded.

    With a cold cache, says so on one line and shows the seconds passing on the line below it (on
    stderr) until done. Errors are left for the real run to report. Returns the seconds it took.
    """
    from meanshift._jit import CACHE_ENABLED

    try:
        tracker = make_tracker()
    except Exception:  # the tracking run makes it again and reports the error
        return 0.0
    cold = cache_is_cold(tracker)
    helper = start_helper(tracker) if cold else None
    if cold and not quiet:
        expected = COMPILE_SECONDS if _runs_posterior_engine(tracker) else CLASSIC_COMPILE_SECONDS
        why = (f"first run after installing: about {expected} s, then cached" if CACHE_ENABLED
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
            if box is None:
                h, w = frame.shape[:2]
                box = (w / 4, h / 4, max(w / 4, 4), max(h / 4, 4))
            tracker.init(frame, box)
            tracker.update(frame)
    except Exception:  # noqa: S110 - the tracking run hits and reports the same error
        pass
    finally:
        stop_helper(helper)
        done.set()
        if spinner is not None:
            spinner.join()
    seconds = time.perf_counter() - start
    if cold and not quiet:
        click.echo(f"compiled in {seconds:.1f} s", err=True)
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
