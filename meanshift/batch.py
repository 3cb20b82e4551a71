"""Track many videos in one go, in parallel, resumably; the library behind ``meanshift batch``.

Each video is tracked from its initial box to its last frame; its box table (and optionally an
annotated video) is written under a temporary name and renamed into place only when complete, so
an interrupted run never leaves a truncated file that looks finished, and a rerun skips what is
already done. A video that cannot be read is reported, not fatal: :func:`run_batch` returns one
:class:`VideoReport` per video and writes them to ``summary.csv``.

The videos run in local worker processes, or, with ``scheduler=``, as one task each on a Dask
``distributed`` cluster (the optional extra ``pip install meanshift[distributed]``). Both run the
same per-video job, :func:`_run_job`, with the same temporary names, resume rule and summary; on a
cluster the output folder must be a path that every worker and this process can reach.

Inputs
------
* a folder of videos with sidecar boxes: ``clip.mp4`` + ``clip.box`` (one line ``x,y,w,h``);
  sub-folders of frames in OTB layout (``Seq/img/*.jpg`` + ``Seq/groundtruth_rect.txt``) count
  as videos too;
* or a CSV manifest with rows ``video,x,y,w,h[,preset]`` (an optional header line; relative paths
  are relative to the manifest; ``video`` may be a frame folder).

Examples
--------
>>> from meanshift.batch import load_jobs, run_batch, TrackerOptions
>>> reports = run_batch(load_jobs("clips/"), "tracked/", options=TrackerOptions("camshift"))  # doctest: +SKIP
>>> [r.status for r in reports]  # doctest: +SKIP
['ok', 'ok', 'failed']
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import multiprocessing
import os
import signal
import sys
import time
import warnings
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meanshift.io import (
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    BoxCsvWriter,
    FrameSource,
    VideoError,
    VideoWriter,
    check_box,
    draw_box,
    draw_result,
    image_folder_frames,
    initial_box_for,
    open_source,
    parse_box,
    partial_path,
    quiet_opencv,
    read_box_file,
    silence_opencv,
    target_color,
)

__all__ = [
    "SUMMARY_COLUMNS",
    "TrackerOptions",
    "VideoReport",
    "BatchJob",
    "track_video",
    "jobs_from_folder",
    "jobs_from_manifest",
    "load_jobs",
    "outputs_for",
    "run_batch",
    "write_summary",
    "SchedulerError",
]

Box = tuple[float, float, float, float]

#: Columns of ``summary.csv``.
SUMMARY_COLUMNS = ("video", "status", "frames", "lost", "fps", "seconds", "error", "attempts")

#: What ``pip`` installs for ``scheduler=``; named in the error when it is missing.
DISTRIBUTED_EXTRA = "pip install 'meanshift[distributed]'"

#: One batch task per video: the job, the output folder, the tracker options, whether to write a video.
Task = tuple["BatchJob", str, "TrackerOptions", bool]


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used: the extra is not installed, or the address does not answer."""


@dataclass(frozen=True)
class TrackerOptions:
    """How to build a tracker: a preset name and the options that override it.

    ``None`` keeps the preset's choice. Instances are small and picklable, so they travel to
    worker processes, where :meth:`create` builds the tracker.
    """

    preset: str = "generalized"
    similarity: str | None = None
    kernel: str | None = None
    features: str | None = None
    bins: int | None = None

    def create(self) -> Any:
        """A fresh tracker (``meanshift.create_tracker``); ``ValueError`` names a bad option."""
        import meanshift  # heavy (Numba); imported where a tracker is actually needed

        return meanshift.create_tracker(
            self.preset,
            similarity=self.similarity,
            kernel=self.kernel,
            features=self.features,
            bins=self.bins,
        )


@dataclass
class VideoReport:
    """What happened to one video: a row of ``summary.csv``.

    ``status`` is ``ok``, ``failed``, ``skipped`` (outputs already complete) or ``interrupted``.
    ``lost`` counts frames in which a target was not believed tracked. ``error`` holds the one-line
    reason of a failure (or a warning, such as a file that ended before its header said).
    ``attempts`` counts the times tracking this video was started in this run: 0 when it was
    skipped or never opened, 1 normally, more when a worker died and a Dask scheduler ran it again.
    """

    video: str
    status: str
    frames: int = 0
    lost: int = 0
    seconds: float = 0.0
    error: str = ""
    outputs: tuple[str, ...] = field(default=())
    attempts: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def row(self) -> list[Any]:
        return [self.video, self.status, self.frames, self.lost, f"{self.fps:.1f}", f"{self.seconds:.2f}",
                self.error, self.attempts]


