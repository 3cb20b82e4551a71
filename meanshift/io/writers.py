"""Outputs written safely: annotated videos and per-frame box tables, under a temporary name until complete."""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

from meanshift.io.sources import VideoError

#: Columns of the per-frame box table written by :class:`BoxCsvWriter` (``--output`` of the CLI).
CSV_COLUMNS = ("frame", "target", "x", "y", "w", "h", "cx", "cy", "angle", "score", "ok")

# Codec per container: mp4v plays everywhere OpenCV runs and needs no licensed encoder (the pip
# wheels have no H.264 encoder); XVID keeps .avi files small.
_FOURCC_BY_EXTENSION = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "XVID", ".mkv": "XVID"}

def partial_path(path: str | os.PathLike[str]) -> Path:
    """Name under which an output is written until it is complete.

    The extension is kept (OpenCV picks the container from it) and the name is hidden and says
    ``partial``, so an interrupted run never leaves a file that looks finished.

    Examples
    --------
    >>> partial_path("out/clip.mp4").as_posix()
    'out/.clip.partial.mp4'
    """
    path = Path(path)
    return path.with_name(f".{path.stem}.partial{path.suffix}")


def _open_failure(path: Path, codec_hint: str) -> str:
    """Why a video file could not be created: the folder (missing, not writable) before the codec."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return f"cannot write video {path}: folder {folder} does not exist"
    try:
        with open(folder / f".{path.name}.write-test", "w"):
            pass
        os.unlink(folder / f".{path.name}.write-test")
    except OSError as exc:
        return f"cannot write video {path}: folder {folder} is not writable ({exc.strerror or exc})"
    if path.exists() and not os.access(path, os.W_OK):
        return f"cannot write video {path}: the file exists and is read-only"
    return f"cannot write video {path} {codec_hint}"


class VideoWriter:
    """Annotated-video writer that opens itself on the first frame, when the size is known.

    Parameters
    ----------
    path : str or path
        Output file; the container follows the extension (``.mp4``, ``.avi``, ...).
    fps : float
        Frame rate to record.
    fourcc : str, optional
        Four-character codec code; by default ``mp4v`` for .mp4/.mov, ``XVID`` for .avi/.mkv.

    Raises
    ------
    VideoError
        When OpenCV cannot create the file with that codec.
    """

    def __init__(self, path: str | os.PathLike[str], fps: float = 30.0, *, fourcc: str | None = None):
        self.path = Path(path)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.fourcc = fourcc or _FOURCC_BY_EXTENSION.get(self.path.suffix.lower(), "mp4v")
        self.frames_written = 0
        self._writer: cv2.VideoWriter | None = None
        self._size = (0, 0)  # (width, height) of the first frame, set when the writer opens

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR frame (all frames must have the first frame's size)."""
        h, w = frame.shape[:2]
        if self._writer is None:
            if self.path.parent and not self.path.parent.exists():
                raise VideoError(f"cannot write video {self.path}: folder {self.path.parent} does not exist")
            fourcc = cv2.VideoWriter.fourcc(*self.fourcc)
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                self._writer = None
                raise VideoError(_open_failure(self.path, f"with codec {self.fourcc} (try a .mp4 or .avi file name)"))
            self._size = (w, h)
        elif (w, h) != self._size:
            raise VideoError(f"frame size changed from {self._size[0]}x{self._size[1]} to {w}x{h}")
        self._writer.write(frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
        self.frames_written += 1

    def close(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: ``--format`` names: the box table's format -> file extension used by ``meanshift batch``.
BOX_FORMATS = {"csv": ".csv", "jsonl": ".jsonl", "mot": ".txt"}


def format_for_path(path: str | os.PathLike[str] | None, default: str = "csv") -> str:
    """The box format a file name suggests (``.jsonl`` -> jsonl), else ``default``."""
    if path is not None and Path(path).suffix.lower() in (".jsonl", ".ndjson"):
        return "jsonl"
    return default


class BoxCsvWriter:
    """Per-frame box table, one row per frame and target, flushed as it is written.

    Columns are :data:`CSV_COLUMNS`: frame index (0-based), target number, the axis-aligned box
    ``x, y, w, h``, its centre ``cx, cy``, the rotated box's ``angle`` in degrees, the
    similarity ``score`` and ``ok`` (1 while the target is believed tracked). The first frame's row
    holds the initial box with an empty score. Rows are line-buffered so that another program can
    follow the file while tracking runs. Subclasses write the same rows as JSON Lines
    (:class:`BoxJsonLinesWriter`) or MOTChallenge text (:class:`BoxMotWriter`).

    Parameters
    ----------
    target : str, path or text file
        Where to write; a path is opened (and closed by :meth:`close`), a file object is not closed.
    header_comments : sequence of str, optional
        Lines written first, each prefixed by ``# `` (e.g. the settings the boxes were made with).
        Only for formats that allow comments (CSV).

    Attributes
    ----------
    rows : int
        Rows written.
    frames : int
        Distinct frames written (rows come frame by frame, in order); a frame whose targets were all lost
        counts too in MOT, which has no row for them.
    """

    format = "csv"
    #: Whether the format has comment lines and a header row (CSV does; JSON Lines and MOT have neither).
    has_header = True
    #: Whether a lost target (``ok`` false) gets a row; MOTChallenge's tracker output has none for it.
    writes_lost = True

    def __init__(self, target: str | os.PathLike[str] | TextIO, *, header_comments: Sequence[str] = ()):
        if isinstance(target, str | os.PathLike):
            self._file: TextIO = open(target, "w", newline="", buffering=1, encoding="utf-8")
            self._owns = True
        else:
            self._file, self._owns = target, False
        self.rows = 0
        self.frames = 0
        self._last_frame: int | None = None
        self._csv = csv.writer(self._file, lineterminator="\n")
        if self.has_header:
            for line in header_comments:
                self._file.write(f"# {line}\n")
            self._csv.writerow(CSV_COLUMNS)

    def write_box(self, frame_index: int, target: int, box: Sequence[float], *, ok: bool = True) -> None:
        """Write a row for a box given, not tracked (the initial box): no angle, no score."""
        x, y, w, h = (float(v) for v in box)
        # Same centre convention as TrackResult.center (OTB's): x + (w - 1) / 2.
        self._row(frame_index, target, (x, y, w, h), (x + (w - 1) / 2, y + (h - 1) / 2), 0.0, None, ok)

    def write_result(self, frame_index: int, target: int, result: Any) -> None:
        """Write a row for a :class:`meanshift.TrackResult`."""
        angle = float(result.rotated[2]) if result.rotated is not None else 0.0
        self._row(frame_index, target, result.box, result.center, angle, result.score, result.ok)

    def _row(self, frame_index, target, box, center, angle, score, ok) -> None:
        if ok or self.writes_lost:
            self._write(int(frame_index), int(target), tuple(float(v) for v in box), center, float(angle),
                        None if score is None else float(score), bool(ok))
            self.rows += 1
        if frame_index != self._last_frame:
            self.frames += 1
            self._last_frame = frame_index

    def _write(self, frame, target, box, center, angle, score, ok) -> None:
        x, y, w, h = box
        self._csv.writerow(
            [frame, target, f"{x:.2f}", f"{y:.2f}", f"{w:.2f}", f"{h:.2f}", f"{center[0]:.2f}",
             f"{center[1]:.2f}", f"{angle:.2f}", "" if score is None else f"{score:.4f}", int(ok)]
        )

    def sync(self) -> None:
        """Push the rows to disk (before renaming a finished file into place)."""
        self._file.flush()
        try:
            os.fsync(self._file.fileno())
        except (AttributeError, OSError, ValueError):  # in-memory files have no descriptor
            pass

    def close(self) -> None:
        if self._owns and not self._file.closed:
            self._file.close()

    def __enter__(self) -> BoxCsvWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()




class BoxJsonLinesWriter(BoxCsvWriter):
    """The box table as JSON Lines: one object per frame and target, keys :data:`CSV_COLUMNS`.

    ``score`` is ``null`` on the initial box, ``ok`` a boolean. Header comments are not written
    (JSON Lines has none).
    """

    format = "jsonl"
    has_header = False

    def _write(self, frame, target, box, center, angle, score, ok) -> None:
        import json

        x, y, w, h = box
        record = {"frame": frame, "target": target, "x": round(x, 2), "y": round(y, 2), "w": round(w, 2),
                  "h": round(h, 2), "cx": round(float(center[0]), 2), "cy": round(float(center[1]), 2),
                  "angle": round(angle, 2), "score": None if score is None else round(score, 4), "ok": ok}
        self._file.write(json.dumps(record) + "\n")


class BoxMotWriter(BoxCsvWriter):
    """The box table in the MOTChallenge format: ``frame,id,x,y,w,h,conf,-1,-1,-1``.

    Frames and ids are 1-based (target 0 is id 1); ``conf`` is the similarity score (1 on the
    initial box). No header line, as the MOT tools expect.

    A frame in which a target is lost has no row for it: MOTChallenge's tracker output lists only
    the boxes the tracker reports, and its evaluation counts every row as a detection, so the lost
    target's frozen box would count as one (its ``conf`` alone, a similarity score, does not tell it
    from a trusted box). The CSV and JSON Lines tables keep those rows, with ``ok`` 0.
    """

    format = "mot"
    has_header = False
    writes_lost = False

    def _write(self, frame, target, box, center, angle, score, ok) -> None:
        x, y, w, h = box
        conf = 1.0 if score is None else score
        self._file.write(f"{frame + 1},{target + 1},{x:.2f},{y:.2f},{w:.2f},{h:.2f},{conf:.4f},-1,-1,-1\n")


_BOX_WRITERS = {"csv": BoxCsvWriter, "jsonl": BoxJsonLinesWriter, "mot": BoxMotWriter}


def box_writer(target: str | os.PathLike[str] | TextIO, format: str = "csv", *,
               header_comments: Sequence[str] = ()) -> BoxCsvWriter:
    """A box-table writer for ``format`` (see :data:`BOX_FORMATS`)."""
    try:
        cls = _BOX_WRITERS[format]
    except KeyError:
        raise ValueError(f"unknown box format {format!r}; choose one of {', '.join(BOX_FORMATS)}") from None
    return cls(target, header_comments=header_comments)


#: ``--codec`` names: ``mp4v`` (OpenCV's own, plays in desktop players) and the codecs a browser plays,
#: written with PyAV (``pip install '.[web-video]'`` in the checkout).
VIDEO_CODECS = ("mp4v", "h264", "vp9")
#: Containers each browser codec may go in.
_CONTAINERS = {"h264": (".mp4", ".mkv", ".mov"), "vp9": (".webm", ".mkv", ".mp4")}
WEB_VIDEO_EXTRA = "pip install '.[web-video]' (from the meanshift checkout)"


def check_video_codec(path: str | os.PathLike[str], codec: str | None) -> None:
    """Raise ``ValueError`` naming the fix when ``codec`` cannot write ``path`` here.

    ``h264`` needs a .mp4 (or .mkv, .mov) name, ``vp9`` a .webm (or .mkv, .mp4) name, and both need
    PyAV installed.
    """
    if codec in (None, "mp4v"):
        return
    if codec not in VIDEO_CODECS:
        raise ValueError(f"unknown codec {codec!r}; choose one of {', '.join(VIDEO_CODECS)}")
    suffix = Path(path).suffix.lower()
    if suffix not in _CONTAINERS[codec]:
        names = " or ".join(_CONTAINERS[codec])
        raise ValueError(f"codec {codec} goes in a {names} file, not {Path(path).name}")
    import importlib.util

    if importlib.util.find_spec("av") is None:
        raise ValueError(f"codec {codec} is written with PyAV, which is not installed: {WEB_VIDEO_EXTRA}")
