"""What to track: jobs from a folder of videos with sidecar boxes, OTB sequence folders, or a CSV manifest."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from meanshift.apps.batch.tracking import Box, TrackerOptions
from meanshift.io import (
    BOX_FORMATS,
    IMAGE_EXTENSIONS,
    VIDEO_EXTENSIONS,
    VideoError,
    initial_box_for,
    parse_box,
    read_box_file,
)

#: One batch task per video: the job, the output folder, the tracker options, whether to write a video,
#: the box table's format, the video's codec, and whether to decode frames ahead while tracking.
Task = tuple["BatchJob", str, "TrackerOptions", bool, str, "str | None", bool]



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

    A malformed row (too few fields, no video, a box that is not four numbers) becomes a job whose
    ``problem`` names the file and line: it fails alone, in ``summary.csv``, and the other rows run,
    as a row naming a missing video or an unknown preset does.

    Raises
    ------
    ValueError
        When the header lacks a column: no row can be read.
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
        where = f"{manifest}:{lineno}"
        if not fields.get("video"):
            # Nothing to name the row by but its place: that is its name in summary.csv.
            jobs.append(BatchJob(where, None, f"{manifest.stem}-line{lineno}",
                                 problem=f"{where}: no video: expected video,x,y,w,h[,preset], got {','.join(row)!r}"))
            continue
        video = Path(fields["video"])
        if not video.is_absolute():
            video = manifest.parent / video
        stem = video.name if video.is_dir() or not video.suffix else video.stem
        box, problem = None, None
        if len(row) < 5:
            problem = f"{where}: expected video,x,y,w,h[,preset], got {','.join(row)!r}"
        else:
            try:
                box = parse_box(",".join(fields[k] for k in ("x", "y", "w", "h")))
            except ValueError as exc:
                problem = f"{where}: {exc}"
        jobs.append(BatchJob(str(video), box, stem, preset=fields.get("preset") or None, problem=problem))
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


def outputs_for(job: BatchJob, out_dir: str | os.PathLike[str], *, write_video: bool,
                box_format: str = "csv") -> dict[str, Path]:
    """Final output paths of a job: ``{"csv": DIR/name.csv[, "video": DIR/name.mp4], "record": ...}``.

    The box table's extension follows ``box_format`` (``.csv``, ``.jsonl``, ``.txt`` for MOT; the key
    stays ``"csv"``). ``record`` is ``DIR/name.run.json``: the settings the outputs were made with
    and their figures, which a rerun compares and reports.
    """
    out_dir = Path(out_dir)
    outputs = {"csv": out_dir / f"{job.name}{BOX_FORMATS[box_format]}"}
    if write_video:
        outputs["video"] = out_dir / f"{job.name}.mp4"
    outputs["record"] = out_dir / f"{job.name}.run.json"
    return outputs


def job_settings(job: BatchJob, options: TrackerOptions, *, write_video: bool, box_format: str = "csv",
                 codec: str | None = None) -> dict:
    """Everything that decides a job's outputs: a rerun whose settings differ tracks the video again."""
    if job.preset:
        options = replace(options, preset=job.preset)
    settings = options.settings()
    settings.update(box=list(job.box) if job.box else None, format=box_format,
                    codec=(codec or "mp4v") if write_video else None)
    return settings


def job_inputs(job: BatchJob) -> tuple[list[Path], list[Path]]:
    """What a job reads: ``(files, folders)``; no output may replace a file or go inside a folder."""
    path = Path(job.source)
    if path.is_dir():
        return [path.with_name(path.name + ".box")], [path]
    return [path, path.with_suffix(".box")], []


def check_unique_names(jobs: Sequence[BatchJob]) -> None:
    seen: dict[str, str] = {}
    for job in jobs:
        if job.name == "summary":
            raise ValueError(f"{job.source} would write summary.csv, which the batch's own summary uses; rename it")
        if job.name in seen:
            raise ValueError(
                f"{seen[job.name]} and {job.source} would both write {job.name}.csv; rename one of them"
            )
        seen[job.name] = job.source