def track_video(
    source: str | os.PathLike[str] | FrameSource,
    boxes: Sequence[Sequence[float]] | Sequence[float],
    *,
    options: TrackerOptions | None = None,
    make_tracker: Callable[[], Any] | None = None,
    csv_path: str | os.PathLike[str] | None = None,
    video_path: str | os.PathLike[str] | None = None,
    atomic: bool = False,
    max_frames: int | None = None,
    on_frame: Callable[[int], Any] | None = None,
) -> VideoReport:
    """Track one or more targets through a video without a window, streaming the outputs.

    Frames are read, tracked and written one at a time, so memory does not depend on the video's
    length.

    Parameters
    ----------
    source : path, camera index or FrameSource
        Anything :func:`meanshift.io.open_source` accepts, or an open source (it is closed).
    boxes : (x, y, w, h) or sequence of them
        Initial box of each target in the first frame; target ``i`` is column ``target = i``.
    options : TrackerOptions, optional
        Tracker to build per target (default: the ``generalized`` preset).
    make_tracker : callable, optional
        Alternative to ``options``: returns a fresh tracker with ``init``/``update``.
    csv_path : path, optional
        Box table (:data:`meanshift.io.CSV_COLUMNS`), one row per frame and target.
    video_path : path, optional
        Annotated video (rotated boxes and scores drawn on each frame).
    atomic : bool
        Write outputs under :func:`~meanshift.io.partial_path` names and rename them when
        complete (the box table last, so its presence means the video is done); on any error or
        interruption the partial files are removed.
    max_frames : int, optional
        Stop after this many frames.
    on_frame : callable, optional
        Called with ``1`` after each frame (pass ``tqdm.update``).

    Returns
    -------
    VideoReport
        ``status="ok"``, frames processed, frames lost, time taken.

    Raises
    ------
    VideoError, ValueError
        The source cannot be read, or a box is malformed or outside the frame.
    """
    from meanshift.multi import update_targets

    boxes = _as_box_list(boxes)
    if make_tracker is None:
        make_tracker = (options or TrackerOptions()).create
    final = {"csv": Path(csv_path) if csv_path else None, "video": Path(video_path) if video_path else None}
    temp = {k: (partial_path(p) if atomic else p) for k, p in final.items() if p is not None}
    csv_out: BoxCsvWriter | None = None
    writer: VideoWriter | None = None
    start = time.perf_counter()
    frames = lost = 0
    name = source.name if isinstance(source, FrameSource) else str(source)
    try:
        src = source if isinstance(source, FrameSource) else open_source(source)
        with src:
            first = src.peek()
            if first is None:
                raise VideoError(f"{name}: no frames to track")
            boxes = [check_box(b, first.shape) for b in boxes]
            if "csv" in temp:
                csv_out = BoxCsvWriter(temp["csv"])
            if "video" in temp:
                writer = VideoWriter(temp["video"], src.fps or 30.0)
            trackers: dict[int, Any] = {}
            current = dict(enumerate(boxes))  # every target's last box: the others do not take its pixels
            for frame in src:
                if max_frames is not None and frames >= max_frames:
                    break
                annotated = frame.copy() if writer is not None else None
                if not trackers:
                    for number, box in enumerate(boxes):
                        tracker = make_tracker()
                        tracker.init(frame, box)
                        trackers[number] = tracker
                        if csv_out is not None:
                            csv_out.write_box(frames, number, box)
                        if annotated is not None:
                            draw_box(annotated, box, target_color(number), label=f"#{number}")
                else:
                    results = update_targets(trackers, frame, current)
                    for number, result in results.items():
                        current[number] = result.box
                        if csv_out is not None:
                            csv_out.write_result(frames, number, result)
                        if annotated is not None:
                            draw_result(annotated, result, target_color(number), label=f"#{number}")
                    lost += any(not result.ok for result in results.values())
                if writer is not None:
                    writer.write(annotated)
                frames += 1
                if on_frame is not None:
                    on_frame(1)
            expected = src.frame_count
        seconds = time.perf_counter() - start
        if writer is not None:
            writer.close()
            _fsync_path(temp["video"])
        if csv_out is not None:
            csv_out.sync()
            csv_out.close()
        if atomic:
            # The box table goes last: its presence is what marks the video as done.
            for key in ("video", "csv"):
                if key in temp:
                    os.replace(temp[key], final[key])
    except BaseException:
        # Includes KeyboardInterrupt: never leave a half-written file behind under a final name.
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()
        if atomic:
            for path in temp.values():
                _unlink(path)
        raise
    warning = ""
    if max_frames is None and expected and frames < 0.95 * expected:
        warning = f"warning: read {frames} of the {expected} frames the file announces (truncated?)"
    outputs = tuple(str(final[k]) for k in ("csv", "video") if final[k] is not None)
    return VideoReport(name, "ok", frames, lost, seconds, warning, outputs)


