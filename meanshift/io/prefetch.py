"""Reading ahead: a frame source whose frames are decoded on a background thread while the caller tracks.

:class:`PrefetchSource` wraps any :class:`~meanshift.io.sources.FrameSource` (a video file, typically):
one thread reads the wrapped source into a small bounded queue, so that decoding frame ``i + 1`` overlaps
tracking frame ``i``. What the caller sees does not change: the same frames in the same order, and an
error that the wrapped source raises at frame ``i`` (a frame that does not decode, a resolution that
changes) is raised by :meth:`~meanshift.io.sources.FrameSource.read` when the caller reaches frame ``i``,
the same exception with the same message, neither earlier nor lost. Image folders read ahead differently,
with a pool of decoding threads (``ImageFolderSource(folder, threads=N)``); :func:`~meanshift.io.open_source`
with ``prefetch=True`` picks the right one and leaves cameras and streams alone (reading a live source
ahead would show frames late).

:meth:`PrefetchSource.close` stops the thread and waits for it, however the caller stopped (end of the
video, an exception, Ctrl-C); a source dropped without being closed stops its thread when it is collected.
"""

from __future__ import annotations

import queue
import threading
import weakref
from typing import Any

import numpy as np

from meanshift.io.sources import FrameSource

__all__ = ["PrefetchSource", "PREFETCH_DEPTH"]

#: Frames decoded ahead of the caller by default: enough to ride out a slow frame, few enough that
#: memory stays that of a handful of frames (4 frames of 1280x720 are 11 MB).
PREFETCH_DEPTH = 4

# How often a reader blocked on a full queue looks whether it was told to stop (seconds). close() also
# empties the queue, so this bounds the wait only in the unlikely case that the two race.
_POLL = 0.05

# How long close() waits for the reading thread (seconds): one read of the wrapped source. Longer means a
# read hung (a network stream); the thread is a daemon and closes the wrapped source itself when it returns.
_JOIN_TIMEOUT = 10.0

_END = object()


class PrefetchSource(FrameSource):
    """Another source's frames, read ahead on a background thread into a bounded queue.

    Parameters
    ----------
    source : FrameSource
        The source to read ahead; from here on the background thread owns it (it reads it and closes it).
    depth : int
        Frames read ahead of the caller at most.

    Notes
    -----
    ``name``, ``kind``, ``fps`` and ``frame_count`` are those of ``source``. The thread calls
    ``source.read()`` exactly as the caller would have, in order, and hands on every outcome, frame or
    exception; it stops at the end of the source or when :meth:`close` is called.
    """

    def __init__(self, source: FrameSource, *, depth: int = PREFETCH_DEPTH):
        if depth < 1:
            raise ValueError(f"depth must be at least 1, got {depth}")
        self.name = source.name
        self.kind = source.kind
        self.fps = source.fps
        self.frame_count = source.frame_count
        self.source = source
        self._queue: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._ended = False
        # The thread is given the source, the queue and the event, never ``self``: a PrefetchSource that is
        # dropped without close() can then be collected, and its finalizer stops the thread.
        self._thread = threading.Thread(
            target=_read_ahead, args=(source, self._queue, self._stop),
            name=f"meanshift-prefetch {self.name}", daemon=True,
        )
        self._thread.start()
        self._finalizer = weakref.finalize(self, _stop_thread, self._thread, self._queue, self._stop)

    def _read(self) -> np.ndarray | None:
        if self._ended:
            return None
        while True:
            try:
                frame, error = self._queue.get(timeout=_POLL)
                break
            except queue.Empty:
                # The thread always ends by queueing the end or an error; one that died without doing so
                # (a bug) must not leave the caller waiting forever.
                if not self._thread.is_alive() and self._queue.empty():
                    self._ended = True
                    raise RuntimeError(f"{self.name}: the reading thread stopped before the last frame") from None
        if error is not None:
            raise error
        if frame is _END:
            self._ended = True
            return None
        return frame

    def close(self) -> None:
        """Stop the reading thread, wait for it, and close the wrapped source; reading then returns ``None``."""
        self._ended = True
        self._peeked = None
        self._finalizer()  # runs once: a second close() does nothing

    @property
    def alive(self) -> bool:
        """Whether the reading thread is still running (it stops at the end of the source or on close)."""
        return self._thread.is_alive()


def _read_ahead(source: FrameSource, frames: queue.Queue, stop: threading.Event) -> None:
    """The background thread: read ``source`` into ``frames`` until its end or ``stop``; then close it."""
    try:
        while not stop.is_set():
            try:
                frame = source.read()
            except Exception as exc:  # handed to the caller, raised when it reaches this frame
                if not _put(frames, (None, exc), stop):
                    return
                continue  # as a caller reading on after the error would: the next frame may be fine
            if frame is None:
                _put(frames, (_END, None), stop)
                return
            if not _put(frames, (frame, None), stop):
                return
    except BaseException as exc:  # not an Exception (SystemExit in a plugin's reader...): hand it on and stop
        _put(frames, (None, exc), stop)
    finally:
        source.close()


def _put(frames: queue.Queue, item: tuple[Any, BaseException | None], stop: threading.Event) -> bool:
    """Put ``item`` in the queue, waiting while it is full; ``False`` when told to stop meanwhile."""
    while not stop.is_set():
        try:
            frames.put(item, timeout=_POLL)
        except queue.Full:
            continue
        return True
    return False


def _stop_thread(thread: threading.Thread, frames: queue.Queue, stop: threading.Event) -> None:
    stop.set()
    # Empty the queue: a thread blocked on a full one is let go at once rather than at its next poll.
    while True:
        try:
            frames.get_nowait()
        except queue.Empty:
            break
    if thread is not threading.current_thread():
        thread.join(timeout=_JOIN_TIMEOUT)
