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
        self._size: tuple[int, int] | None = None

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR frame (all frames must have the first frame's size)."""
        h, w = frame.shape[:2]
        if self._writer is None:
            if self.path.parent and not self.path.parent.exists():
                raise VideoError(f"cannot write video {self.path}: folder {self.path.parent} does not exist")
            fourcc = cv2.VideoWriter_fourcc(*self.fourcc)
            self._writer = cv2.VideoWriter(str(self.path), fourcc, self.fps, (w, h))
            if not self._writer.isOpened():
                self._writer = None
                raise VideoError(
                    f"cannot write video {self.path} with codec {self.fourcc} (try a .mp4 or .avi file name)"
                )
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


class BoxCsvWriter:
    """Per-frame box table, one row per frame and target, flushed as it is written.

    Columns are :data:`CSV_COLUMNS`: frame index (0-based), target number, the axis-aligned box
    ``x, y, w, h``, its centre ``cx, cy``, the rotated box's ``angle`` in degrees, the
    similarity ``score`` and ``ok`` (1 while the target is believed tracked). The first frame's row
    holds the initial box with an empty score. Rows are line-buffered so that another program can
    follow the file while tracking runs.

    Parameters
    ----------
    target : str, path or text file
        Where to write; a path is opened (and closed by :meth:`close`), a file object is not closed.
    """

    def __init__(self, target: str | os.PathLike[str] | TextIO):
        if isinstance(target, str | os.PathLike):
            self._file: TextIO = open(target, "w", newline="", buffering=1, encoding="utf-8")
            self._owns = True
        else:
            self._file, self._owns = target, False
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(CSV_COLUMNS)
        self.rows = 0

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
        x, y, w, h = box
        self._csv.writerow(
            [
                int(frame_index),
                int(target),
                f"{x:.2f}",
                f"{y:.2f}",
                f"{w:.2f}",
                f"{h:.2f}",
                f"{center[0]:.2f}",
                f"{center[1]:.2f}",
                f"{angle:.2f}",
                "" if score is None else f"{float(score):.4f}",
                int(bool(ok)),
            ]
        )
        self.rows += 1

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


