"""Frames in, annotated frames out: capture, video writing, box files and drawing.

This module is the tracker's contact with the outside world and knows nothing of how tracking
works: it reads frames from a video file, a camera, a folder of images or a stream, writes
annotated videos and per-frame box tables, and draws results. Everything here is built on OpenCV
and the public :mod:`meanshift` API only.

Conventions
-----------
* Frames are ``(H, W, 3)`` BGR ``uint8`` arrays, as OpenCV gives them; image folders are read in
  colour even when the files are grey, so every source yields the same kind of frame.
* Boxes are ``(x, y, w, h)`` floats in 0-based pixel coordinates, ``(x, y)`` the top-left corner.
* Errors a user can fix (missing file, camera that will not open, malformed box) raise
  :class:`VideoError` or :class:`ValueError` with a one-line message naming the problem.

Examples
--------
Track a file and write the boxes, without a window:

>>> import meanshift                                                        # doctest: +SKIP
>>> from meanshift.video import open_source, BoxCsvWriter
>>> with open_source("clip.mp4") as source, BoxCsvWriter("boxes.csv") as csv:   # doctest: +SKIP
...     tracker = meanshift.generalized()
...     for index, frame in enumerate(source):
...         if index == 0:
...             tracker.init(frame, (120, 80, 40, 60))
...             csv.write_box(index, 0, (120, 80, 40, 60))
...         else:
...             csv.write_result(index, 0, tracker.update(frame))
"""

from __future__ import annotations

import csv
import math
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import cv2
import numpy as np

__all__ = [
    "VIDEO_EXTENSIONS",
    "IMAGE_EXTENSIONS",
    "CSV_COLUMNS",
    "VideoError",
    "FrameSource",
    "CaptureSource",
    "ImageFolderSource",
    "open_source",
    "quiet_opencv",
    "silence_opencv",
    "is_camera_index",
    "image_folder_frames",
    "VideoWriter",
    "BoxCsvWriter",
    "partial_path",
    "parse_box",
    "read_box_file",
    "format_box",
    "sidecar_box_path",
    "initial_box_for",
    "check_box",
    "target_color",
    "draw_box",
    "draw_result",
    "draw_status",
    "FpsMeter",
    "has_display",
    "select_box",
    "LiveTracker",
]

Box = tuple[float, float, float, float]

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".3gp"}
)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})

#: Columns of the per-frame box table written by :class:`BoxCsvWriter` (``--output`` of the CLI).
CSV_COLUMNS = ("frame", "target", "x", "y", "w", "h", "cx", "cy", "angle", "score", "ok")

# Codec per container: mp4v plays everywhere OpenCV runs and needs no licensed encoder (the pip
# wheels have no H.264 encoder); XVID keeps .avi files small.
_FOURCC_BY_EXTENSION = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "XVID", ".mkv": "XVID"}

# Cameras sometimes drop a frame (USB hiccup, exposure change): retry a few times before
# concluding the stream has ended.
_CAMERA_READ_RETRIES = 5


class VideoError(RuntimeError):
    """A source or destination of frames cannot be used; the message says which and why."""


# --------------------------------------------------------------------------------------------
# Sources
# --------------------------------------------------------------------------------------------


class FrameSource:
    """Frames from somewhere, one at a time; iterate over it or call :meth:`read`.

    Attributes
    ----------
    name : str
        What the frames come from, as a user would write it (path, camera index, URL).
    kind : {"file", "camera", "images", "stream"}
    fps : float or None
        Frames per second the source declares, when it declares one.
    frame_count : int or None
        Number of frames when known in advance (files, image folders); ``None`` for cameras,
        streams and files whose header does not say.
    """

    name: str
    kind: str
    fps: float | None = None
    frame_count: int | None = None

    _peeked: np.ndarray | None = None

    def read(self) -> np.ndarray | None:
        """Return the next frame, or ``None`` once the source is exhausted."""
        if self._peeked is not None:
            frame, self._peeked = self._peeked, None
            return frame
        return self._read()

    def peek(self) -> np.ndarray | None:
        """Return the next frame without consuming it (to draw a box on the first frame)."""
        if self._peeked is None:
            self._peeked = self._read()
        return self._peeked

    def _read(self) -> np.ndarray | None:
        raise NotImplementedError

    def close(self) -> None:
        """Release the device or file; reading afterwards returns ``None``."""

    def __iter__(self) -> Iterator[np.ndarray]:
        while (frame := self.read()) is not None:
            yield frame

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, kind={self.kind!r})"


