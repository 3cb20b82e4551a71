"""A whole batch: skip what is done, run the rest (locally or on Dask), report every video in ``summary.csv``."""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import os
import sys
from collections.abc import Callable, Generator, Iterable, Sequence
from pathlib import Path
from typing import Any

from meanshift.apps.batch.dask_runner import DISTRIBUTED_EXTRA, SchedulerError, dask_client, run_on_dask
from meanshift.apps.batch.jobs import BatchJob, check_unique_names, outputs_for
from meanshift.apps.batch.local import attempts_so_far, remove_scratch, run_in_processes, run_job
from meanshift.apps.batch.tracking import TrackerOptions, VideoReport
from meanshift.io import (
    VideoError,
    image_folder_frames,
    partial_path,
    quiet_opencv,
)

#: Columns of ``summary.csv``.
SUMMARY_COLUMNS = ("video", "status", "frames", "lost", "fps", "seconds", "error", "attempts")

def _size_on_disk(source: str) -> int:
    """Bytes of a video file or frame folder: a cheap stand-in for the time it takes to track."""
    path = Path(source)
    try:
        if path.is_dir():
            return sum(p.stat().st_size for p in image_folder_frames(path))
        return path.stat().st_size
    except (OSError, VideoError):
        return 0


def _is_done(job: BatchJob, out_dir: Path, write_video: bool) -> bool:
    return all(p.is_file() for p in outputs_for(job, out_dir, write_video=write_video).values())


def _count_frames(csv_path: Path) -> int:
    with open(csv_path, encoding="utf-8") as f:
        frames = {line.split(",", 1)[0] for line in f}
    return max(len(frames) - 1, 0)  # minus the header


