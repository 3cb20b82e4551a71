"""The live window: draw a box with the mouse, watch the tracker, keys to pause, reselect and add targets."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from meanshift.io.boxes import Box, check_box
from meanshift.io.drawing import FpsMeter, draw_box, draw_result, draw_status, put_text, target_color
from meanshift.io.sources import FrameSource, VideoError
from meanshift.io.writers import BoxCsvWriter, VideoWriter


def has_display() -> bool:
    """Whether a window can be opened (on Linux: an X11 or Wayland display is set)."""
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


#: Shown on the frame while the user draws a box.
SELECT_HINT = "drag a box around the target, then Enter  (Esc cancels)"


def select_box(window: str, frame: np.ndarray, hint: str = SELECT_HINT) -> Box | None:
    """Let the user drag a box on ``frame`` (``cv2.selectROI``); ``None`` when cancelled.

    Drag with the mouse, then press Enter or space to accept, Esc or ``c`` to cancel. ``hint`` is
    written on the picture (on a copy: ``frame`` is not changed), so the user knows what to do.
    """
    view = frame.copy() if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    if hint:
        draw_status(view, [hint])
    x, y, w, h = cv2.selectROI(window, view, showCrosshair=True, fromCenter=False, printNotice=False)
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
        self._boxes[number] = box
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
        put_text(view, hint, (8, view.shape[0] - 8), (255, 255, 255), scale=0.4)
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

        fps = self.source.fps
        period = 1.0 / fps if self.pace and fps else 0.0  # self.pace is only set when the source has an fps
        playing = 0.0
        frame: np.ndarray | None = None
        results: dict[int, Any] = {}
        new_boxes: dict[int, Box] = {}
        try:
            while True:
                tick = time.perf_counter()
                if self.paused and frame is not None:
                    advanced = False  # paused: show the same frame again, poll the keyboard
                else:
                    advanced = True
                    if self.max_frames is not None and self.frames >= self.max_frames:
                        break
                    frame = self.source.read()
                    if frame is None:
                        break
                    new_boxes = {}
                    if self.frames == 0:
                        for initial in self.initial_boxes or [b for b in [self._select(frame)] if b is not None]:
                            number, new_boxes[number] = self._add_target(frame, initial)
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
