"""Drawing results on frames: boxes, rotated boxes, labels, status lines, and a frame-rate meter."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

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


def put_text(img: np.ndarray, text: str, org: tuple[int, int], color, scale: float = 0.5) -> None:
    # A dark outline under the text keeps it readable on any background.
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, color, 1, cv2.LINE_AA)


def draw_box(img: np.ndarray, box: Sequence[float], color, *, label: str | None = None, thickness: int = 2):
    """Draw an axis-aligned box ``(x, y, w, h)`` with an optional label above it, in place."""
    x, y, w, h = (float(v) for v in box)
    p0, p1 = (round(x), round(y)), (round(x + w - 1), round(y + h - 1))
    cv2.rectangle(img, p0, p1, color, thickness, cv2.LINE_8)
    if label:
        put_text(img, label, (p0[0], max(p0[1] - 5, 12)), color)
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
    put_text(img, f"{text}{float(result.score):.2f}", (max(left, 0), max(top - 5, 12)), color)
    return img


def wrap_text(text: str, width: int, scale: float = 0.5) -> list[str]:
    """``text`` in lines no wider than ``width`` pixels as :func:`put_text` draws them.

    Lines break at a double space first (``"then Enter  (Esc cancels)"`` keeps ``(Esc cancels)``
    whole), and between words when a part between double spaces is itself too wide. A single word wider
    than ``width`` keeps a line of its own (it is not cut).

    Examples
    --------
    >>> hint = "drag a box around the target, then Enter  (Esc cancels)"
    >>> wrap_text(hint, 400)
    ['drag a box around the target, then Enter  (Esc cancels)']
    >>> wrap_text(hint, 336)
    ['drag a box around the target, then Enter', '(Esc cancels)']
    >>> wrap_text(hint, 150)
    ['drag a box around', 'the target, then', 'Enter  (Esc cancels)']
    """

    def fits(line: str) -> bool:
        # +2: the outline put_text draws under the letters is a pixel wider on each side
        return cv2.getTextSize(line, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)[0][0] + 2 <= width

    pieces: list[tuple[str, str]] = []  # (separator before it, text)
    for phrase in text.split("  "):
        words = [phrase] if fits(phrase) else phrase.split(" ")
        pieces += [("  " if i == 0 else " ", word) for i, word in enumerate(words)]
    lines: list[str] = []
    current = ""
    for separator, piece in pieces:
        candidate = f"{current}{separator}{piece}" if current else piece
        if current and not fits(candidate):
            lines.append(current)
            current = piece
        else:
            current = candidate
    lines.append(current)
    return lines


def draw_status(img: np.ndarray, lines: Sequence[str], *, color=(255, 255, 255)) -> np.ndarray:
    """Write a few lines of status (fps, keys) in the top-left corner, in place.

    A line wider than the image is wrapped between words (:func:`wrap_text`) rather than cut at the right
    edge: a hint on a 352-pixel-wide (CIF) frame is read whole.
    """
    margin = 8
    wrapped = [part for line in lines for part in wrap_text(line, img.shape[1] - 2 * margin)]
    for i, line in enumerate(wrapped):
        put_text(img, line, (margin, 18 + 18 * i), color)
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