def _as_box_list(boxes: Sequence[Sequence[float]] | Sequence[float]) -> list[Box]:
    if len(boxes) == 4 and all(isinstance(v, int | float) for v in boxes):
        boxes = [boxes]  # type: ignore[list-item]
    if not boxes:
        raise ValueError("no initial box given: pass at least one (x, y, w, h)")
    return [tuple(float(v) for v in b) for b in boxes]  # type: ignore[misc]


def _fsync_path(path: Path) -> None:
    # OpenCV's writer does not sync; do it so a rename after a power cut cannot expose an empty file.
    try:
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    except OSError:
        pass


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


# --------------------------------------------------------------------------------------------
# Jobs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchJob:
    """One video of a batch: what to read, where the target starts, what to call the outputs.

    ``problem`` records why the job cannot run (e.g. no box file); such a job is reported as
    failed without being opened.
    """

    source: str
    box: Box | None
    name: str
    preset: str | None = None
    problem: str | None = None


def _is_frame_folder(path: Path) -> bool:
    if (path / "img").is_dir():
        return True
    return any(p.suffix.lower() in IMAGE_EXTENSIONS for p in path.iterdir())


def jobs_from_folder(folder: str | os.PathLike[str]) -> list[BatchJob]:
    """Jobs for the videos in ``folder``, each with its sidecar box.

    Videos are files with a video extension (``.mp4``, ``.avi``, ...) and sub-folders of frames;
    the box of ``clip.mp4`` is read from ``clip.box``, that of a frame folder ``Seq`` from
    ``Seq.box``, ``Seq/init.box`` or the first line of ``Seq/groundtruth_rect.txt``.

    Raises
    ------
    VideoError
        When the folder holds no videos.
    """
    folder = Path(folder)
    jobs: list[BatchJob] = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue  # our own partial files, editor droppings
        if entry.is_dir():
            if not _is_frame_folder(entry):
                continue
        elif entry.suffix.lower() not in VIDEO_EXTENSIONS:
            continue
        jobs.append(_job_with_sidecar(entry))
    if not jobs:
        raise VideoError(
            f"no videos in {folder} (expected files such as clip.mp4 with clip.box holding x,y,w,h, "
            f"or frame folders)"
        )
    return jobs


def _job_with_sidecar(path: Path) -> BatchJob:
    name = path.stem if path.is_file() else path.name
    sidecar = path.with_name(path.name + ".box") if path.is_dir() else path.with_suffix(".box")
    try:
        if sidecar.is_file():
            return BatchJob(str(path), read_box_file(sidecar), name)
        found = initial_box_for(path)
    except (VideoError, ValueError) as exc:
        return BatchJob(str(path), None, name, problem=str(exc))
    if found is None:
        return BatchJob(str(path), None, name, problem=f"no initial box: create {sidecar} holding x,y,w,h")
    return BatchJob(str(path), found[0], name)


