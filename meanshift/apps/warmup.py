"""Compile (or load from Numba's cache) the tracking kernels before the tracking loop starts.

The first run after installing compiles the kernels the chosen tracker uses: :data:`COMPILE_SECONDS` for
the default tracker (:data:`ONE_PROCESS_COMPILE_SECONDS` on one core), :data:`CLASSIC_COMPILE_SECONDS` for
the classic presets, on a 2-core machine
(``benchmarks/first_start.py``: an empty cache, ``NUMBA_CACHE_DIR`` pointing at a fresh folder); later runs
load them from the cache in about a second. Doing it before the loop keeps the progress bar's rate and the
reported speed about tracking alone, and lets the wait be announced on its own line. With two cores, a
forked copy of the process compiles half of the default tracker's kernels meanwhile (:func:`start_helper`).
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
import warnings
from collections.abc import Sequence
from typing import Any

import click

__all__ = ["COMPILE_SECONDS", "ONE_PROCESS_COMPILE_SECONDS", "CLASSIC_COMPILE_SECONDS", "compile_kernels",
           "cache_is_cold", "start_helper", "start_helper_if_cold", "stop_helper", "CompileHelper"]

#: What the first run's compilation takes with the default tracker, said in the console message and in the
#: README and docs: 1.5-1.8 s (medians of three runs of 7 the same day) with the forked helper on 2 cores
#: (benchmarks/results/first_start.md, "compiling, as the command reports it"). It was 9 s when the default
#: tracker also compiled the classic engine's model and paths it never takes, 3.6 s before the helper (issue 27).
COMPILE_SECONDS = 2

#: The same in one process (one core, MEANSHIFT_COMPILE_HELPER=0, caching off): 3.0-3.8 s.
ONE_PROCESS_COMPILE_SECONDS = 4

#: The same for the classic presets, whose engine compiles more: camshift 7.8-8.6 s, comaniciu-meer 6.5-7.6 s
#: (medians of three runs of 7 the same day).
CLASSIC_COMPILE_SECONDS = 8

#: Whether a warm-up of this process has frozen the collector's objects (it does so once).
_FROZEN = False

#: How long the warm-up waits for the compile helper to finish its share (about 2 s) before compiling the rest
#: itself: a helper starved of CPU, or stuck, costs at most this.
HELPER_WAIT_SECONDS = 15.0


def cache_is_cold(tracker: Any = None) -> bool:
    """Whether ``tracker``'s kernels will be compiled rather than loaded (caching off, or not in the cache).

    Told by kernels its engine always calls: one of each share of the posterior engine's (the default
    tracker's, also when ``tracker`` is None; a first run stopped half-way leaves one share cached), or
    the classic engine's model histogram.
    """
    from meanshift._jit import CACHE_ENABLED, cache_is_warm

    if not CACHE_ENABLED:
        return True
    if tracker is None or _runs_posterior_engine(tracker):
        from meanshift._kernels.posterior import best_window, rect_match

        probes: tuple[Any, ...] = (best_window, rect_match)
    else:
        from meanshift._kernels import kernel_histogram

        probes = (kernel_histogram,)
    return any(cache_is_warm(probe) is False for probe in probes)


def _runs_posterior_engine(tracker: Any) -> bool:
    from meanshift.posterior_scale import PosteriorScale

    return isinstance(getattr(tracker, "scale_rule", None), PosteriorScale)


class CompileHelper:
    """A forked copy of this process compiling its share of the posterior engine's kernels (:func:`start_helper`)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """Its exit status once it has ended (and been reaped), else None."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:  # reaped elsewhere
                self.returncode = -1
                return self.returncode
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for it to finish its share; whether it has."""
        end = time.monotonic() + timeout
        while self.poll() is None:
            if time.monotonic() >= end:
                return False
            time.sleep(0.005)
        return True

    def stop(self) -> None:
        """End it if it is still compiling, and reap it.

        Numba writes each cache file under a temporary name and renames it, so an end mid-write leaves no
        broken entry.
        """
        if self.poll() is not None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        if not self.wait(5):
            os.kill(self.pid, signal.SIGKILL)
            self.wait(5)


def start_helper(tracker: Any) -> CompileHelper | None:
    """A forked copy of this process compiling the ``"helper"`` share of the posterior engine's frame kernels.

    With two cores the first start's compile time is about halved: the tracker compiles the other share
    (:func:`meanshift._kernels.posterior.compile_frame_kernels`), waits for the helper, and loads its
    kernels from the cache they share. A fork, not a new interpreter, so that the helper starts compiling
    at once instead of after a second of imports; call it early, before threads start (a prefetching reader).
    None when it cannot help: caching off, another engine, one core, no ``fork`` (only Linux's is used).
    ``MEANSHIFT_COMPILE_HELPER=0`` never starts it.
    """
    from meanshift._jit import CACHE_ENABLED

    choice = os.environ.get("MEANSHIFT_COMPILE_HELPER", "1").strip().lower()
    if choice in {"0", "false", "no", "off"} or not CACHE_ENABLED or not _runs_posterior_engine(tracker):
        return None
    if _cores() < 2 or not sys.platform.startswith("linux"):
        return None
    from meanshift._kernels.posterior import compile_frame_kernels

    compile_frame_kernels("first")  # in the parent, so that the child starts with Numba's compiler set up
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # else the child's copy of a buffer could be written twice
    # Ctrl-C between the fork and the child's own handlers would raise into the caller's code in the child.
    blocked = {signal.SIGINT, signal.SIGTERM}
    saved = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
    try:
        with warnings.catch_warnings():
            # Python 3.12 warns of a fork beside other threads (a BLAS pool's idle workers here): the child
            # only compiles, takes no lock those threads could hold, and leaves by os._exit.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
    except OSError:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)
        return None
    if pid:
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)
        return CompileHelper(pid)
    status = 1
    try:  # the child: compile, then leave without running the parent's exit handlers or flushing its buffers
        for number in blocked:
            try:
                signal.signal(number, signal.SIG_DFL)
            except ValueError:  # not the main thread: the handlers stay, os._exit still ends it
                pass
        signal.pthread_sigmask(signal.SIG_SETMASK, saved)
        quiet = os.open(os.devnull, os.O_WRONLY)
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        gc.disable()  # it exits when done: the compiler's garbage needs no collecting (see compile_kernels)
        compile_frame_kernels("helper")
        status = 0
    finally:
        os._exit(status)


def stop_helper(helper: CompileHelper | None) -> None:
    """End ``helper`` (:meth:`CompileHelper.stop`); nothing when None."""
    if helper is not None:
        helper.stop()


def _cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def start_helper_if_cold(make_tracker: Any) -> CompileHelper | None:
    """:func:`start_helper` for the tracker ``make_tracker()`` makes when its kernels are not in the cache.

    None on any error (a tracker that cannot be made, a cache that cannot be written): the tracking run
    meets the same and reports it.
    """
    try:
        tracker = make_tracker()
        return start_helper(tracker) if cache_is_cold(tracker) else None
    except Exception:
        return None


def compile_kernels(make_tracker: Any, frame: Any, boxes: Sequence[Sequence[float]], *, quiet: bool,
                    helper: CompileHelper | None = None) -> float:
    """Run one throwaway tracker on ``frame`` so that every kernel the run needs is compiled or loaded.

    With a cold cache, says so on one line and shows the seconds passing on the line below it (on
    stderr) until done. ``helper``, from :func:`start_helper_if_cold` called before the source was opened,
    compiles half of the kernels meanwhile; it is ended here. Errors are left for the real run to report.
    Returns the seconds it took.
    """
    from meanshift._jit import CACHE_ENABLED

    try:
        tracker = make_tracker()
    except Exception:  # the tracking run makes it again and reports the error
        return 0.0
    cold = helper is not None or cache_is_cold(tracker)  # (the helper may have cached the probed kernel already)
    if cold and not quiet:
        expected = (CLASSIC_COMPILE_SECONDS if not _runs_posterior_engine(tracker)
                    else COMPILE_SECONDS if helper is not None else ONE_PROCESS_COMPILE_SECONDS)
        why = (f"first run after installing: about {expected} s, then cached" if CACHE_ENABLED
               else "MEANSHIFT_NUMBA_CACHE=0: every run")
        click.echo(f"compiling the tracking kernels ({why})", err=True)
    global _FROZEN
    collecting = gc.isenabled()
    pause = cold and CACHE_ENABLED and not _FROZEN
    if pause:
        # Numba's compiler makes objects by the hundred thousand, and the collector's passes over them and
        # over everything imported took a tenth of the compile time (0.2 s of the first start, issue 27).
        # Collection is off while compiling; what it left behind (some 20 MB) is then frozen, not
        # collected: a full pass later would stall a tracked frame. Once per process (what is frozen is
        # never freed), and not with caching off, where every run compiles anyway.
        _FROZEN = True
        gc.disable()
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
            if helper is not None and helper.poll() is None:
                # Its share is under way: compile ours, then load its kernels instead of compiling them again.
                from meanshift._kernels.posterior import compile_frame_kernels

                compile_frame_kernels("tracker")
                helper.wait(HELPER_WAIT_SECONDS)
            tracker.update(frame)
    except Exception:  # noqa: S110 - the tracking run hits and reports the same error
        pass
    finally:
        stop_helper(helper)
        if pause:
            gc.freeze()
            if collecting:
                gc.enable()
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