def _checked_frame(frame: Any, where: str) -> np.ndarray:
    """Validate what OpenCV handed back, so a bad frame fails here and not deep in the tracker."""
    if not isinstance(frame, np.ndarray) or frame.size == 0:
        raise VideoError(f"{where}: OpenCV returned an empty frame")
    if frame.dtype != np.uint8:
        # 16-bit PNGs and some cameras deliver wider types; the tracker's colour bins assume 8 bits.
        if frame.dtype == np.uint16:
            frame = (frame >> 8).astype(np.uint8)
        else:
            raise VideoError(f"{where}: unsupported pixel type {frame.dtype} (expected 8-bit images)")
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    elif frame.ndim != 3 or frame.shape[2] != 3:
        raise VideoError(f"{where}: unexpected frame shape {frame.shape}")
    return frame


class CaptureSource(FrameSource):
    """Frames from ``cv2.VideoCapture``: a video file, a camera index or a stream URL.

    Parameters
    ----------
    target : str or int
        File path, camera index or URL.
    kind : {"file", "camera", "stream"}
    width, height : int, optional
        Resolution to ask a camera for (it may pick the nearest it supports).

    Raises
    ------
    VideoError
        When OpenCV cannot open the source or it yields no first frame.
    """

    def __init__(self, target: str | int, kind: str, *, width: int | None = None, height: int | None = None):
        self.name = str(target)
        self.kind = kind
        self._index = 0
        self._size: tuple[int, int] | None = None
        self._cap = cv2.VideoCapture(target)
        if not self._cap.isOpened():
            self._cap.release()
            raise VideoError(_open_failure_message(target, kind))
        if kind == "camera":
            if width:
                self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            if height:
                self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and 0 < fps < 1000 else None
        count = self._cap.get(cv2.CAP_PROP_FRAME_COUNT)
        # Streams and some containers report 0, -1 or garbage; only trust a plausible count.
        self.frame_count = int(count) if kind == "file" and 0 < count < 1e8 else None
        # Read the first frame now: a file that opens but decodes nothing (truncated, wrong codec)
        # must fail at open time with a clear message, not look like an empty video.
        self._peeked = self._read_raw()
        if self._peeked is None:
            self._cap.release()
            what = "camera" if kind == "camera" else "video"
            raise VideoError(f"cannot read a first frame from {what} {self.name} (corrupt or unsupported?)")

    def _read_raw(self) -> np.ndarray | None:
        tries = _CAMERA_READ_RETRIES if self.kind == "camera" else 1
        for _ in range(tries):
            ok, frame = self._cap.read()
            # read() can report success with an empty image (some backends at end of stream), or
            # failure with a stale buffer: check both halves of what it returns.
            if ok and frame is not None and frame.size:
                self._index += 1
                return self._same_size(_checked_frame(frame, f"{self.name} frame {self._index - 1}"))
        if self.kind == "camera" and self._index > 0:
            # A camera has no end: frames that stop coming mean it was unplugged or taken over, and the
            # run must not pass for a complete one.
            raise VideoError(
                f"camera {self.name} stopped delivering frames after {self._index} "
                f"(unplugged, or taken by another program?)"
            )
        return None

    def _same_size(self, frame: np.ndarray) -> np.ndarray:
        # FFmpeg scales a file's frames to the first one's size when the stream's resolution changes;
        # cameras and other backends may not. A tracker's box means nothing on a frame of another size.
        size = frame.shape[:2]
        if self._size is None:
            self._size = size
        elif size != self._size:
            (h, w), (h0, w0) = size, self._size
            raise VideoError(
                f"{self.name} frame {self._index - 1} is {w}x{h}, the frames before were {w0}x{h0} "
                "(resolution changed mid-stream)"
            )
        return frame

    def _read(self) -> np.ndarray | None:
        return None if self._cap is None else self._read_raw()

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._peeked = None


