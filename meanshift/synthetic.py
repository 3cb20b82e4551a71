"""Synthetic scenes with exact ground truth, for tests, the demo clip and examples.

A target (a filled, possibly rotated ellipse or rectangle whose pixels are drawn from a
*target palette*) moves over a block-textured background drawn from a disjoint
*background palette*. Ground truth is analytic, so centre and area errors can be measured
to sub-pixel precision.

Examples
--------
>>> from meanshift.synthetic import moving_target_sequence
>>> frames = list(moving_target_sequence(n_frames=3, frame_size=(120, 160), seed=1))
>>> frame, box = frames[0]
>>> frame.shape, frame.dtype, len(box)
((120, 160, 3), dtype('uint8'), 4)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

__all__ = [
    "RED_TARGET_PALETTE",
    "COOL_BACKGROUND_PALETTE",
    "TargetPose",
    "render_scene",
    "moving_target_sequence",
    "scale_change_sequence",
    "PastedTargetScene",
]

# BGR colours. Reds/magentas with high saturation and brightness, versus greens/blues/greys with
# R < 100: disjoint in hue (bins 0 and 15 of 16 vs 3..11), in RGB 16x16x16 and in hue x saturation.
RED_TARGET_PALETTE = np.array(
    [[30, 30, 220], [40, 20, 200], [20, 50, 240], [60, 30, 230], [90, 40, 210], [35, 60, 190]],
    dtype=np.uint8,
)
COOL_BACKGROUND_PALETTE = np.array(
    [[90, 140, 40], [60, 120, 50], [160, 110, 30], [200, 150, 60], [120, 160, 70], [100, 100, 60],
     [140, 180, 90], [80, 90, 20]],
    dtype=np.uint8,
)


@dataclass(frozen=True)
class TargetPose:
    """Where the synthetic target is: centre, full extent along its own axes, rotation.

    ``width``/``height`` are full lengths (not semi-axes) in pixels; ``angle_deg`` turns the
    target's width axis from the image x axis towards +y (clockwise on screen, as ``cv2.RotatedRect``).
    """

    cx: float
    cy: float
    width: float
    height: float
    angle_deg: float = 0.0
    shape: str = "ellipse"

    def mask(self, frame_shape: tuple[int, int]) -> np.ndarray:
        """Boolean mask of the pixels whose centres lie inside the target."""
        ys, xs = np.mgrid[0 : frame_shape[0], 0 : frame_shape[1]].astype(np.float64)
        theta = np.deg2rad(self.angle_deg)
        dx, dy = xs - self.cx, ys - self.cy
        u = dx * np.cos(theta) + dy * np.sin(theta)
        v = -dx * np.sin(theta) + dy * np.cos(theta)
        a, b = self.width / 2.0, self.height / 2.0
        if self.shape == "ellipse":
            return (u / a) ** 2 + (v / b) ** 2 <= 1.0
        return (np.abs(u) <= a) & (np.abs(v) <= b)

    def box(self, frame_shape: tuple[int, int]) -> tuple[float, float, float, float]:
        """Axis-aligned bounding box ``(x, y, w, h)`` of the drawn pixels (0-based, inclusive extent)."""
        ys, xs = np.nonzero(self.mask(frame_shape))
        if xs.size == 0:
            return (self.cx, self.cy, 0.0, 0.0)
        return (float(xs.min()), float(ys.min()), float(xs.max() - xs.min() + 1), float(ys.max() - ys.min() + 1))


def render_scene(
    frame_shape: tuple[int, int],
    pose: TargetPose,
    *,
    rng: np.random.Generator,
    target_palette: np.ndarray = RED_TARGET_PALETTE,
    background_palette: np.ndarray = COOL_BACKGROUND_PALETTE,
    block: int = 8,
    noise: float = 3.0,
    background: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Draw one BGR frame: textured background, then the target's pixels from its palette.

    Parameters
    ----------
    frame_shape : (H, W)
    pose : TargetPose
    rng : numpy.random.Generator
        Source of the texture and noise (pass a seeded one for reproducible frames).
    target_palette, background_palette : (K, 3) uint8
        BGR colours the pixels are drawn from, uniformly per pixel (target) or per block (background).
    block : int
        Side of the background's texture blocks in pixels.
    noise : float
        Standard deviation of additive Gaussian noise (clipped so palettes stay disjoint in practice).
    background : (H, W, 3) uint8, optional
        A fixed background to draw on instead of a fresh random texture.

    Returns
    -------
    frame : (H, W, 3) uint8
    mask : (H, W) bool
        The target's pixels.
    """
    h, w = frame_shape
    if background is None:
        background = block_texture(frame_shape, background_palette, rng=rng, block=block)
    frame = background.copy()
    mask = pose.mask(frame_shape)
    n = int(mask.sum())
    if n:
        frame[mask] = target_palette[rng.integers(0, len(target_palette), size=n)]
    if noise > 0:
        jitter = rng.normal(0.0, noise, size=frame.shape)
        frame = np.clip(frame.astype(np.float64) + jitter, 0, 255).astype(np.uint8)
    return frame, mask