def jobs_from_manifest(manifest: str | os.PathLike[str]) -> list[BatchJob]:
    """Jobs from a CSV manifest of rows ``video,x,y,w,h[,preset]``.

    A first line whose second field is not a number is taken as a header and may name the columns
    in any order. Blank lines and lines starting with ``#`` are ignored. Relative video paths are
    relative to the manifest's folder.

    Raises
    ------
    ValueError
        Naming the file and line of a malformed row.
    VideoError
        When the manifest cannot be read or lists nothing.
    """
    manifest = Path(manifest)
    try:
        text = manifest.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise VideoError(f"cannot read manifest {manifest}: {exc.strerror}") from None
    delimiter = "\t" if manifest.suffix.lower() == ".tsv" else ","
    columns = ["video", "x", "y", "w", "h", "preset"]
    jobs: list[BatchJob] = []
    first = True
    for lineno, row in enumerate(csv.reader(text.splitlines(), delimiter=delimiter), start=1):
        row = [c.strip() for c in row]
        if not row or not any(row) or row[0].startswith("#"):
            continue
        if first:
            first = False
            if len(row) > 1 and not _is_number(row[1]):
                columns = [c.lower() for c in row]
                missing = {"video", "x", "y", "w", "h"} - set(columns)
                if missing:
                    lacking = ", ".join(sorted(missing))
                    raise ValueError(f"{manifest}:{lineno}: header lacks column(s) {lacking}")
                continue
        fields = dict(zip(columns, row, strict=False))
        if len(row) < 5 or not fields.get("video"):
            raise ValueError(f"{manifest}:{lineno}: expected video,x,y,w,h[,preset], got {','.join(row)!r}")
        try:
            box = parse_box(",".join(fields[k] for k in ("x", "y", "w", "h")))
        except ValueError as exc:
            raise ValueError(f"{manifest}:{lineno}: {exc}") from None
        video = Path(fields["video"])
        if not video.is_absolute():
            video = manifest.parent / video
        stem = video.name if video.is_dir() or not video.suffix else video.stem
        jobs.append(BatchJob(str(video), box, stem, preset=fields.get("preset") or None))
    if not jobs:
        raise VideoError(f"manifest {manifest} lists no videos (rows: video,x,y,w,h[,preset])")
    return jobs


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def load_jobs(input_path: str | os.PathLike[str]) -> list[BatchJob]:
    """Jobs from a folder of videos or a CSV manifest, whichever ``input_path`` is."""
    path = Path(input_path)
    if path.is_dir():
        return jobs_from_folder(path)
    if not path.exists():
        raise VideoError(f"no such folder or manifest: {path}")
    if path.suffix.lower() in (".csv", ".tsv", ".txt"):
        return jobs_from_manifest(path)
    raise VideoError(f"{path} is neither a folder of videos nor a .csv manifest")


def outputs_for(job: BatchJob, out_dir: str | os.PathLike[str], *, write_video: bool) -> dict[str, Path]:
    """Final output paths of a job: ``{"csv": DIR/name.csv[, "video": DIR/name.mp4]}``."""
    out_dir = Path(out_dir)
    outputs = {"csv": out_dir / f"{job.name}.csv"}
    if write_video:
        outputs["video"] = out_dir / f"{job.name}.mp4"
    return outputs


def _check_unique_names(jobs: Sequence[BatchJob]) -> None:
    seen: dict[str, str] = {}
    for job in jobs:
        if job.name == "summary":
            raise ValueError(f"{job.source} would write summary.csv, which the batch's own summary uses; rename it")
        if job.name in seen:
            raise ValueError(
                f"{seen[job.name]} and {job.source} would both write {job.name}.csv; rename one of them"
            )
        seen[job.name] = job.source


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def _attempts_path(job: BatchJob, out_dir: str | os.PathLike[str]) -> Path:
    """Hidden file beside the outputs, one line per time the job was started (``.NAME.partial.attempts``)."""
    return partial_path(Path(out_dir) / f"{job.name}.attempts")


