"""One video tracked from its initial box to its last frame, outputs written safely: the unit of a batch."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from meanshift.io import (
    BoxCsvWriter,
    FrameSource,
    VideoError,
    box_writer,
    check_box,
    draw_box,
    draw_result,
    format_box,
    open_source,
    partial_path,
    target_color,
    video_writer,
)

Box = tuple[float, float, float, float]

class PluginError(ValueError):
    """A ``--plugin`` module that cannot be imported."""


_LOADED_PLUGINS: dict[str, Any] = {}


def load_plugins(names: Sequence[str]) -> None:
    """Import each plugin (a module name, or the path of a ``.py`` file) once per process.

    A plugin registers its parts on import (``meanshift.register_similarity(...)``), after which they
    can be named like the built-in ones. The current folder is searched for module names, as
    ``python -m`` does.

    Raises
    ------
    PluginError
        Naming the plugin and why it did not import.
    """
    import importlib
    import importlib.util
    import sys

    for name in names:
        if name in _LOADED_PLUGINS:
            continue
        try:
            if name.endswith(".py") or os.sep in name:
                path = Path(name)
                if not path.is_file():
                    raise PluginError(f"no such file: {name}")
                spec = importlib.util.spec_from_file_location(f"meanshift_plugin_{path.stem}", path)
                if spec is None or spec.loader is None:  # not a file Python knows how to import
                    raise PluginError(f"cannot import plugin {name!r}: not a Python module")
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
            else:
                if os.getcwd() not in sys.path:
                    sys.path.append(os.getcwd())
                module = importlib.import_module(name)
        except PluginError:
            raise
        except Exception as exc:  # an import error or a bug in the plugin: name it, no traceback
            raise PluginError(f"cannot import plugin {name!r}: {type(exc).__name__}: {exc}") from None
        _LOADED_PLUGINS[name] = module


@dataclass(frozen=True)
class TrackerOptions:
    """How to build a tracker: a preset name and the options that override it.

    ``None`` keeps the preset's choice. Instances are small and picklable, so they travel to
    worker processes, where :meth:`create` imports the plugins and builds the tracker.
    """

    preset: str = "generalized"
    similarity: str | None = None
    kernel: str | None = None
    features: str | None = None
    bins: int | None = None
    scale: str | None = None
    motion: str | None = None
    recovery: bool | None = None
    plugins: tuple[str, ...] = ()

    def create(self) -> Any:
        """A fresh tracker (``meanshift.create_tracker``); ``ValueError`` names a bad option."""
        import meanshift  # heavy (Numba); imported where a tracker is actually needed

        load_plugins(self.plugins)
        overrides = {key: value for key, value in (("scale", self.scale), ("motion", self.motion),
                                                   ("recovery", self.recovery)) if value is not None}
        return meanshift.create_tracker(
            self.preset,
            similarity=self.similarity,
            kernel=self.kernel,
            features=self.features,
            bins=self.bins,
            **overrides,
        )

    def settings(self) -> dict[str, Any]:
        """The options as a plain dict (what a batch records beside each output)."""
        values = asdict(self)
        values["plugins"] = list(self.plugins)
        return values


@dataclass
class VideoReport:
    """What happened to one video: a row of ``summary.csv``.

    ``status`` is ``ok``, ``failed``, ``skipped`` (outputs already complete) or ``interrupted``.
    ``lost`` counts frames in which a target was not believed tracked. ``error`` holds the one-line
    reason of a failure (or a warning, such as a file that ended before its header said).
    ``attempts`` counts the times tracking this video was started in this run: 0 when it was
    skipped or never opened, 1 normally, more when a worker died and a Dask scheduler ran it again.
    """

    video: str
    status: str
    frames: int = 0
    lost: int = 0
    seconds: float = 0.0
    error: str = ""
    outputs: tuple[str, ...] = field(default=())
    attempts: int = 0

    @property
    def fps(self) -> float:
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def row(self) -> list[Any]:
        return [self.video, self.status, self.frames, self.lost, f"{self.fps:.1f}", f"{self.seconds:.2f}",
                self.error, self.attempts]


def track_video(
    source: str | os.PathLike[str] | FrameSource,
    boxes: Sequence[Sequence[float]] | Sequence[float],
    *,
    options: TrackerOptions | None = None,
    make_tracker: Callable[[], Any] | None = None,
    csv_path: str | os.PathLike[str] | None = None,
    video_path: str | os.PathLike[str] | None = None,
    atomic: bool = False,
    max_frames: int | None = None,
    on_frame: Callable[[int], Any] | None = None,
    box_format: str = "csv",
    codec: str | None = None,
    before_publish: Callable[[VideoReport], Any] | None = None,
    prefetch: bool = True,
) -> VideoReport:
    """Track one or more targets through a video without a window, streaming the outputs.

    Frames are read, tracked and written one at a time, so memory does not depend on the video's
    length.

    Parameters
    ----------
    source : path, camera index or FrameSource
        Anything :func:`meanshift.io.open_source` accepts, or an open source (it is closed).
    boxes : (x, y, w, h) or sequence of them
        Initial box of each target in the first frame; target ``i`` is column ``target = i``.
    options : TrackerOptions, optional
        Tracker to build per target (default: the ``generalized`` preset).
    make_tracker : callable, optional
        Alternative to ``options``: returns a fresh tracker with ``init``/``update``.
    csv_path : path, optional
        Box table (:data:`meanshift.io.CSV_COLUMNS`), one row per frame and target.
    video_path : path, optional
        Annotated video (rotated boxes and scores drawn on each frame).
    atomic : bool
        Write outputs under :func:`~meanshift.io.partial_path` names and rename them when
        complete (the box table last, so its presence means the video is done); on any error or
        interruption the partial files are removed.
    max_frames : int, optional
        Stop after this many frames.
    on_frame : callable, optional
        Called with ``1`` after each frame (pass ``tqdm.update``).
    box_format : {"csv", "jsonl", "mot"}
        Format of the box table (see :func:`meanshift.io.box_writer`).
    codec : {"mp4v", "h264", "vp9"}, optional
        Codec of the annotated video (see :func:`meanshift.io.video_writer`).
    before_publish : callable, optional
        Called with the finished report after the outputs are complete and before they are renamed
        into place (``atomic``): a record of the run written there never lags behind the outputs.
    prefetch : bool
        When ``source`` is a path: decode frames ahead on other threads while tracking (see
        :func:`meanshift.io.open_source`); the outputs are the same either way. An open ``FrameSource``
        is read as it is.

    Returns
    -------
    VideoReport
        ``status="ok"``, frames processed, frames lost, time taken.

    Raises
    ------
    VideoError, ValueError
        The source cannot be read, or a box is malformed or outside the frame.
    BaseException
        Whatever stopped the run (an error, ``KeyboardInterrupt``) is re-raised with an attribute
        ``written``: ``{"csv": frames in the box table, "video": frames in the video}`` (``None`` for
        an output not asked for), what the files hold once closed.
    """
    from meanshift.multi import update_targets

    boxes = _as_box_list(boxes)
    if make_tracker is None:
        make_tracker = (options or TrackerOptions()).create
    final = {"csv": Path(csv_path) if csv_path else None, "video": Path(video_path) if video_path else None}
    asked = {k: p for k, p in final.items() if p is not None}
    temp = {k: (partial_path(p) if atomic else p) for k, p in asked.items()}
    csv_out: BoxCsvWriter | None = None
    writer: Any = None
    start = time.perf_counter()
    frames = lost = 0
    name = source.name if isinstance(source, FrameSource) else str(source)
    try:
        src = source if isinstance(source, FrameSource) else open_source(source, prefetch=prefetch)
        with src:
            first = src.peek()
            if first is None:
                raise VideoError(f"{name}: no frames to track")
            given, boxes = boxes, [check_box(b, first.shape) for b in boxes]
            # A box reaching outside the frame is tracked as its part inside: said, as `meanshift track` says it.
            height, width = first.shape[:2]
            notes = [f"note: box {format_box(g)} reaches outside the {width}x{height} frame: tracking the part "
                     f"inside it, {format_box(b)}" for g, b in zip(given, boxes, strict=True)
                     if tuple(float(v) for v in g) != b]
            if "csv" in temp:
                csv_out = box_writer(temp["csv"], box_format)
            if "video" in temp:
                writer = video_writer(temp["video"], src.fps or 30.0, codec)
            trackers: dict[int, Any] = {}
            current = dict(enumerate(boxes))  # every target's last box: the others do not take its pixels
            for frame in src:
                if max_frames is not None and frames >= max_frames:
                    break
                annotated = frame.copy() if writer is not None else None
                rows: list[tuple[int, Any, bool]] = []  # (target, box or result, is the initial box)
                if not trackers:
                    for number, box in enumerate(boxes):
                        tracker = make_tracker()
                        tracker.init(frame, box)
                        trackers[number] = tracker
                        rows.append((number, box, True))
                        if annotated is not None:
                            draw_box(annotated, box, target_color(number), label=f"#{number}")
                else:
                    results = update_targets(trackers, frame, current)
                    for number, result in results.items():
                        current[number] = result.box
                        rows.append((number, result, False))
                        if annotated is not None:
                            draw_result(annotated, result, target_color(number), label=f"#{number}")
                    lost += any(not result.ok for result in results.values())
                # A frame's rows and its video frame are written as one: Ctrl-C or SIGTERM waits until
                # both are, so the box table and the video always hold the same frames.
                with deferred_signals():
                    if csv_out is not None:
                        for number, value, initial in rows:
                            if initial:
                                csv_out.write_box(frames, number, value)
                            else:
                                csv_out.write_result(frames, number, value)
                    if writer is not None:
                        writer.write(annotated)
                    frames += 1
                if on_frame is not None:
                    on_frame(1)
            expected = src.frame_count
        seconds = time.perf_counter() - start
        if writer is not None:
            writer.close()
            _fsync_path(temp["video"])
        if csv_out is not None:
            csv_out.sync()
            csv_out.close()
        if max_frames is None and expected and frames < 0.95 * expected:
            notes.append(f"warning: read {frames} of the {expected} frames the file announces (truncated?)")
        warning = "; ".join(notes)
        outputs = tuple(str(final[k]) for k in ("csv", "video") if final[k] is not None)
        report = VideoReport(name, "ok", frames, lost, seconds, warning, outputs)
        if before_publish is not None:
            # Before the renames: whatever records the run exists before the outputs look finished.
            before_publish(report)
        if atomic:
            # The box table goes last: its presence is what marks the video as done.
            for key in ("video", "csv"):
                if key in temp:
                    os.replace(temp[key], asked[key])
    except BaseException as exc:
        # Includes KeyboardInterrupt: never leave a half-written file behind under a final name.
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()
        # The documented ``written`` attribute, added to whatever exception stopped the run (BaseException
        # declares no such attribute, hence the ignore).
        exc.written = {"csv": csv_out.frames if csv_out is not None else None,  # type: ignore[attr-defined]
                       "video": writer.frames_written if writer is not None else None}
        if atomic:
            for path in temp.values():
                remove_file(path)
        raise
    return report


@contextlib.contextmanager
def deferred_signals() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs; their handlers run right after it.

    Python raises ``KeyboardInterrupt`` between bytecodes, so without this a frame could be half
    written (its row in the box table, not yet in the video) or written but not counted. The block's
    own handlers only note a signal; on leaving, the previous handlers are put back and the first
    signal noted is handed to its own. Only in the main thread (the only one Python signals reach).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: list[tuple[int, Any]] = []

    def hold(signum: int, frame: Any) -> None:
        caught.append((signum, frame))

    previous: dict[int, Any] = {}
    try:
        for held in (signal.SIGINT, signal.SIGTERM):
            previous[held] = signal.signal(held, hold)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if caught:
            first, frame = caught[0]
            handler = previous.get(first)
            if callable(handler):
                handler(first, frame)
            elif handler == signal.SIG_DFL:
                signal.raise_signal(first)


def _as_box_list(boxes: Sequence[Sequence[float]] | Sequence[float]) -> list[tuple[float, ...]]:
    """One box ``(x, y, w, h)``, or a sequence of them, as a list of float tuples (``check_box`` checks them)."""
    one_box = len(boxes) == 4 and all(isinstance(v, int | float) for v in boxes)
    items: Sequence[Any] = [boxes] if one_box else boxes  # each item a box, still unchecked
    if not items:
        raise ValueError("no initial box given: pass at least one (x, y, w, h)")
    return [tuple(float(v) for v in b) for b in items]


def _fsync_path(path: Path) -> None:
    # OpenCV's writer does not sync; do it so a rename after a power cut cannot expose an empty file.
    try:
        with open(path, "rb+") as f:
            os.fsync(f.fileno())
    except OSError:
        pass


def remove_file(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