def _open_failure_message(target: str | int, kind: str) -> str:
    if kind == "camera":
        return (
            f"cannot open camera {target}: no camera with that index, or it is busy "
            f"(connected? used by another program? try another index)"
        )
    if kind == "stream":
        return f"cannot open stream {target} (check the URL and that the server is reachable)"
    return f"cannot open video {target}: not a video OpenCV can decode (corrupt file or unsupported codec?)"


class ImageFolderSource(FrameSource):
    """Frames from a folder of images, read in name order.

    Accepts the OTB layout (``SEQ/img/0001.jpg`` next to ``SEQ/groundtruth_rect.txt``) or a
    folder holding the images directly. Images are decoded one at a time, so memory does not grow
    with the sequence's length.
    """

    kind = "images"

    def __init__(self, folder: str | os.PathLike[str], *, fps: float = 30.0):
        self.name = str(folder)
        self._paths = image_folder_frames(folder)
        self.frame_count = len(self._paths)
        self.fps = fps
        self._next = 0
        self._size: tuple[int, int] | None = None

    def _read(self) -> np.ndarray | None:
        if self._next >= len(self._paths):
            return None
        path = self._paths[self._next]
        self._next += 1
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            raise VideoError(f"cannot decode image {path}")
        frame = _checked_frame(frame, str(path))
        if self._size is None:
            self._size = frame.shape[:2]
        elif frame.shape[:2] != self._size:
            h, w = self._size
            raise VideoError(f"image {path} is {frame.shape[1]}x{frame.shape[0]}, the others are {w}x{h}")
        return frame

    def close(self) -> None:
        self._next = len(self._paths)
        self._peeked = None


def image_folder_frames(folder: str | os.PathLike[str]) -> list[Path]:
    """The image files of a frame folder, sorted by name (``img/`` subfolder first, OTB style).

    Raises
    ------
    VideoError
        When the folder holds no images.
    """
    folder = Path(folder)
    images_dir = folder / "img" if (folder / "img").is_dir() else folder
    paths = sorted(p for p in images_dir.iterdir() if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
    if not paths:
        raise VideoError(
            f"no images in folder {folder} (expected frames such as {folder}/img/0001.jpg, OTB layout)"
        )
    return paths


def is_camera_index(source: str | int) -> bool:
    """True for ``0``, ``"0"``, ``"1"``...: how the CLI tells a camera from a file name."""
    return isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit())


def open_source(
    source: str | int | os.PathLike[str], *, width: int | None = None, height: int | None = None
) -> FrameSource:
    """Open a video file, camera index, folder of frames or stream URL.

    Parameters
    ----------
    source : str, int or path
        ``0`` / ``"0"`` (camera index), ``"clip.mp4"`` (file), ``"Crossing"`` (folder of frames,
        OTB layout ``Crossing/img/*.jpg`` or images directly inside), ``"rtsp://..."`` (stream).
    width, height : int, optional
        Resolution to request from a camera.

    Returns
    -------
    FrameSource
        Iterate over it for ``(H, W, 3)`` BGR uint8 frames; use it as a context manager.

    Raises
    ------
    VideoError
        With a one-line message when the source does not exist or cannot be opened.
    """
    if is_camera_index(source):
        return CaptureSource(int(source), "camera", width=width, height=height)
    text = os.fspath(source)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        return CaptureSource(text, "stream")
    path = Path(text)
    if path.is_dir():
        return ImageFolderSource(path)
    if not path.exists():
        raise VideoError(f"no such file or folder: {text}")
    if not path.is_file():
        raise VideoError(f"not a regular file: {text}")
    return CaptureSource(text, "file")


