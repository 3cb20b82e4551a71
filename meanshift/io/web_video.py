"""Annotated videos that a web browser plays: H.264 in MP4 or VP9 in WebM, written with PyAV.

OpenCV's pip wheels carry no H.264 encoder, and their ``mp4v`` MP4 files play in desktop players
but not in browsers. PyAV (FFmpeg's libraries, maintained, binary wheels with libx264 and libvpx) is
an optional extra: ``pip install '.[web-video]'`` in the checkout.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from meanshift.io.sources import VideoError
from meanshift.io.writers import VideoWriter, _open_failure, check_video_codec

__all__ = ["WebVideoWriter", "video_writer"]

_ENCODERS = {"h264": ("libx264", "h264"), "vp9": ("libvpx-vp9", "vp9")}


class WebVideoWriter:
    """Video writer with :class:`~meanshift.io.VideoWriter`'s interface, encoding H.264 or VP9 with PyAV.

    Opens on the first frame (when the size is known). Frames are BGR; the stream is yuv420p, which
    every browser decodes, so odd widths and heights are cropped by one pixel.

    Parameters
    ----------
    path : str or path
        ``.mp4`` for H.264, ``.webm`` for VP9 (``.mkv`` takes either).
    fps : float
        Frame rate.
    codec : {"h264", "vp9"}
    """

    def __init__(self, path: str | os.PathLike[str], fps: float = 30.0, *, codec: str = "h264"):
        self.path = Path(path)
        self.fps = float(fps) if fps and fps > 0 else 30.0
        self.codec = codec
        self.frames_written = 0
        self._container: Any = None
        self._stream: Any = None
        self._size = (0, 0)  # (width, height) of the first frame, set when the file opens

    def _open(self, width: int, height: int) -> None:
        import av
        from av.video.stream import VideoStream

        try:
            container = av.open(str(self.path), mode="w")
        except OSError:
            raise VideoError(_open_failure(self.path, f"with codec {self.codec}")) from None
        rate = Fraction(self.fps).limit_denominator(1001)
        for name in _ENCODERS[self.codec]:
            try:
                stream = container.add_stream(name, rate=rate)
                break
            except (ValueError, av.error.FFmpegError):  # this FFmpeg build lacks that encoder
                continue
        else:
            container.close()
            raise VideoError(f"cannot write video {self.path}: this PyAV has no {self.codec} encoder")
        if not isinstance(stream, VideoStream):  # the names in _ENCODERS are all video encoders
            container.close()
            raise VideoError(f"cannot write video {self.path}: PyAV's {name} encoder is not a video encoder")
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        if self.codec == "h264":
            stream.options = {"crf": "23", "preset": "veryfast"}
        else:
            stream.options = {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        self._container, self._stream = container, stream

    def write(self, frame: np.ndarray) -> None:
        """Append one BGR (or grayscale) frame; all frames must have the first frame's size."""
        import av

        h, w = frame.shape[:2]
        if self._container is None:
            self._size = (w, h)
            self._open(w - w % 2, h - h % 2)
        elif (w, h) != self._size:
            raise VideoError(f"frame size changed from {self._size[0]}x{self._size[1]} to {w}x{h}")
        if frame.ndim == 2:
            frame = np.repeat(frame[:, :, None], 3, axis=2)
        frame = np.ascontiguousarray(frame[: h - h % 2, : w - w % 2])
        picture = av.VideoFrame.from_ndarray(frame, format="bgr24")
        for packet in self._stream.encode(picture):
            self._container.mux(packet)
        self.frames_written += 1

    def close(self) -> None:
        if self._container is None:
            return
        try:
            for packet in self._stream.encode():  # flush the encoder
                self._container.mux(packet)
        finally:
            self._container.close()
            self._container = None

    def __enter__(self) -> WebVideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def video_writer(path: str | os.PathLike[str], fps: float = 30.0, codec: str | None = None) -> Any:
    """An annotated-video writer: OpenCV's for ``mp4v`` (default), PyAV's for ``h264`` and ``vp9``."""
    check_video_codec(path, codec)
    if codec is None or codec == "mp4v":
        return VideoWriter(path, fps)
    return WebVideoWriter(path, fps, codec=codec)
