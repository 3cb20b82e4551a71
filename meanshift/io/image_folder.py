"""Frames from a folder of images (the OTB layout or a plain folder), decoded one by one or ahead in a pool.

Part of :mod:`meanshift.io.sources`' family: :func:`~meanshift.io.opening.open_source` picks
:class:`ImageFolderSource` for a folder.
"""

from __future__ import annotations

import os
import weakref
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np

from meanshift.io.sources import IMAGE_EXTENSIONS, FrameSource, VideoError, _checked_frame

__all__ = ["ImageFolderSource", "image_folder_frames", "decode_threads"]


class ImageFolderSource(FrameSource):
    """Frames from a folder of images, read in name order.

    Accepts the OTB layout (``SEQ/img/0001.jpg`` next to ``SEQ/groundtruth_rect.txt``) or a
    folder holding the images directly. Memory does not grow with the sequence's length: images are
    decoded one at a time, or at most ``ahead`` of them wait with ``threads``.

    Parameters
    ----------
    folder : path
    fps : float
        The frame rate the folder is taken to have (it declares none).
    threads : int
        ``0`` (the default) decodes each image when it is read. ``N > 0`` decodes up to ``ahead`` images
        ahead of the caller in a pool of ``N`` threads (``cv2.imread`` lets go of the GIL, so decoding
        overlaps the caller's work and the threads' own), handed over in name order; an image that does not
        decode still raises its :class:`VideoError` when the caller reaches it. :meth:`close` stops the pool.
    ahead : int, optional
        Images decoded ahead of the caller with ``threads``; default ``2 * threads``.
    """

    kind = "images"

    def __init__(self, folder: str | os.PathLike[str], *, fps: float = 30.0, threads: int = 0,
                 ahead: int | None = None):
        if threads < 0:
            raise ValueError(f"threads must be 0 or more, got {threads}")
        self.name = str(folder)
        self._paths = image_folder_frames(folder)
        self.frame_count = len(self._paths)
        self.fps = fps
        self._next = 0  # the next image to decode (or to hand to the pool)
        self._size: tuple[int, int] | None = None
        self._threads = threads
        self._ahead = max(ahead if ahead is not None else 2 * threads, 1)
        self._pool: ThreadPoolExecutor | None = None  # started at the first read
        self._pending: deque[tuple[int, Future[np.ndarray]]] = deque()  # (index, decoding), in name order

    def _read(self) -> np.ndarray | None:
        if self._threads:
            taken = self._next_from_pool()
        elif self._next < len(self._paths):
            self._next += 1
            taken = self._next - 1, _decode_image(self._paths[self._next - 1])
        else:
            taken = None
        if taken is None:
            return None
        index, frame = taken
        # The size check is the caller's, in order: the first frame read sets the size.
        if self._size is None:
            self._size = frame.shape[:2]
        elif frame.shape[:2] != self._size:
            h, w = self._size
            raise VideoError(
                f"image {self._paths[index]} is {frame.shape[1]}x{frame.shape[0]}, the others are {w}x{h}"
            )
        return frame

    def _next_from_pool(self) -> tuple[int, np.ndarray] | None:
        if self._pool is None:
            if self._next >= len(self._paths):
                return None  # exhausted or closed: no pool to start
            self._pool = ThreadPoolExecutor(self._threads, thread_name_prefix=f"meanshift-decode {self.name}")
            # The pool, never ``self``: a source dropped without close() is collected and its pool stopped
            # (without waiting: the collection may happen in one of the pool's threads).
            weakref.finalize(self, self._pool.shutdown, wait=False, cancel_futures=True)
        while self._next < len(self._paths) and len(self._pending) < self._ahead:
            self._pending.append((self._next, self._pool.submit(_decode_image, self._paths[self._next])))
            self._next += 1
        if not self._pending:
            return None
        index, future = self._pending.popleft()
        return index, future.result()  # this image's VideoError, if it has one

    def close(self) -> None:
        self._next = len(self._paths)
        self._peeked = None
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)  # decodes under way take milliseconds


def _decode_image(path: Path) -> np.ndarray:
    """One image, as a BGR uint8 frame (safe to run in several threads at once)."""
    frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if frame is None:
        raise VideoError(f"cannot decode image {path}")
    return _checked_frame(frame, str(path))


def decode_threads() -> int:
    """Threads to decode an image folder ahead with: as many as OpenCV may use, 1 to 4.

    OpenCV's own setting is the one that says how many cores this process is meant to use: a batch worker
    sets it to 1 (the processes share the cores), a lone process keeps the number of cores.
    """
    return max(1, min(4, cv2.getNumThreads()))


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