def silence_opencv() -> Callable[[], None]:
    """Silence OpenCV's and FFmpeg's own console messages; return a function that undoes it.

    Opening a corrupt file makes FFmpeg print a dozen lines, and a missing camera makes OpenCV print
    warnings; programs that report their own one-line errors call this (the command line does, for
    its whole run). FFmpeg reads its level once, when it is first used: if that happens while
    silenced, FFmpeg stays quiet for the rest of the process.
    """
    names = ("OPENCV_FFMPEG_LOGLEVEL", "OPENCV_LOG_LEVEL")
    saved_env = {name: os.environ.get(name) for name in names}
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # AV_LOG_QUIET
    os.environ.setdefault("OPENCV_LOG_LEVEL", "SILENT")
    logging = getattr(getattr(cv2, "utils", None), "logging", None)
    saved_level = logging.getLogLevel() if logging is not None else None
    if logging is not None:
        logging.setLogLevel(logging.LOG_LEVEL_SILENT)

    def undo() -> None:
        if logging is not None:
            logging.setLogLevel(saved_level)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value

    return undo


@contextmanager
def quiet_opencv() -> Iterator[None]:
    """:func:`silence_opencv` inside a ``with`` block, restored afterwards."""
    undo = silence_opencv()
    try:
        yield
    finally:
        undo()


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


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


# --------------------------------------------------------------------------------------------
# Boxes
# --------------------------------------------------------------------------------------------

_BOX_HELP = "expected four numbers x,y,w,h (top-left corner, width, height in pixels), e.g. 120,80,40,60"


def parse_box(text: str) -> Box:
    """Parse ``"x,y,w,h"`` (commas, spaces or tabs between the numbers) into floats.

    Raises
    ------
    ValueError
        Naming the text and the expected form when it is not four finite numbers with positive
        width and height.

    Examples
    --------
    >>> parse_box("120, 80, 40, 60")
    (120.0, 80.0, 40.0, 60.0)
    >>> parse_box("1\\t2\\t3\\t4")
    (1.0, 2.0, 3.0, 4.0)
    """
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"malformed box {text.strip()!r}: {_BOX_HELP}") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"malformed box {text.strip()!r}: {_BOX_HELP}")
    if values[2] <= 0 or values[3] <= 0:
        raise ValueError(f"box {text.strip()!r} has width or height <= 0: {_BOX_HELP}")
    return values  # type: ignore[return-value]


def read_box_file(path: str | os.PathLike[str]) -> Box:
    """Read a box from the first non-empty line of a text file.

    A sidecar ``clip.box`` holds one line ``x,y,w,h``; an OTB ``groundtruth_rect.txt`` also works,
    its first line being the first frame's box (coordinates are taken as written).

    Raises
    ------
    VideoError
        When the file is missing or empty; ``ValueError`` when its line is malformed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise VideoError(f"no such box file: {path}") from None
    except OSError as exc:
        raise VideoError(f"cannot read box file {path}: {exc.strerror}") from None
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                return parse_box(line)
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
    raise VideoError(f"box file {path} is empty ({_BOX_HELP})")


def format_box(box: Sequence[float]) -> str:
    """``(1.0, 2.5, 3.0, 4.0)`` → ``"1,2.5,3,4"``, the form :func:`parse_box` reads."""
    return ",".join(f"{float(v):g}" for v in box)


def sidecar_box_path(video: str | os.PathLike[str]) -> Path:
    """``clip.mp4`` → ``clip.box``: where a video's initial box is kept."""
    return Path(video).with_suffix(".box")


def initial_box_for(source: str | os.PathLike[str]) -> tuple[Box, Path] | None:
    """The initial box that ships with a source, and the file it came from, if there is one.

    A video ``clip.mp4`` may have a sidecar ``clip.box``; a frame folder in OTB layout has
    ``groundtruth_rect.txt``, whose first line is the first frame's box.
    """
    if is_camera_index(source) or "://" in os.fspath(source):
        return None
    path = Path(source)
    if path.is_dir():
        candidates = [path / "groundtruth_rect.txt", path / "init.box"]
    else:
        candidates = [sidecar_box_path(path)]
    for candidate in candidates:
        if candidate.is_file():
            return read_box_file(candidate), candidate
    return None


