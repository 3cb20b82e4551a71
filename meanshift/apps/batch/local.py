"""Running jobs in local worker processes: one video per task, attempts counted, scratch files removed."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import time
import warnings
from collections.abc import Callable, Generator
from dataclasses import replace
from pathlib import Path
from typing import Any

from meanshift.apps.batch.jobs import BatchJob, Task, job_settings, outputs_for
from meanshift.apps.batch.tracking import VideoReport, remove_file, track_video
from meanshift.io import (
    BOX_FORMATS,
    VideoError,
    partial_path,
    silence_opencv,
)


def _attempts_path(job: BatchJob, out_dir: str | os.PathLike[str]) -> Path:
    """Hidden file beside the outputs, one line per time the job was started (``.NAME.partial.attempts``)."""
    return partial_path(Path(out_dir) / f"{job.name}.attempts")


def _scratch_paths(job: BatchJob, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Every file a job writes before it is complete: partial outputs (video or not) and its attempts file."""
    partials = {partial_path(p) for fmt in BOX_FORMATS
                for p in outputs_for(job, out_dir, write_video=True, box_format=fmt).values()}
    return [*sorted(partials), _attempts_path(job, out_dir)]


def write_record(path: Path, settings: dict, report: VideoReport) -> None:
    """Write ``NAME.run.json``: the settings a video's outputs were made with, and its figures (atomically)."""
    import json

    record = {"settings": settings, "frames": report.frames, "lost": report.lost,
              "seconds": round(report.seconds, 3), "warning": report.error}
    temp = partial_path(path)
    temp.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    os.replace(temp, path)


def read_record(path: Path) -> dict | None:
    """The record :func:`write_record` wrote, or ``None`` when there is none (or it is unreadable)."""
    import json

    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and isinstance(record.get("settings"), dict) else None


def remove_scratch(job: BatchJob, out_dir: str | os.PathLike[str]) -> None:
    for path in _scratch_paths(job, out_dir):
        remove_file(path)


def _record_attempt(path: Path) -> int:
    """Append this attempt to ``path``; return how many attempts it lists (this one included).

    The file lives beside the outputs, on storage every worker reaches, so an attempt on another
    machine after a worker died still sees the earlier ones; it is removed when the job ends, and
    survives only a process killed mid-job.
    """
    import socket

    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{socket.gethostname()} {os.getpid()}\n")
    with open(path, encoding="utf-8") as f:
        return sum(1 for _ in f)


def attempts_so_far(job: BatchJob, out_dir: str | os.PathLike[str]) -> int:
    try:
        with open(_attempts_path(job, out_dir), encoding="utf-8") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def run_job(task: Task, on_frame: Callable[[int], Any] | None = None) -> VideoReport:
    """Track one job; any error becomes a ``failed`` report.

    This is the whole of a video's work, run alike by a local worker process and by a Dask task:
    record the attempt, track to ``.partial`` files, rename them, report.
    """
    job, out_dir, options, write_video, box_format, codec, prefetch = task
    if job.problem:
        return VideoReport(job.source, "failed", error=job.problem)
    outputs = outputs_for(job, out_dir, write_video=write_video, box_format=box_format)
    settings = job_settings(job, options, write_video=write_video, box_format=box_format, codec=codec)
    if job.preset:
        options = replace(options, preset=job.preset)
    start = time.perf_counter()
    attempt = 1
    marker = _attempts_path(job, out_dir)
    try:
        attempt = _record_attempt(marker)
        if job.box is None:  # a job without a box has a problem, reported above; one built by hand may not
            raise ValueError("no initial box")
        # The engine warns about doubtful inputs (e.g. a box the colour mask rejects); keep those in
        # the report instead of letting each worker print them over the progress bar.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            report = track_video(
                job.source,
                [job.box],
                options=options,
                csv_path=outputs["csv"],
                video_path=outputs.get("video"),
                atomic=True,
                on_frame=on_frame,
                box_format=box_format,
                codec=codec,
                prefetch=prefetch,
                # The record first: a kill between it and the renames leaves outputs that look unfinished.
                before_publish=lambda done: write_record(outputs["record"], settings, done),
            )
        notes = dict.fromkeys(f"warning: {w.message}" for w in caught)  # unique, in order
        report.error = "; ".join([report.error, *notes] if report.error else notes)
        report.attempts = attempt
        return report
    except (VideoError, ValueError, OSError) as exc:
        message = str(exc)
    except Exception as exc:  # a bug or an OpenCV failure: report it, keep the batch going
        message = f"{type(exc).__name__}: {exc}"
    finally:
        # Reached unless the process itself dies; then the file stays for the next attempt to count.
        with contextlib.suppress(OSError):
            marker.unlink()
    message = " ".join(message.split())  # one line, for the CSV and the terminal
    return VideoReport(job.source, "failed", seconds=time.perf_counter() - start, error=message, attempts=attempt)


