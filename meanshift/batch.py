"""Track many videos in one go, in parallel, resumably; the library behind ``meanshift batch``.

Each video is tracked from its initial box to its last frame; its box table (and optionally an
annotated video) is written under a temporary name and renamed into place only when complete, so
an interrupted run never leaves a truncated file that looks finished, and a rerun skips what is
already done. A video that cannot be read is reported, not fatal: :func:`run_batch` returns one
:class:`VideoReport` per video and writes them to ``summary.csv``.

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
import multiprocessing
import os
import signal
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from meanshift.video import (
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
]

Box = tuple[float, float, float, float]

#: Columns of ``summary.csv``.
SUMMARY_COLUMNS = ("video", "status", "frames", "lost", "fps", "seconds", "error")


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
    """

    video: str
    status: str
    frames: int = 0
    lost: int = 0
    seconds: float = 0.0
    error: str = ""
    outputs: tuple[str, ...] = field(default=())

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def row(self) -> list[Any]:
        return [self.video, self.status, self.frames, self.lost, f"{self.fps:.1f}", f"{self.seconds:.2f}",
                self.error]


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
        Anything :func:`meanshift.video.open_source` accepts, or an open source (it is closed).
    boxes : (x, y, w, h) or sequence of them
        Initial box of each target in the first frame; target ``i`` is column ``target = i``.
    options : TrackerOptions, optional
        Tracker to build per target (default: the ``generalized`` preset).
    make_tracker : callable, optional
        Alternative to ``options``: returns a fresh tracker with ``init``/``update``.
    csv_path : path, optional
        Box table (:data:`meanshift.video.CSV_COLUMNS`), one row per frame and target.
    video_path : path, optional
        Annotated video (rotated boxes and scores drawn on each frame).
    atomic : bool
        Write outputs under :func:`~meanshift.video.partial_path` names and rename them when
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
            trackers: list[Any] = []
            for frame in src:
                if max_frames is not None and frames >= max_frames:
                    break
                annotated = frame.copy() if writer is not None else None
                if not trackers:
                    for number, box in enumerate(boxes):
                        tracker = make_tracker()
                        tracker.init(frame, box)
                        trackers.append(tracker)
                        if csv_out is not None:
                            csv_out.write_box(frames, number, box)
                        if annotated is not None:
                            draw_box(annotated, box, target_color(number), label=f"#{number}")
                else:
                    any_lost = False
                    for number, tracker in enumerate(trackers):
                        result = tracker.update(frame)
                        any_lost |= not result.ok
                        if csv_out is not None:
                            csv_out.write_result(frames, number, result)
                        if annotated is not None:
                            draw_result(annotated, result, target_color(number), label=f"#{number}")
                    lost += any_lost
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


def _run_job(task: tuple[BatchJob, str, TrackerOptions, bool], on_frame=None) -> VideoReport:
    """Track one job; any error becomes a ``failed`` report (runs in a worker process)."""
    job, out_dir, options, write_video = task
    if job.problem:
        return VideoReport(job.source, "failed", error=job.problem)
    outputs = outputs_for(job, out_dir, write_video=write_video)
    if job.preset:
        options = replace(options, preset=job.preset)
    start = time.perf_counter()
    try:
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
        return report
    except (VideoError, ValueError, OSError) as exc:
        message = str(exc)
    except Exception as exc:  # a bug or an OpenCV failure: report it, keep the batch going
        message = f"{type(exc).__name__}: {exc}"
    message = " ".join(message.split())  # one line, for the CSV and the terminal
    return VideoReport(job.source, "failed", seconds=time.perf_counter() - start, error=message)


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
    tasks: dict[int, tuple[BatchJob, str, TrackerOptions, bool]], n_jobs: int, quiet: bool
) -> Iterable[tuple[int, VideoReport]]:
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
                    report = VideoReport(tasks[index][0].source, "failed",
                                         error=f"worker process died ({reason}) while tracking this video")
                    for path in outputs_for(tasks[index][0], tasks[index][1], write_video=True).values():
                        _unlink(partial_path(path))
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
) -> list[VideoReport]:
    """Track every job, in parallel processes, and write ``out_dir/summary.csv``.

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
    force : bool
        Redo jobs whose outputs already exist (otherwise they are ``skipped``).
    write_video : bool
        Also write annotated videos.
    progress : bool
        Show an overall progress bar (tqdm, on stderr).
    quiet : bool
        Silence OpenCV's and FFmpeg's console messages while reading videos.

    Returns
    -------
    list of VideoReport
        In the order of ``jobs``.

    Raises
    ------
    KeyboardInterrupt
        After stopping the workers, removing their partial files and writing ``summary.csv``
        with the unfinished videos marked ``interrupted``.
    """
    from tqdm import tqdm

    jobs = list(jobs)
    _check_unique_names(jobs)
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
        for path in outputs_for(job, out_dir, write_video=True).values():
            _unlink(partial_path(path))  # left over from a killed run
    n_jobs = max(1, min(n_jobs or os.cpu_count() or 1, len(pending) or 1))
    if n_jobs > 1:
        # Longest first, so that no long video starts last while the other workers sit idle.
        pending.sort(key=lambda i: -_size_on_disk(jobs[i].source))
    tasks = {i: (jobs[i], str(out_dir), options, write_video) for i in pending}
    bar = tqdm(total=len(pending), unit="video", desc="batch", disable=not progress or not pending)
    try:
        if n_jobs == 1:
            results: Iterable[tuple[int, VideoReport]] = ((i, _run_job(tasks[i])) for i in pending)
        else:
            results = _run_in_processes(tasks, n_jobs, quiet)
        with quiet_opencv() if quiet else contextlib.nullcontext():
            for i, report in results:
                reports[i] = report
                bar.set_postfix_str(f"{Path(report.video).name}: {report.status}", refresh=False)
                bar.update(1)
    except BaseException:
        for i in pending:
            if i not in reports:
                reports[i] = VideoReport(jobs[i].source, "interrupted", error="interrupted before completion")
                for path in outputs_for(jobs[i], out_dir, write_video=True).values():
                    _unlink(partial_path(path))
        bar.close()
        write_summary([reports[i] for i in range(len(jobs))], out_dir / "summary.csv")
        raise
    bar.close()
    ordered = [reports[i] for i in range(len(jobs))]
    write_summary(ordered, out_dir / "summary.csv")
    return ordered


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

