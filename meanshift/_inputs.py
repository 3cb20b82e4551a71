"""What :meth:`Tracker.init` and :meth:`Tracker.update` accept, decided in one place.

The tracker's Numba kernels trust their inputs, so everything a caller may hand over is turned
here into the one form they expect (a ``uint8`` BGR or gray frame, a box of at least one pixel
inside it), or refused with a ``ValueError`` that names the problem. What each odd input means:

==========================================  =====================================================
input                                       outcome
==========================================  =====================================================
``(H, W, 3)`` uint8                         BGR, used as is (any strides, read-only is fine)
``(H, W)`` or ``(H, W, 1)`` uint8           grayscale (tracked with ``gray`` features)
``(H, W, 4)`` uint8                         BGRA: the alpha channel is dropped
``uint16`` (16-bit PNG, some cameras)       the high byte is kept, as :mod:`meanshift.io` does
float, signed, bool or object frames        ``ValueError``: the scale is ambiguous ([0, 1] or
                                            [0, 255]?); the message says how to convert
other shapes, empty frames, ``None``        ``ValueError`` naming the shape received
box partly outside the frame                clipped to the frame: the model is learnt from the
                                            visible part
box NaN/inf, ``w <= 0`` or ``h <= 0``       ``ValueError``
box with less than 1 x 1 px in the frame    ``ValueError`` (nothing to learn a model from)
box under 2 px between pixel centres        ``init`` may find no pixel with a kernel weight: its
                                            ``ValueError`` says "holds no usable pixel"
box under 8 px on a side                    tracked with a warning, ``ok`` False while the window
                                            stays under 8 px (``meanshift.config.MIN_BOX_SIDE``;
                                            decided in :meth:`meanshift.Tracker.init`)
a string, or not four numbers               ``ValueError``
==========================================  =====================================================

A frame whose shape differs from the one given to ``init`` is refused by ``update`` (call ``init``
again on the new frame): a box of the old frame means nothing in the new one.
"""

from __future__ import annotations

import math

import numpy as np

from meanshift.geometry import clip_box, validate_box

__all__ = ["tracking_frame", "tracking_box", "exclusion_boxes"]


def tracking_frame(frame: object, *, name: str = "frame") -> np.ndarray:
    """The frame as the kernels read it: ``(H, W, 3)`` BGR or ``(H, W)`` gray, ``uint8``.

    Parameters
    ----------
    frame : array-like
        See the module's table for what is accepted and what it means.

    Returns
    -------
    numpy.ndarray
        ``frame`` itself when it already has that form (no copy), else a converted copy.

    Raises
    ------
    ValueError
        For ``None``, empty frames, unsupported shapes and dtypes; the message names what was received.
    """
    if (type(frame) is np.ndarray and frame.dtype == np.uint8
            and (frame.ndim == 2 or (frame.ndim == 3 and frame.shape[2] == 3))
            and frame.shape[0] > 0 and frame.shape[1] > 0):
        return frame  # the usual case, every frame of a video: nothing to convert or check further
    if frame is None:
        raise ValueError(f"{name} is None (did the video capture's read() fail?)")
    try:
        arr = np.asarray(frame)
    except (TypeError, ValueError) as exc:  # ragged nested lists, objects that are no array
        raise ValueError(f"{name} must be an image array (H, W, 3) uint8, got {type(frame).__name__}: {exc}") from None
    if arr.ndim == 3 and arr.shape[2] in (1, 4):
        # (H, W, 1) is gray; BGRA (PNG with alpha, screen grabs): transparency says nothing about colour.
        arr = arr[:, :, 0] if arr.shape[2] == 1 else arr[:, :, :3]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] != 3):
        raise ValueError(f"{name} must be HxWx3 (BGR), HxWx4 (BGRA) or HxW (gray), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty (shape {arr.shape})")
    if arr.dtype == np.uint16:
        # 16-bit images keep their 8 most significant bits: the histograms' bins are at most 8 bits wide.
        arr = (arr >> 8).astype(np.uint8)
    if arr.dtype != np.uint8:
        hint = ""
        if arr.dtype.kind == "f":
            hint = "; if its values are in [0, 1], pass (frame * 255).clip(0, 255).astype(np.uint8)"
        raise ValueError(f"{name} must have dtype uint8 (8-bit BGR as OpenCV reads it), got {arr.dtype}{hint}")
    return arr


def tracking_box(box: object, frame_shape: tuple[int, ...], *, name: str = "box") -> tuple[float, float, float, float]:
    """``(x, y, w, h)`` as floats, clipped to the frame, with at least one pixel each way inside it.

    Raises
    ------
    ValueError
        When the box is not four finite numbers, has a non-positive size, or covers less than one
        pixel by one pixel of the frame.
    """
    if isinstance(box, (str, bytes)):
        # A string is a sequence too: "1234" would otherwise read as the box (1, 2, 3, 4).
        raise ValueError(f"{name} must be four numbers (x, y, w, h), got the string {box!r} "
                         "(meanshift.io.parse_box reads 'x,y,w,h')")
    x, y, w, h = validate_box(box, frame_shape, name=name)
    cx, cy, cw, ch = clip_box((x, y, w, h), frame_shape)
    if min(cw, ch) < 1.0 - 1e-6:  # (a tolerance for the rounding of x + w - x)
        height, width = frame_shape[:2]
        raise ValueError(
            f"{name} ({x:g}, {y:g}, {w:g}, {h:g}) covers only {cw:g} x {ch:g} pixels of the {width}x{height} "
            "frame; it must cover at least 1 x 1"
        )
    return cx, cy, cw, ch


def exclusion_boxes(boxes) -> tuple[tuple[float, float, float, float], ...]:
    """``update(exclude=...)`` as float boxes; ValueError naming the first bad one."""
    if type(boxes) is tuple and not boxes:
        return ()
    out = []
    for box in boxes:
        values = tuple(float(v) for v in box)
        if len(values) != 4 or not all(math.isfinite(v) for v in values) or values[2] <= 0 or values[3] <= 0:
            raise ValueError(f"exclude boxes must be finite (x, y, w, h) with w > 0 and h > 0, got {tuple(box)}")
        out.append(values)
    return tuple(out)
