"""Opening a source of frames by what a user types: a file, a camera index, a folder of frames, a stream URL.

:func:`open_source` picks among the sources of :mod:`meanshift.io.sources` (video files, cameras,
streams), :mod:`meanshift.io.image_folder` (folders of frames) and :mod:`meanshift.io.prefetch`
(reading ahead); it sits above all three so that none of them imports another's caller.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from meanshift.io.image_folder import ImageFolderSource, decode_threads
from meanshift.io.prefetch import PrefetchSource
from meanshift.io.sources import CaptureSource, FrameSource, VideoError, is_camera_index

__all__ = ["open_source"]


def open_source(
    source: str | int | os.PathLike[str], *, width: int | None = None, height: int | None = None,
    prefetch: bool = False,
) -> FrameSource:
    """Open a video file, camera index, folder of frames or stream URL.

    Parameters
    ----------
    source : str, int or path
        ``0`` / ``"0"`` (camera index), ``"clip.mp4"`` (file), ``"Crossing"`` (folder of frames,
        OTB layout ``Crossing/img/*.jpg`` or images directly inside), ``"rtsp://..."`` (stream).
    width, height : int, optional
        Resolution to request from a camera.
    prefetch : bool
        Decode ahead of the caller, so that decoding overlaps what the caller does with each frame: a
        video file is read on a background thread (:class:`~meanshift.io.prefetch.PrefetchSource`), a
        folder of images decoded in a small thread pool (``ImageFolderSource(threads=...)``). The frames,
        their order and the errors (raised at the frame they concern) are the same; close the source (or
        use it as a context manager) to stop the threads. Cameras and streams are never read ahead: a live
        source must give its newest frame.

    Returns
    -------
    FrameSource
        Iterate over it for ``(H, W, 3)`` BGR uint8 frames; use it as a context manager.

    Raises
    ------
    VideoError
        With a one-line message when the source does not exist or cannot be opened.
    """
    if isinstance(source, int) or is_camera_index(source):
        return CaptureSource(int(source), "camera", width=width, height=height)
    text = os.fspath(source)
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", text):
        return CaptureSource(text, "stream")
    path = Path(text)
    if path.is_dir():
        return ImageFolderSource(path, threads=decode_threads() if prefetch else 0)
    if not path.exists():
        raise VideoError(f"no such file or folder: {text}")
    if not path.is_file():
        raise VideoError(f"not a regular file: {text}")
    if path.stat().st_size == 0:
        # Said before OpenCV tries it, which would blame a corrupt file or an unsupported codec.
        raise VideoError(f"cannot open video {text}: empty file (0 bytes)")
    capture = CaptureSource(text, "file")
    if not prefetch:
        return capture
    return PrefetchSource(capture)