def check_box(box: Sequence[float], frame_shape: Sequence[int]) -> Box:
    """Check a box against the frame and clip the part that lies outside.

    Parameters
    ----------
    box : (x, y, w, h)
    frame_shape : (H, W, ...)

    Returns
    -------
    (x, y, w, h)
        The part of the box inside the frame.

    Raises
    ------
    ValueError
        When a coordinate is NaN or infinite, or less than one pixel by one pixel of the box lies inside
        the frame.

    Examples
    --------
    >>> check_box((-10, 5, 30, 20), (240, 320, 3))
    (0.0, 5.0, 20.0, 20.0)
    """
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise ValueError(f"box {format_box(box)} has a NaN or infinite coordinate")
    height, width = int(frame_shape[0]), int(frame_shape[1])
    x0, y0 = max(x, 0.0), max(y, 0.0)
    x1, y1 = min(x + w, float(width)), min(y + h, float(height))
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        raise ValueError(f"box {format_box(box)} lies outside the {width}x{height} frame")
    return (x0, y0, x1 - x0, y1 - y0)


# --------------------------------------------------------------------------------------------
# Drawing
# --------------------------------------------------------------------------------------------

# Saturated colours that stand out on natural footage and differ from each other (BGR).
_TARGET_COLORS = (
    (0, 255, 255),  # yellow
    (255, 255, 0),  # cyan
    (255, 0, 255),  # magenta
    (0, 255, 0),  # green
    (0, 128, 255),  # orange
    (255, 128, 0),  # azure
    (128, 0, 255),  # pink
    (255, 255, 255),  # white
)


def target_color(index: int) -> tuple[int, int, int]:
    """BGR colour of target ``index``; targets keep their colour for the whole run."""
    return _TARGET_COLORS[index % len(_TARGET_COLORS)]


def _put_text(img: np.ndarray, text: str, org: tuple[int, int], color, scale: float = 0.5) -> None:
    # A dark outline under the text keeps it readable on any background.
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def draw_box(img: np.ndarray, box: Sequence[float], color, *, label: str | None = None, thickness: int = 2):
    """Draw an axis-aligned box ``(x, y, w, h)`` with an optional label above it, in place."""
    x, y, w, h = (float(v) for v in box)
    p0, p1 = (round(x), round(y)), (round(x + w - 1), round(y + h - 1))
    cv2.rectangle(img, p0, p1, color, thickness, cv2.LINE_8)
    if label:
        _put_text(img, label, (p0[0], max(p0[1] - 5, 12)), color)
    return img


def draw_result(img: np.ndarray, result: Any, color, *, label: str | None = None, thickness: int = 2):
    """Draw a :class:`meanshift.TrackResult` in place: rotated box, centre and score.

    A lost target (``result.ok`` false) is drawn as a thin axis-aligned box marked ``lost``.
    """
    text = f"{label} " if label else ""
    if not result.ok:
        return draw_box(img, result.box, color, label=f"{text}lost", thickness=1)
    (cx, cy), (w, h), angle = result.rotated
    if w > 0 and h > 0 and math.isfinite(cx) and math.isfinite(cy):
        corners = cv2.boxPoints(((float(cx), float(cy)), (float(w), float(h)), float(angle)))
        cv2.polylines(img, [np.round(corners).astype(np.int32)], True, color, thickness, cv2.LINE_8)
        cv2.circle(img, (round(cx), round(cy)), 2, color, -1, cv2.LINE_AA)
        top = int(np.min(corners[:, 1]))
        left = int(np.min(corners[:, 0]))
    else:
        draw_box(img, result.box, color, thickness=thickness)
        left, top = round(result.box[0]), round(result.box[1])
    _put_text(img, f"{text}{float(result.score):.2f}", (max(left, 0), max(top - 5, 12)), color)
    return img


def draw_status(img: np.ndarray, lines: Sequence[str], *, color=(255, 255, 255)) -> np.ndarray:
    """Write a few lines of status (fps, keys) in the top-left corner, in place."""
    for i, line in enumerate(lines):
        _put_text(img, line, (8, 18 + 18 * i), color)
    return img