def _scratch_paths(job: BatchJob, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Every file a job writes before it is complete: partial outputs (video or not) and its attempts file."""
    partials = [partial_path(p) for p in outputs_for(job, out_dir, write_video=True).values()]
    return [*partials, _attempts_path(job, out_dir)]


def _remove_scratch(job: BatchJob, out_dir: str | os.PathLike[str]) -> None:
    for path in _scratch_paths(job, out_dir):
        _unlink(path)


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


def _attempts_so_far(job: BatchJob, out_dir: str | os.PathLike[str]) -> int:
    try:
        with open(_attempts_path(job, out_dir), encoding="utf-8") as f:
            return sum(1 for _ in f)
    except OSError:
        return 0


def _run_job(task: Task, on_frame: Callable[[int], Any] | None = None) -> VideoReport:
    """Track one job; any error becomes a ``failed`` report.

    This is the whole of a video's work, run alike by a local worker process and by a Dask task:
    record the attempt, track to ``.partial`` files, rename them, report.
    """
    job, out_dir, options, write_video = task
    if job.problem:
        return VideoReport(job.source, "failed", error=job.problem)
    outputs = outputs_for(job, out_dir, write_video=write_video)
    if job.preset:
        options = replace(options, preset=job.preset)
    start = time.perf_counter()
    attempt = 1
    marker = _attempts_path(job, out_dir)
    try:
        attempt = _record_attempt(marker)
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
            report = _run_job(task, on_frame=check_parent)
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
        self.process.join(timeout=None if kill else 10)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()
        self.conn.close()


def _run_in_processes(
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
            busy = [w for w in workers if w.task is not None]
            wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                index = worker.task
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
                    report = VideoReport(job.source, "failed", attempts=max(_attempts_so_far(job, out_dir), 1),
                                         error=f"worker process died ({reason}) while tracking this video")
                    _remove_scratch(job, out_dir)
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


# --------------------------------------------------------------------------------------------
# On a Dask cluster
# --------------------------------------------------------------------------------------------


class _AbandonedError(Exception):
    """Raised in a Dask task whose result nobody wants any more, to stop and remove its partial files."""


def _abandon_check(interval: float = 0.5) -> Callable[[int], None]:
    """An ``on_frame`` callback for a Dask task: raise :class:`_AbandonedError` once the scheduler released it.

    Dask cannot stop a running task. Without this check a video whose batch was interrupted (or
    whose client died) would run to its end on the worker and rename its outputs into place, racing
    a rerun that writes the same partial names; the local pool's workers watch their parent likewise.
    """
    from distributed import get_worker

    try:
        worker = get_worker()
        key = worker.get_current_task()
    except (ValueError, KeyError):  # not inside a Dask task
        return lambda _: None
    state = getattr(worker, "state", None)  # the worker's task table (distributed >= 2022.11)
    if state is None:
        return lambda _: None
    next_check = time.monotonic() + interval

    def check(_: int) -> None:
        nonlocal next_check
        now = time.monotonic()
        if now < next_check:
            return  # a dict lookup per frame would be cheap too, but there is no need
        next_check = now + interval
        task = state.tasks.get(key)
        if task is None or task.state in ("cancelled", "released", "forgotten"):
            raise _AbandonedError("the batch no longer wants this video")

    return check


def _run_dask_task(task: Task, quiet: bool) -> VideoReport:
    """One video as a Dask task: :func:`_run_job`, with the worker set up as a local pool worker is."""
    import cv2

    cv2.setNumThreads(1)  # the parallelism comes from the workers: one OpenCV thread each
    with quiet_opencv() if quiet else contextlib.nullcontext():
        return _run_job(task, on_frame=_abandon_check())


@contextlib.contextmanager
def _dask_client(scheduler: str, n_workers: int) -> Iterator[Any]:
    """A Dask client of ``scheduler`` (an address, or ``"local"`` for a new ``LocalCluster``), closed on exit.

    Raises
    ------
    SchedulerError
        ``distributed`` is not installed, the address is malformed, or the scheduler does not
        answer in time (Dask's ``distributed.comm.timeouts.connect``, 30 s by default).
    """
    try:
        from distributed import Client, LocalCluster
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise SchedulerError(f"a Dask scheduler needs the distributed extra: {DISTRIBUTED_EXTRA}") from None
    cluster = None
    if scheduler == "local":
        import dask

        # Processes with one thread each, like the local pool: tracking a frame holds the GIL in
        # places. Dashboard on a free port: 8787 may belong to another cluster on this machine.
        # Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off glibc's
        # adaptive mmap threshold: every HD frame is then mapped and faulted in afresh, and tracking
        # runs ~1.5x slower than in the local pool. Unset it (the nannies read it when created, and
        # keep it for restarts), so the workers allocate as the local pool's processes do.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster, set_as_default=False)
    else:
        try:
            # Checked first: a Client given a malformed address raises, then hangs a minute in __del__.
            scheme, location = parse_address(scheduler)
            if scheme in ("tcp", "tls", "ws", "wss"):
                parse_host_port(location, 8786)
            client = Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise SchedulerError(f"cannot connect to the Dask scheduler at {scheduler}: {reason} "
                                 f"(expected tcp://HOST:PORT or 'local')") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _lost_task_report(job: BatchJob, out_dir: str, exc: BaseException) -> VideoReport:
    """Report of a task that ended in an exception rather than a report (its worker died too often...)."""
    from distributed import KilledWorker

    attempts = max(_attempts_so_far(job, out_dir), 1)
    if isinstance(exc, KilledWorker):
        error = f"a worker died while tracking this video, {attempts} times; the scheduler gave up (KilledWorker)"
    else:  # e.g. meanshift not installed on the workers
        error = f"task failed on the cluster: {type(exc).__name__}: {exc}"
    _remove_scratch(job, out_dir)
    return VideoReport(job.source, "failed", error=" ".join(error.split()), attempts=attempts)


def _run_on_dask(
    tasks: dict[int, Task], client: Any, quiet: bool, log: Callable[[str], Any]
) -> Generator[tuple[int, VideoReport], None, None]:
    """Yield ``(index, report)`` as the tasks finish on a Dask cluster, one task per video.

    A task whose worker dies is run again by the scheduler on another worker (up to Dask's
    ``distributed.scheduler.allowed-failures`` times, 3 by default; Dask's ``retries`` only cover
    tasks that raise, which ours do not); its ``.partial`` files are replaced by the new attempt.
    """
    from uuid import uuid4

    from distributed import as_completed

    futures: dict[Any, int] = {}
    try:
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        link = ""
        with contextlib.suppress(Exception):  # no dashboard (bokeh missing) or no scheduler info
            link = client.dashboard_link or ""
        log(f"Dask scheduler {client.scheduler.address}: {workers} worker{'' if workers == 1 else 's'}"
            + (f", dashboard {link}" if link else "")
            + ("; the tasks wait until workers join" if not workers else ""))
        run = uuid4().hex[:8]
        for index, task in tasks.items():
            # pure=False and a fresh key: rerunning a command must track again, not reuse a result the
            # cluster still holds; the video's name in the key shows on the dashboard.
            future = client.submit(_run_dask_task, task, quiet, key=f"meanshift-{task[0].name}-{run}", pure=False)
            futures[future] = index
        for future in as_completed(futures, loop=client.loop):  # loop: this client is not the default one
            index = futures[future]
            try:
                report = future.result()
            except Exception as exc:
                report = _lost_task_report(tasks[index][0], tasks[index][1], exc)
            yield index, report
    finally:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))  # running tasks notice it (see _abandon_check) and stop


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
    _check_unique_names(jobs)
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
        _remove_scratch(job, out_dir)  # left over from a killed run
    n_jobs = max(1, min(n_jobs or os.cpu_count() or 1, len(pending) or 1))
    if n_jobs > 1 or scheduler is not None:
        # Longest first, so that no long video starts last while the other workers sit idle.
        pending.sort(key=lambda i: -_size_on_disk(jobs[i].source))
    tasks = {i: (jobs[i], str(out_dir), options, write_video) for i in pending}
    # Connect before the progress bar and the try: a scheduler that does not answer is an error of
    # the command, not a batch of interrupted videos. Closing `session` stops the Dask workers.
    session = contextlib.ExitStack()
    client = session.enter_context(_dask_client(scheduler, n_jobs)) if scheduler is not None and pending else None
    bar = tqdm(total=len(pending), unit="video", desc="batch", disable=not progress or not pending)
    try:
        with session:
            results: Generator[tuple[int, VideoReport], None, None]
            if client is not None:
                results = _run_on_dask(tasks, client, quiet, _beside(bar, log))
            elif n_jobs == 1:
                results = ((i, _run_job(tasks[i])) for i in pending)
            else:
                results = _run_in_processes(tasks, n_jobs, quiet)
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
                attempts = _attempts_so_far(jobs[i], out_dir)
                reports[i] = VideoReport(jobs[i].source, "interrupted", error="interrupted before completion",
                                         attempts=attempts)
                _remove_scratch(jobs[i], out_dir)
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

