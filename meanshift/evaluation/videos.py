"""Sequences stored as one video file: finding the file, checking it, decoding its frames in order.

Used by :mod:`meanshift.evaluation.datasets` (the layout and the checks are described there).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np

from meanshift.evaluation.errors import DatasetError

__all__ = ["VIDEO_NAMES", "GROUNDTRUTH_FILE", "find_video", "count_video_frames", "decode_video"]

GROUNDTRUTH_FILE = "groundtruth_rect.txt"
#: The file names a video sequence's frames may have, in the order they are looked for.
VIDEO_NAMES = ("video.mp4", "video.avi", "video.mkv", "video.mov", "video.m4v", "video.webm")


def find_video(folder: str | Path) -> Path | None:
    """The video file of a sequence folder (the first of :data:`VIDEO_NAMES` present), or ``None``."""
    folder = Path(folder)
    for name in VIDEO_NAMES:
        if (folder / name).is_file():
            return folder / name
    return None


def count_video_frames(path: str | Path) -> int | None:
    """The number of frames a video's container declares, after checking that OpenCV can open it.

    Parameters
    ----------
    path : str or Path
        The video file.

    Returns
    -------
    int or None
        The declared frame count (MP4, MKV and AVI state it exactly); ``None`` when the container
        does not say, in which case only decoding can tell.

    Raises
    ------
    DatasetError
        If the file is missing, empty (0 bytes) or not a video OpenCV can open (corrupt, truncated
        before its index, or an unsupported container); the message names the file.
    """
    import cv2

    from meanshift.io.sources import quiet_opencv

    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"video {path} does not exist")
    if path.stat().st_size == 0:
        raise DatasetError(f"video {path} is an empty file (0 bytes)")
    with quiet_opencv():
        capture = cv2.VideoCapture(str(path))
        try:
            if not capture.isOpened():
                raise DatasetError(
                    f"cannot open video {path}: not a video OpenCV can decode (corrupt, truncated or an "
                    f"unsupported container?)"
                )
            count = capture.get(cv2.CAP_PROP_FRAME_COUNT)
        finally:
            capture.release()
    return int(count) if 0 < count < 1e8 else None


def decode_video(path: Path, name: str, n_frames: int, total_frames: int, color: str = "bgr") -> Iterator[np.ndarray]:
    """The first ``n_frames`` frames of the video of sequence ``name``, decoded in order.

    ``color`` is ``"bgr"`` (as decoded), ``"gray"`` or ``"unchanged"`` (as decoded), the modes of
    :func:`meanshift.evaluation.datasets.read_frame`. ``total_frames`` is the number of ground-truth
    lines of the whole sequence: a pass over all of them also checks that the video holds no more.

    Raises
    ------
    DatasetError
        At the frame concerned: a video that cannot be opened, a frame that does not decode, a video
        that ends before ``n_frames`` (naming both counts) or, on a full pass, holds more frames.
    """
    import cv2

    from meanshift.io.opening import open_source
    from meanshift.io.sources import VideoError, quiet_opencv

    with quiet_opencv():
        try:
            source = open_source(path)
        except VideoError as exc:
            raise DatasetError(f"sequence {name}: {exc}") from None
    with source:
        for index in range(n_frames):
            try:
                frame = source.read()
            except VideoError as exc:
                raise DatasetError(f"sequence {name}: {exc}") from None
            if frame is None:
                raise DatasetError(
                    f"{path} decodes to {index} frames but {GROUNDTRUTH_FILE} holds {total_frames} boxes "
                    f"(truncated or corrupt video?)"
                )
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if color == "gray" else frame
        if n_frames == total_frames and source.read() is not None:
            raise DatasetError(
                f"{path} decodes to more than {total_frames} frames but {GROUNDTRUTH_FILE} holds {total_frames} boxes"
            )