class FpsMeter:
    """Frames per second, smoothed so the number shown does not flicker.

    Examples
    --------
    >>> meter = FpsMeter()
    >>> fps = meter.tick()   # call once per frame; 0.0 until two ticks have happened
    """

    def __init__(self, smoothing: float = 0.9, clock: Callable[[], float] = time.perf_counter):
        self.smoothing = smoothing
        self._clock = clock
        self._last: float | None = None
        self.fps = 0.0

    def tick(self) -> float:
        now = self._clock()
        if self._last is not None and now > self._last:
            instant = 1.0 / (now - self._last)
            a = self.smoothing
            self.fps = instant if self.fps == 0.0 else a * self.fps + (1 - a) * instant
        self._last = now
        return self.fps

    def reset(self) -> None:
        """Forget the last tick (after a pause, so the pause does not count as a slow frame)."""
        self._last = None


# --------------------------------------------------------------------------------------------
# Live window
# --------------------------------------------------------------------------------------------


def has_display() -> bool:
    """Whether a window can be opened (on Linux: an X11 or Wayland display is set)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def select_box(window: str, frame: np.ndarray) -> Box | None:
    """Let the user drag a box on ``frame`` (``cv2.selectROI``); ``None`` when cancelled.

    Drag with the mouse, then press Enter or space to accept, ``c`` to cancel.
    """
    x, y, w, h = cv2.selectROI(window, frame, showCrosshair=True, fromCenter=False, printNotice=False)
    if w <= 0 or h <= 0:
        return None
    return (float(x), float(y), float(w), float(h))


class LiveTracker:
    """The interactive tracker behind ``meanshift track --show`` and ``meanshift webcam``.

    Shows each frame with every target's rotated box, score and the frames per second, and reacts
    to keys:

    ========  ==========================================================
    space     pause / resume
    ``r``     re-select: forget all targets and draw a new one
    ``a``     add another target (drawn with the mouse)
    ``q``/Esc quit (closing the window quits too)
    ========  ==========================================================

    Parameters
    ----------
    source : FrameSource
    make_tracker : callable
        Returns a fresh, uninitialised tracker (e.g. ``meanshift.generalized``).
    boxes : sequence of (x, y, w, h)
        Targets to start with; when empty the user draws one on the first frame.
    csv : BoxCsvWriter, optional
        Receives a row per frame and target.
    writer : VideoWriter, optional
        Receives every annotated frame.
    window : str
        Window title.
    pace : bool
        Play files and folders at their own frame rate instead of as fast as tracking goes.
    max_frames : int, optional
        Stop after this many frames.
    """

    _ESC = 27

    def __init__(
        self,
        source: FrameSource,
        make_tracker: Callable[[], Any],
        *,
        boxes: Sequence[Sequence[float]] = (),
        csv: BoxCsvWriter | None = None,
        writer: VideoWriter | None = None,
        window: str = "meanshift",
        pace: bool = True,
        max_frames: int | None = None,
    ):
        self.source = source
        self.make_tracker = make_tracker
        self.initial_boxes = [tuple(float(v) for v in b) for b in boxes]
        self.csv = csv
        self.writer = writer
        self.window = window
        self.pace = pace and source.kind in ("file", "images") and bool(source.fps)
        self.max_frames = max_frames
        self.targets: dict[int, Any] = {}  # target number -> tracker; numbers are never reused
        self._boxes: dict[int, Box] = {}  # each target's last box: the others do not take its pixels
        self._next_target = 0
        self.frames = 0
        self.lost = 0
        self.paused = False
        self.fps = FpsMeter()

    def _add_target(self, frame: np.ndarray, box: Sequence[float]) -> tuple[int, Box]:
        box = check_box(box, frame.shape)
        tracker = self.make_tracker()
        tracker.init(frame, box)
        number = self._next_target
        self._next_target += 1
        self.targets[number] = tracker
        self._boxes[number] = tuple(float(v) for v in box)
        return number, box

    def _select(self, frame: np.ndarray) -> Box | None:
        box = select_box(self.window, frame)
        # selectROI may leave its own help text in the title on some backends; restore ours.
        cv2.setWindowTitle(self.window, self.window)
        return box

    def _draw(self, frame: np.ndarray, results: dict[int, Any], new_boxes: dict[int, Box]) -> np.ndarray:
        view = frame.copy()
        for number, box in new_boxes.items():
            draw_box(view, box, target_color(number), label=f"#{number}")
        for number, result in results.items():
            if number in self.targets:
                draw_result(view, result, target_color(number), label=f"#{number}")
        status = [f"fps {self.fps.fps:5.1f}  frame {self.frames - 1}"]
        if self.paused:
            status.append("PAUSED (space resumes)")
        if not self.targets:
            status.append("no target: press r to select one")
        draw_status(view, status)
        hint = "space pause  r re-select  a add  q quit"
        _put_text(view, hint, (8, view.shape[0] - 8), (255, 255, 255), scale=0.4)
        return view

    def run(self) -> dict[str, Any]:
        """Run until the source ends or the user quits.

        Returns
        -------
        dict
            ``frames`` shown, ``lost`` (frames in which a target was lost) and ``seconds`` spent
            playing (pauses and box drawing excluded).

        Raises
        ------
        VideoError
            When the window cannot be opened (OpenCV built without GUI support).
        """
        try:
            cv2.namedWindow(self.window, cv2.WINDOW_AUTOSIZE | cv2.WINDOW_GUI_NORMAL)
        except cv2.error:
            raise VideoError(
                "cannot open a window: this OpenCV has no GUI support (opencv-python-headless?); "
                "install opencv-python, or run without --show"
            ) from None
        from meanshift.multi import update_targets

        period = 1.0 / self.source.fps if self.pace else 0.0
        playing = 0.0
        frame: np.ndarray | None = None
        results: dict[int, Any] = {}
        new_boxes: dict[int, Box] = {}
        try:
            while True:
                tick = time.perf_counter()
                advanced = not self.paused or frame is None
                if advanced:
                    if self.max_frames is not None and self.frames >= self.max_frames:
                        break
                    frame = self.source.read()
                    if frame is None:
                        break
                    new_boxes = {}
                    if self.frames == 0:
                        for box in self.initial_boxes or [b for b in [self._select(frame)] if b is not None]:
                            number, new_boxes[number] = self._add_target(frame, box)
                        tick = time.perf_counter()  # drawing the box is not playing time
                    moving = {n: t for n, t in self.targets.items() if n not in new_boxes}
                    results = update_targets(moving, frame, self._boxes)
                    self._boxes.update({n: r.box for n, r in results.items()})
                    self._record(results, new_boxes)
                    self.frames += 1
                    self.fps.tick()
                    view = self._draw(frame, results, new_boxes)
                    if self.writer is not None:
                        self.writer.write(view)
                cv2.imshow(self.window, view)
                # Pace files to their frame rate; while paused just poll the keyboard.
                remaining = period - (time.perf_counter() - tick)
                key = cv2.waitKey(30 if self.paused else max(1, int(1000 * remaining))) & 0xFF
                if advanced:
                    playing += time.perf_counter() - tick
                if key in (ord("q"), ord("Q"), self._ESC) or not self._window_open():
                    break
                if key == ord(" "):
                    self.paused = not self.paused
                elif key in (ord("r"), ord("a")):
                    box = self._select(frame)
                    if box is not None:
                        if key == ord("r"):
                            self.targets.clear()
                            self._boxes.clear()
                        number, box = self._add_target(frame, box)
                        new_boxes = {**new_boxes, number: box}
                        if self.csv is not None:
                            self.csv.write_box(self.frames - 1, number, box)
                else:
                    continue
                # The state changed: redraw the current frame, and do not count the wait as a slow frame.
                self.fps.reset()
                view = self._draw(frame, results, new_boxes)
        finally:
            cv2.destroyWindow(self.window)
            cv2.waitKey(1)  # let the GUI thread process the close before we return
        return {"frames": self.frames, "lost": self.lost, "seconds": playing}

    def _window_open(self) -> bool:
        try:
            return cv2.getWindowProperty(self.window, cv2.WND_PROP_VISIBLE) >= 1
        except cv2.error:
            return False

    def _record(self, results: dict[int, Any], new_boxes: dict[int, Box]) -> None:
        if any(not r.ok for r in results.values()):
            self.lost += 1
        if self.csv is None:
            return
        for number, box in new_boxes.items():
            self.csv.write_box(self.frames, number, box)
        for number, result in results.items():
            self.csv.write_result(self.frames, number, result)