class _ParentGone(SystemExit):
    """Raised in a worker whose parent died (killed), to stop and remove its partial files."""


def _worker_main(conn: Any, quiet: bool) -> None:
    """A worker process: receive a task, send back its report, until told to stop.

    Workers are plain processes with one pipe each rather than a ``multiprocessing.Pool``: the
    parent then sees a worker that dies mid-video (a decoder crashing on a corrupt file) as that
    video failing, where a pool would wait for its result forever.
    """
    # Ctrl-C reaches the whole process group; only the parent handles it (terminating the
    # workers), so workers ignore it rather than each dying with a traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    import cv2

    cv2.setNumThreads(1)  # one OpenCV thread per process: the processes already use the cores
    if quiet:
        silence_opencv()  # for the life of this worker process
    parent = os.getppid()

    def check_parent(_: int) -> None:
        # If the parent was killed nobody will collect this video: stop now (removing the partial
        # files) instead of running on as an orphan.
        if os.getppid() != parent:
            raise _ParentGone(1)

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            report = run_job(task, on_frame=check_parent)
        except _ParentGone:
            return
        try:
            conn.send(report)
        except (BrokenPipeError, OSError):
            return


class _Worker:
    def __init__(self, context: Any, quiet: bool):
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_worker_main, args=(child, quiet), daemon=True)
        self.process.start()
        child.close()
        self.task: int | None = None

    def stop(self, *, kill: bool = False) -> None:
        if kill and self.process.is_alive():
            self.process.terminate()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        # Bounded either way: a worker that outlives its SIGTERM (seen once in twenty interrupted runs) is
        # killed, so that an interrupted batch always ends.
        self.process.join(timeout=10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def run_in_processes(
    tasks: dict[int, Task], n_jobs: int, quiet: bool
) -> Generator[tuple[int, VideoReport], None, None]:
    """Yield ``(index, report)`` as worker processes finish tasks; replace workers that die."""
    from multiprocessing.connection import wait

    context = multiprocessing.get_context("spawn")  # Numba's threads and fork() do not mix
    queue = list(tasks)
    workers: list[_Worker] = []
    try:
        workers = [_Worker(context, quiet) for _ in range(min(n_jobs, len(queue)))]
        for worker in workers:
            worker.task = queue.pop(0)
            worker.conn.send(tasks[worker.task])
        while any(w.task is not None for w in workers):
            busy = [(w, w.task) for w in workers if w.task is not None]
            wait([w.conn for w, _ in busy] + [w.process.sentinel for w, _ in busy])
            for worker, index in busy:
                if worker.conn.poll():
                    try:
                        report = worker.conn.recv()
                    except (EOFError, OSError):
                        report = None
                elif not worker.process.is_alive():
                    report = None
                else:
                    continue
                if report is None:
                    # The process died without answering: a crash inside a decoder, or killed.
                    worker.process.join()
                    code = worker.process.exitcode
                    reason = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                    job, out_dir = tasks[index][:2]
                    report = VideoReport(job.source, "failed", attempts=max(attempts_so_far(job, out_dir), 1),
                                         error=f"worker process died ({reason}) while tracking this video")
                    remove_scratch(job, out_dir)
                    worker.stop(kill=True)
                    workers[workers.index(worker)] = worker = _Worker(context, quiet)
                worker.task = None
                yield index, report
                if queue:
                    worker.task = queue.pop(0)
                    worker.conn.send(tasks[worker.task])
        for worker in workers:
            worker.stop()
    except BaseException:
        for worker in workers:
            worker.stop(kill=True)
        raise


