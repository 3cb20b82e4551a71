"""Windows and boxes: validation, clipping, orientation and size from moments.

Coordinates are pixel indices (the pixel in column ``i`` is at ``x = i``), so a box ``(x, y, w, h)``
covering columns ``x .. x + w - 1`` has its centre at ``x + (w - 1) / 2`` — the OTB convention.
"""

from __future__ import annotations

import math

__all__ = [
    "validate_box",
    "box_to_center",
    "center_to_box",
    "clip_box",
    "orientation_from_moments",
    "rotated_bounding_size",
]


def validate_box(box: object, frame_shape: tuple[int, ...], *, name: str = "box") -> tuple[float, float, float, float]:
    """Check an ``(x, y, w, h)`` box against a frame and return it as floats.

    Raises
    ------
    ValueError
        When the box is not four finite numbers, has a non-positive size, or lies entirely outside the frame.
    """
    try:
        # ``box`` may be any object (it comes from the user): one that is not iterable raises TypeError,
        # turned into the ValueError below, which is why mypy's complaint about ``object`` is ignored.
        values = [float(v) for v in box]  # type: ignore[attr-defined]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be four numbers (x, y, w, h), got {box!r}") from None
    if len(values) != 4:
        raise ValueError(f"{name} must be four numbers (x, y, w, h), got {len(values)}: {box!r}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"{name} has a NaN or infinite coordinate: ({', '.join(f'{v:g}' for v in values)})")
    x, y, w, h = values
    if w <= 0 or h <= 0:
        raise ValueError(f"{name} must have a positive width and height, got w={w:g}, h={h:g}")
    height, width = frame_shape[:2]
    if x + w <= 0 or y + h <= 0 or x >= width or y >= height:
        raise ValueError(f"{name} ({x:g}, {y:g}, {w:g}, {h:g}) lies entirely outside the {width}x{height} frame")
    return x, y, w, h


def box_to_center(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """``(x, y, w, h)`` to ``(cx, cy, w, h)`` with ``cx = x + (w - 1) / 2``."""
    x, y, w, h = box
    return x + (w - 1.0) / 2.0, y + (h - 1.0) / 2.0, w, h


def center_to_box(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
    """Inverse of :func:`box_to_center`."""
    return cx - (w - 1.0) / 2.0, cy - (h - 1.0) / 2.0, w, h


def clip_box(box: tuple[float, float, float, float], frame_shape: tuple[int, ...]) -> tuple[float, float, float, float]:
    """The part of ``(x, y, w, h)`` inside a frame of ``frame_shape`` (H, W, ...); the box itself if inside.

    Examples
    --------
    >>> clip_box((-5.0, 10.0, 20.0, 30.0), (100, 50))
    (0.0, 10.0, 15.0, 30.0)
    """
    x, y, w, h = box
    height, width = frame_shape[:2]
    x0, y0 = max(x, 0.0), max(y, 0.0)
    x1, y1 = min(x + w, float(width)), min(y + h, float(height))
    return x0, y0, max(x1 - x0, 0.0), max(y1 - y0, 0.0)


def orientation_from_moments(mu20: float, mu11: float, mu02: float) -> tuple[float, float, float]:
    """Eigen-decomposition of the 2x2 covariance ``[[mu20, mu11], [mu11, mu02]]``.

    Returns
    -------
    lambda_major, lambda_minor : float
        Eigenvalues, ``lambda_major >= lambda_minor >= 0``.
    angle_deg : float
        Direction of the major axis in degrees, in ``[0, 180)``, measured from the x axis towards
        +y (clockwise on screen, as ``cv2.RotatedRect`` angles are).
    """
    half_trace = 0.5 * (mu20 + mu02)
    root = math.sqrt(max(0.25 * (mu20 - mu02) ** 2 + mu11 * mu11, 0.0))
    lam1 = max(half_trace + root, 0.0)
    lam2 = max(half_trace - root, 0.0)
    angle = 0.5 * math.degrees(math.atan2(2.0 * mu11, mu20 - mu02))
    return lam1, lam2, angle % 180.0


def rotated_bounding_size(width: float, height: float, angle_deg: float) -> tuple[float, float]:
    """Width and height of the axis-aligned bounding box of a ``width x height`` box rotated by ``angle_deg``."""
    t = math.radians(angle_deg)
    c, s = abs(math.cos(t)), abs(math.sin(t))
    return width * c + height * s, width * s + height * c
