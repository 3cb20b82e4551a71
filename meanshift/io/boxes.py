"""Boxes ``(x, y, w, h)`` on the command line and in files: parsing, sidecar ``.box`` files, checks against a frame.

Boxes are floats in 0-based pixel coordinates, ``(x, y)`` the top-left corner.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from pathlib import Path

from meanshift.io.sources import VideoError, is_camera_index

Box = tuple[float, float, float, float]

_BOX_HELP = "expected four numbers x,y,w,h (top-left corner, width, height in pixels), e.g. 120,80,40,60"


def parse_box(text: str) -> Box:
    """Parse ``"x,y,w,h"`` into floats.

    Commas separate the numbers, or semicolons, spaces or tabs (any mix; a run of them counts as
    one), so that a line copied from a box file or a spreadsheet reads as it is: ``"10;10;20;20"``
    and ``"10 10 20 20"`` are the same box as ``"10,10,20,20"``. ``meanshift track --box`` takes the same.

    Raises
    ------
    ValueError
        Naming the text and the expected form when it is not four finite numbers with positive
        width and height.

    Examples
    --------
    >>> parse_box("120, 80, 40, 60")
    (120.0, 80.0, 40.0, 60.0)
    >>> parse_box("1\\t2\\t3\\t4")
    (1.0, 2.0, 3.0, 4.0)
    >>> parse_box("10;10;20;20") == parse_box("10 10 20 20") == (10.0, 10.0, 20.0, 20.0)
    True
    """
    parts = [p for p in re.split(r"[,\s;]+", text.strip()) if p]
    try:
        values = tuple(float(p) for p in parts)
    except ValueError:
        raise ValueError(f"malformed box {text.strip()!r}: {_BOX_HELP}") from None
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ValueError(f"malformed box {text.strip()!r}: {_BOX_HELP}")
    if values[2] <= 0 or values[3] <= 0:
        raise ValueError(f"box {text.strip()!r} has width or height <= 0: {_BOX_HELP}")
    return values


def read_box_file(path: str | os.PathLike[str]) -> Box:
    """Read a box from the first non-empty line of a text file.

    A sidecar ``clip.box`` holds one line ``x,y,w,h``; an OTB ``groundtruth_rect.txt`` also works,
    its first line being the first frame's box (coordinates are taken as written).

    Raises
    ------
    VideoError
        When the file is missing or empty; ``ValueError`` when its line is malformed.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise VideoError(f"no such box file: {path}") from None
    except OSError as exc:
        raise VideoError(f"cannot read box file {path}: {exc.strerror}") from None
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            try:
                return parse_box(line)
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
    raise VideoError(f"box file {path} is empty ({_BOX_HELP})")


def format_box(box: Sequence[float]) -> str:
    """``(1.0, 2.5, 3.0, 4.0)`` → ``"1,2.5,3,4"``, the form :func:`parse_box` reads."""
    return ",".join(f"{float(v):g}" for v in box)


def sidecar_box_path(video: str | os.PathLike[str]) -> Path:
    """``clip.mp4`` → ``clip.box``: where a video's initial box is kept."""
    return Path(video).with_suffix(".box")


def initial_box_for(source: str | os.PathLike[str]) -> tuple[Box, Path] | None:
    """The initial box that ships with a source, and the file it came from, if there is one.

    A video ``clip.mp4`` may have a sidecar ``clip.box``; a frame folder in OTB layout has
    ``groundtruth_rect.txt``, whose first line is the first frame's box.
    """
    if is_camera_index(source) or "://" in os.fspath(source):
        return None
    path = Path(source)
    if path.is_dir():
        candidates = [path / "groundtruth_rect.txt", path / "init.box"]
    else:
        candidates = [sidecar_box_path(path)]
    for candidate in candidates:
        if candidate.is_file():
            return read_box_file(candidate), candidate
    return None


def check_box(box: Sequence[float], frame_shape: Sequence[int]) -> Box:
    """Check a box against the frame and clip the part that lies outside.

    Parameters
    ----------
    box : (x, y, w, h)
    frame_shape : (H, W, ...)

    Returns
    -------
    (x, y, w, h)
        The part of the box inside the frame.

    Raises
    ------
    ValueError
        When a coordinate is NaN or infinite, or less than one pixel by one pixel of the box lies inside
        the frame.

    Examples
    --------
    >>> check_box((-10, 5, 30, 20), (240, 320, 3))
    (0.0, 5.0, 20.0, 20.0)
    """
    x, y, w, h = (float(v) for v in box)
    if not all(math.isfinite(v) for v in (x, y, w, h)):
        raise ValueError(f"box {format_box(box)} has a NaN or infinite coordinate")
    height, width = int(frame_shape[0]), int(frame_shape[1])
    x0, y0 = max(x, 0.0), max(y, 0.0)
    x1, y1 = min(x + w, float(width)), min(y + h, float(height))
    if x1 - x0 < 1.0 or y1 - y0 < 1.0:
        raise ValueError(f"box {format_box(box)} lies outside the {width}x{height} frame")
    return (x0, y0, x1 - x0, y1 - y0)


