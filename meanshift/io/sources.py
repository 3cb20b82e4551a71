"""Frame sources: a video file, a camera, a folder of images or a stream, as one iterable of BGR frames.

Frames are ``(H, W, 3)`` BGR ``uint8`` arrays, as OpenCV gives them; image folders are read in colour even
when the files are grey, so every source yields the same kind of frame. Errors a user can fix (a missing
file, a camera that will not open) raise :class:`VideoError` with a one-line message naming the problem.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeGuard

import cv2
import numpy as np

VIDEO_EXTENSIONS = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv", ".flv", ".ts", ".3gp"}
)
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})

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
        cap = cv2.VideoCapture(target)
        self._cap: cv2.VideoCapture | None = cap  # None once closed
        if not cap.isOpened():
            cap.release()
            raise VideoError(_open_failure_message(target, kind))
        if kind == "camera":
            if width:
                cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
            if height:
                cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.fps = float(fps) if math.isfinite(fps) and 0 < fps < 1000 else None
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        # Streams and some containers report 0, -1 or garbage; only trust a plausible count.
        self.frame_count = int(count) if kind == "file" and 0 < count < 1e8 else None
        # Read the first frame now: a file that opens but decodes nothing (truncated, wrong codec)
        # must fail at open time with a clear message, not look like an empty video.
        self._peeked = self._read_raw(cap)
        if self._peeked is None:
            cap.release()
            what = "camera" if kind == "camera" else "video"
            raise VideoError(f"cannot read a first frame from {what} {self.name} (corrupt or unsupported?)")

    def _read_raw(self, cap: cv2.VideoCapture) -> np.ndarray | None:
        tries = _CAMERA_READ_RETRIES if self.kind == "camera" else 1
        for _ in range(tries):
            ok, frame = cap.read()
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
        cap = self._cap
        return None if cap is None else self._read_raw(cap)

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


def is_camera_index(source: object) -> TypeGuard[str | int]:
    """True for ``0``, ``"0"``, ``"1"``...: how the CLI tells a camera from a file name."""
    return isinstance(source, int) or (isinstance(source, str) and source.strip().isdigit())


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