def run_batch(
    jobs: Iterable[BatchJob],
    out_dir: str | os.PathLike[str],
    *,
    options: TrackerOptions | None = None,
    n_jobs: int | None = None,
    force: bool = False,
    write_video: bool = False,
    progress: bool = True,
    quiet: bool = True,
    scheduler: str | None = None,
    log: Callable[[str], Any] | None = None,
) -> list[VideoReport]:
    """Track every job, in parallel processes or on a Dask cluster, and write ``out_dir/summary.csv``.

    Parameters
    ----------
    jobs : iterable of BatchJob
        From :func:`load_jobs`, :func:`jobs_from_folder` or :func:`jobs_from_manifest`.
    out_dir : path
        Receives ``NAME.csv`` (and ``NAME.mp4`` with ``write_video``) per job, and ``summary.csv``.
    options : TrackerOptions, optional
        Tracker for every job; a job's own preset (manifest column) replaces ``options.preset``.
    n_jobs : int, optional
        Worker processes (default: the number of CPUs). With 1 everything runs in this process.
        With ``scheduler="local"``, the number of Dask workers; unused with a scheduler address.
    force : bool
        Redo jobs whose outputs already exist (otherwise they are ``skipped``).
    write_video : bool
        Also write annotated videos.
    progress : bool
        Show an overall progress bar (tqdm, on stderr).
    quiet : bool
        Silence OpenCV's and FFmpeg's console messages while reading videos.
    scheduler : str, optional
        Run one Dask task per video instead of local processes: a scheduler address
        (``tcp://HOST:PORT``), or ``"local"`` to start a ``LocalCluster`` of ``n_jobs`` single-threaded
        worker processes. Needs ``pip install meanshift[distributed]``; ``out_dir`` must be a path
        that every worker can reach. A video whose worker dies is run again elsewhere (its
        ``attempts`` say so).
    log : callable, optional
        Receives one-line messages such as the Dask dashboard's address (default: printed to
        stderr when ``progress``).

    Returns
    -------
    list of VideoReport
        In the order of ``jobs``.

    Raises
    ------
    KeyboardInterrupt
        After stopping the workers, removing their partial files and writing ``summary.csv``
        with the unfinished videos marked ``interrupted``.
    SchedulerError
        ``scheduler`` given but Dask's ``distributed`` is not installed, or it does not answer.
    """
    from tqdm import tqdm

    jobs = list(jobs)
    check_unique_names(jobs)
    if scheduler is not None and importlib.util.find_spec("distributed") is None:
        # Before anything is written: the same command without the extra must fail at once.
        raise SchedulerError(f"a Dask scheduler needs the distributed extra: {DISTRIBUTED_EXTRA}")
    if log is None:
        log = (lambda message: print(message, file=sys.stderr)) if progress else (lambda message: None)
    options = options or TrackerOptions()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports: dict[int, VideoReport] = {}
    pending: list[int] = []
    for i, job in enumerate(jobs):
        if not force and not job.problem and _is_done(job, out_dir, write_video):
            csv_path = outputs_for(job, out_dir, write_video=False)["csv"]
            reports[i] = VideoReport(job.source, "skipped", frames=_count_frames(csv_path))
        else:
            pending.append(i)
        remove_scratch(job, out_dir)  # left over from a killed run
    n_jobs = max(1, min(n_jobs or os.cpu_count() or 1, len(pending) or 1))
    if n_jobs > 1 or scheduler is not None:
        # Longest first, so that no long video starts last while the other workers sit idle.
        pending.sort(key=lambda i: -_size_on_disk(jobs[i].source))
    tasks = {i: (jobs[i], str(out_dir), options, write_video) for i in pending}
    # Connect before the progress bar and the try: a scheduler that does not answer is an error of
    # the command, not a batch of interrupted videos. Closing `session` stops the Dask workers.
    session = contextlib.ExitStack()
    client = session.enter_context(dask_client(scheduler, n_jobs)) if scheduler is not None and pending else None
    bar = tqdm(total=len(pending), unit="video", desc="batch", disable=not progress or not pending)
    try:
        with session:
            results: Generator[tuple[int, VideoReport], None, None]
            if client is not None:
                results = run_on_dask(tasks, client, quiet, _beside(bar, log))
            elif n_jobs == 1:
                results = ((i, run_job(tasks[i])) for i in pending)
            else:
                results = run_in_processes(tasks, n_jobs, quiet)
            # closing: on an interrupt, the generator's own clean-up (stopping the workers, cancelling
            # the tasks) runs before the cluster closes and before the partial files are removed.
            with contextlib.closing(results), quiet_opencv() if quiet else contextlib.nullcontext():
                for i, report in results:
                    reports[i] = report
                    bar.set_postfix_str(f"{Path(report.video).name}: {report.status}", refresh=False)
                    bar.update(1)
    except BaseException:
        for i in pending:
            if i not in reports:
                attempts = attempts_so_far(jobs[i], out_dir)
                reports[i] = VideoReport(jobs[i].source, "interrupted", error="interrupted before completion",
                                         attempts=attempts)
                remove_scratch(jobs[i], out_dir)
        bar.close()
        write_summary([reports[i] for i in range(len(jobs))], out_dir / "summary.csv")
        raise
    bar.close()
    ordered = [reports[i] for i in range(len(jobs))]
    write_summary(ordered, out_dir / "summary.csv")
    return ordered


def _beside(bar: Any, log: Callable[[str], Any]) -> Callable[[str], None]:
    """``log``, with the progress bar cleared while it writes and redrawn after (no message glued to a bar)."""

    def write(message: str) -> None:
        with bar.external_write_mode(file=sys.stderr):
            log(message)

    return write


def write_summary(reports: Sequence[VideoReport], path: str | os.PathLike[str]) -> Path:
    """Write ``summary.csv`` (:data:`SUMMARY_COLUMNS`), atomically."""
    path = Path(path)
    temp = partial_path(path)
    with open(temp, "w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(SUMMARY_COLUMNS)
        for report in reports:
            out.writerow(report.row())
    os.replace(temp, path)
    return path

