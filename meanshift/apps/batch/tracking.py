"""One video tracked from its initial box to its last frame, outputs written safely: the unit of a batch."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from meanshift.io import (
    BoxCsvWriter,
    FrameSource,
    VideoError,
    VideoWriter,
    check_box,
    draw_box,
    draw_result,
    open_source,
    partial_path,
    target_color,
)

Box = tuple[float, float, float, float]

@dataclass(frozen=True)
class TrackerOptions:
    """How to build a tracker: a preset name and the options that override it.

    ``None`` keeps the preset's choice. Instances are small and picklable, so they travel to
    worker processes, where :meth:`create` builds the tracker.
    """

    preset: str = "generalized"
    similarity: str | None = None
    kernel: str | None = None
    features: str | None = None
    bins: int | None = None

    def create(self) -> Any:
        """A fresh tracker (``meanshift.create_tracker``); ``ValueError`` names a bad option."""
        import meanshift  # heavy (Numba); imported where a tracker is actually needed

        return meanshift.create_tracker(
            self.preset,
            similarity=self.similarity,
            kernel=self.kernel,
            features=self.features,
            bins=self.bins,
        )


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

    Returns
    -------
    VideoReport
        ``status="ok"``, frames processed, frames lost, time taken.

    Raises
    ------
    VideoError, ValueError
        The source cannot be read, or a box is malformed or outside the frame.
    """
    from meanshift.multi import update_targets

    boxes = _as_box_list(boxes)
    if make_tracker is None:
        make_tracker = (options or TrackerOptions()).create
    final = {"csv": Path(csv_path) if csv_path else None, "video": Path(video_path) if video_path else None}
    temp = {k: (partial_path(p) if atomic else p) for k, p in final.items() if p is not None}
    csv_out: BoxCsvWriter | None = None
    writer: VideoWriter | None = None
    start = time.perf_counter()
    frames = lost = 0
    name = source.name if isinstance(source, FrameSource) else str(source)
    try:
        src = source if isinstance(source, FrameSource) else open_source(source)
        with src:
            first = src.peek()
            if first is None:
                raise VideoError(f"{name}: no frames to track")
            boxes = [check_box(b, first.shape) for b in boxes]
            if "csv" in temp:
                csv_out = BoxCsvWriter(temp["csv"])
            if "video" in temp:
                writer = VideoWriter(temp["video"], src.fps or 30.0)
            trackers: dict[int, Any] = {}
            current = dict(enumerate(boxes))  # every target's last box: the others do not take its pixels
            for frame in src:
                if max_frames is not None and frames >= max_frames:
                    break
                annotated = frame.copy() if writer is not None else None
                if not trackers:
                    for number, box in enumerate(boxes):
                        tracker = make_tracker()
                        tracker.init(frame, box)
                        trackers[number] = tracker
                        if csv_out is not None:
                            csv_out.write_box(frames, number, box)
                        if annotated is not None:
                            draw_box(annotated, box, target_color(number), label=f"#{number}")
                else:
                    results = update_targets(trackers, frame, current)
                    for number, result in results.items():
                        current[number] = result.box
                        if csv_out is not None:
                            csv_out.write_result(frames, number, result)
                        if annotated is not None:
                            draw_result(annotated, result, target_color(number), label=f"#{number}")
                    lost += any(not result.ok for result in results.values())
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
        if atomic:
            # The box table goes last: its presence is what marks the video as done.
            for key in ("video", "csv"):
                if key in temp:
                    os.replace(temp[key], final[key])
    except BaseException:
        # Includes KeyboardInterrupt: never leave a half-written file behind under a final name.
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()
        if atomic:
            for path in temp.values():
                remove_file(path)
        raise
    warning = ""
    if max_frames is None and expected and frames < 0.95 * expected:
        warning = f"warning: read {frames} of the {expected} frames the file announces (truncated?)"
    outputs = tuple(str(final[k]) for k in ("csv", "video") if final[k] is not None)
    return VideoReport(name, "ok", frames, lost, seconds, warning, outputs)


def _as_box_list(boxes: Sequence[Sequence[float]] | Sequence[float]) -> list[Box]:
    if len(boxes) == 4 and all(isinstance(v, int | float) for v in boxes):
        boxes = [boxes]  # type: ignore[list-item]
    if not boxes:
        raise ValueError("no initial box given: pass at least one (x, y, w, h)")
    return [tuple(float(v) for v in b) for b in boxes]  # type: ignore[misc]


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