def block_texture(
    frame_shape: tuple[int, int], palette: np.ndarray, *, rng: np.random.Generator, block: int = 8
) -> np.ndarray:
    """A background of ``block``-pixel squares, each a random colour of ``palette``."""
    h, w = frame_shape
    gh, gw = -(-h // block), -(-w // block)
    idx = rng.integers(0, len(palette), size=(gh, gw))
    tex = palette[idx].repeat(block, axis=0).repeat(block, axis=1)
    return np.ascontiguousarray(tex[:h, :w])


def moving_target_sequence(
    n_frames: int = 60,
    frame_size: tuple[int, int] = (240, 320),
    *,
    seed: int = 0,
    base_size: tuple[float, float] = (48.0, 36.0),
    scale_amplitude: float = 0.2,
    travel: float = 0.25,
    shape: str = "ellipse",
    noise: float = 3.0,
    target_palette: np.ndarray = RED_TARGET_PALETTE,
    background_palette: np.ndarray = COOL_BACKGROUND_PALETTE,
) -> Iterator[tuple[np.ndarray, tuple[float, float, float, float]]]:
    """Frames of a target moving on a smooth loop while it grows and shrinks.

    Parameters
    ----------
    n_frames : int
    frame_size : (H, W)
    seed : int
        Makes the sequence reproducible.
    base_size : (w, h)
        Target size at scale 1.
    scale_amplitude : float
        The scale follows ``1 + scale_amplitude * sin(...)``.
    travel : float
        Radius of the centre's path as a fraction of the frame size.

    Yields
    ------
    frame : (H, W, 3) uint8
    box : (x, y, w, h)
        Bounding box of the target's pixels in that frame (0-based).
    """
    rng = np.random.default_rng(seed)
    h, w = frame_size
    background = block_texture(frame_size, background_palette, rng=rng)
    for i in range(n_frames):
        t = 2.0 * np.pi * i / max(n_frames, 1)
        scale = 1.0 + scale_amplitude * np.sin(t)
        pose = TargetPose(
            cx=w / 2.0 + travel * w * np.sin(t),
            cy=h / 2.0 + 0.5 * travel * h * np.sin(2 * t),
            width=base_size[0] * scale,
            height=base_size[1] * scale,
            shape=shape,
        )
        frame, _ = render_scene(
            frame_size,
            pose,
            rng=rng,
            target_palette=target_palette,
            background_palette=background_palette,
            noise=noise,
            background=background,
        )
        yield frame, pose.box(frame_size)


def scale_change_sequence(
    final_scale: float,
    n_frames: int = 100,
    frame_size: tuple[int, int] = (360, 480),
    *,
    shape: str = "rectangle",
    base_size: tuple[float, float] = (48.0, 36.0),
    seed: int = 0,
) -> Iterator[tuple[np.ndarray, TargetPose]]:
    """Frames of a target that grows (or shrinks) steadily to ``final_scale`` times its size while it moves.

    The side is multiplied by ``final_scale ** (1 / n_frames)`` each frame (a constant rate, as a target
    approaching or leaving the camera), and the centre moves from ``(0.35 W, 0.45 H)`` to
    ``(0.65 W, 0.55 H)``, over a fixed block-textured background (:func:`render_scene`'s palettes).

    Parameters
    ----------
    final_scale : float
        Side in the last frame over the side in the first (2 grows to twice, 1/3 shrinks to a third).
    n_frames : int
        Frames after the first: ``n_frames + 1`` are yielded.
    frame_size : (H, W)
    shape : {"rectangle", "ellipse"}
    base_size : (w, h)
        The target's full extent in the first frame.
    seed : int
        Makes the background and the target's pixels reproducible.

    Yields
    ------
    frame : (H, W, 3) uint8
    pose : TargetPose
        Where the target is in that frame (its box: ``pose.cx - (pose.width - 1) / 2``, ...).

    Examples
    --------
    >>> poses = [pose for _, pose in scale_change_sequence(2.0, n_frames=4, frame_size=(120, 160))]
    >>> round(poses[-1].width / poses[0].width, 6), len(poses)
    (2.0, 5)
    """
    if not final_scale > 0:
        raise ValueError(f"final_scale must be positive, got {final_scale!r}")
    rng = np.random.default_rng(seed)
    height, width = frame_size
    background = block_texture(frame_size, COOL_BACKGROUND_PALETTE, rng=rng)
    for i in range(n_frames + 1):
        t = i / max(n_frames, 1)
        scale = final_scale ** t
        pose = TargetPose(cx=width * (0.35 + 0.3 * t), cy=height * (0.45 + 0.1 * t), width=base_size[0] * scale,
                          height=base_size[1] * scale, shape=shape)
        frame, _ = render_scene(frame_size, pose, rng=rng, background=background)
        yield frame, pose


class PastedTargetScene:
    """A fixed block-textured background on which an elliptic target is pasted wherever asked.

    Only the target's bounding box is computed per frame, so a frame costs tens of microseconds
    (:func:`render_scene` recomputes the whole frame): streams of any length can be made on the fly,
    for long-run tests and benchmarks. The target may be anywhere, partly or wholly outside the frame.

    Parameters
    ----------
    frame_size : (H, W)
    seed : int
        Makes the background and the target's pixels reproducible.

    Examples
    --------
    >>> scene = PastedTargetScene((120, 160), seed=1)
    >>> frame = scene.frame(80, 60, 30, 20)
    >>> frame.shape, scene.box(80, 60, 30, 20)
    ((120, 160, 3), (65.5, 50.5, 30, 20))
    """

    def __init__(self, frame_size: tuple[int, int] = (240, 320), *, seed: int = 0,
                 target_palette: np.ndarray = RED_TARGET_PALETTE,
                 background_palette: np.ndarray = COOL_BACKGROUND_PALETTE):
        self.frame_size = frame_size
        self.rng = np.random.default_rng(seed)
        self.target_palette = target_palette
        self.background = block_texture(frame_size, background_palette, rng=self.rng)

    def frame(self, cx: float, cy: float, w: float, h: float, *, out: np.ndarray | None = None) -> np.ndarray:
        """The background with the target (full extent ``w x h``) centred at ``(cx, cy)``.

        ``out`` is a ``(H, W, 3)`` uint8 buffer to draw into (reused frame after frame, as a camera
        driver does); by default a new array.
        """
        if out is None:
            frame = self.background.copy()
        else:
            frame = out
            np.copyto(frame, self.background)
        height, width = self.frame_size
        x0, x1 = max(math.floor(cx - w / 2), 0), min(math.ceil(cx + w / 2) + 1, width)
        y0, y1 = max(math.floor(cy - h / 2), 0), min(math.ceil(cy + h / 2) + 1, height)
        if x0 < x1 and y0 < y1:
            ys, xs = np.ogrid[y0:y1, x0:x1]
            mask = ((xs - cx) / (w / 2)) ** 2 + ((ys - cy) / (h / 2)) ** 2 <= 1.0
            n = int(mask.sum())
            if n:
                colours = self.target_palette[self.rng.integers(0, len(self.target_palette), n)]
                frame[y0:y1, x0:x1][mask] = colours
        return frame

    def visible(self, cx: float, cy: float, w: float, h: float) -> bool:
        """Whether any of the target's extent lies in the frame."""
        height, width = self.frame_size
        return cx + w / 2 >= 0 and cx - w / 2 <= width - 1 and cy + h / 2 >= 0 and cy - h / 2 <= height - 1

    @staticmethod
    def box(cx: float, cy: float, w: float, h: float) -> tuple[float, float, float, float]:
        """The ``(x, y, w, h)`` box of that extent (centre at ``x + (w - 1) / 2``)."""
        return cx - (w - 1) / 2, cy - (h - 1) / 2, w, h
