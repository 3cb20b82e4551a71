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
from meanshift.apps.batch.jobs import BatchJob, check_unique_names, job_inputs, job_settings, outputs_for
from meanshift.apps.batch.local import attempts_so_far, read_record, remove_scratch, run_in_processes, run_job
from meanshift.apps.batch.tracking import TrackerOptions, VideoReport
from meanshift.apps.outputs import check_output_paths, check_writable_folder
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


def _previous_run(outputs: dict[str, Path], settings: dict) -> tuple[dict | None, str]:
    """``(record, "")`` when the outputs are complete and made with ``settings``, else ``(None, why to redo)``.

    ``why`` is empty when there is nothing to redo a video over (its outputs are not all there).
    """
    if not all(p.is_file() for key, p in outputs.items() if key != "record"):
        return None, ""
    record = read_record(outputs["record"])
    if record is None:
        return None, "the settings its outputs were made with are not recorded"
    before = record["settings"]
    changed = [f"{key} {before.get(key)!r} -> {settings.get(key)!r}" for key in settings
               if before.get(key) != settings.get(key)]
    if changed:
        return None, "settings changed since it was tracked (" + ", ".join(changed) + ")"
    return record, ""


def check_batch_outputs(jobs: Sequence[BatchJob], out_dir: Path, *, write_video: bool, box_format: str,
                        manifest: str | os.PathLike[str] | None = None) -> None:
    """Refuse a batch whose outputs would replace an input or go inside a frame folder, or cannot be written.

    Raises
    ------
    meanshift.apps.outputs.OutputError
        A ``ValueError`` naming the output, the input it would destroy and what to do.
    """
    files: list[Path] = [Path(manifest)] if manifest else []
    folders: list[Path] = []
    for job in jobs:
        read, within = job_inputs(job)
        files += [p for p in read if p.exists()]
        folders += within
    # One call for every output: each path is resolved once (a check per output re-resolved every input).
    outputs = [(f"--out (output of {job.source})", path) for job in jobs
               for path in outputs_for(job, out_dir, write_video=write_video, box_format=box_format).values()]
    outputs.append(("--out (summary.csv)", out_dir / "summary.csv"))
    check_output_paths(outputs, files, folders, need_parent=False)
    check_writable_folder(out_dir, what=f"--out {out_dir}")


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
    box_format: str = "csv",
    codec: str | None = None,
    manifest: str | os.PathLike[str] | None = None,
    prefetch: bool = True,
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
        worker processes. Needs the ``distributed`` extra (``pip install '.[distributed]'`` in the
        checkout); ``out_dir`` must be a path that every worker can reach. A video whose worker dies
        is run again elsewhere (its ``attempts`` say so).
    log : callable, optional
        Receives one-line messages such as the Dask dashboard's address, or why a video done
        before is tracked again (default: printed to stderr when ``progress``).
    box_format : {"csv", "jsonl", "mot"}
        Format of each box table (``NAME.csv``, ``NAME.jsonl``, ``NAME.txt``).
    codec : {"mp4v", "h264", "vp9"}, optional
        Codec of the annotated videos.
    manifest : path, optional
        The manifest the jobs came from: no output may replace it.
    prefetch : bool
        Decode each video's frames ahead on other threads while it is tracked (a reading thread for a
        file, a small pool of decoders for a frame folder: :func:`meanshift.io.open_source`). The
        outputs are the same either way, and so are the settings a rerun compares.

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

    Notes
    -----
    Each video's settings (tracker options, initial box, formats) and figures are recorded in
    ``NAME.run.json``; a rerun skips a video only when its outputs are complete and were made with
    the same settings (the summary then repeats the recorded figures), and tracks it again otherwise.
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
    # Before anything is written or removed: outputs that would destroy an input, an unwritable folder.
    check_batch_outputs(jobs, out_dir, write_video=write_video, box_format=box_format, manifest=manifest)
    out_dir.mkdir(parents=True, exist_ok=True)
    reports: dict[int, VideoReport] = {}
    pending: list[int] = []
    for i, job in enumerate(jobs):
        outputs = outputs_for(job, out_dir, write_video=write_video, box_format=box_format)
        settings = job_settings(job, options, write_video=write_video, box_format=box_format, codec=codec)
        record, redo = (None, "") if force or job.problem else _previous_run(outputs, settings)
        if record is not None:
            reports[i] = VideoReport(job.source, "skipped", frames=int(record.get("frames", 0)),
                                     lost=int(record.get("lost", 0)), seconds=float(record.get("seconds", 0.0)),
                                     error=str(record.get("warning") or ""))
        else:
            if redo:
                log(f"{job.source}: {redo}: tracking it again")
            pending.append(i)
        remove_scratch(job, out_dir)  # left over from a killed run
    n_jobs = max(1, min(n_jobs or os.cpu_count() or 1, len(pending) or 1))
    if n_jobs > 1 or scheduler is not None:
        # Longest first, so that no long video starts last while the other workers sit idle.
        pending.sort(key=lambda i: -_size_on_disk(jobs[i].source))
    tasks = {i: (jobs[i], str(out_dir), options, write_video, box_format, codec, prefetch) for i in pending}
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

