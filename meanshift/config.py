"""Default thresholds, in one place. Kernels receive them as arguments, never read them as globals."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ScaleGuard", "Convergence", "HSV_MASK_DEFAULT", "MIN_BOX_SIDE"]

#: The canonical CAMSHIFT mask, ``cv2.inRange(hsv, (0, 60, 32), (180, 255, 255))``: (s_min, v_min, v_max).
HSV_MASK_DEFAULT: tuple[int, int, int] = (60, 32, 255)

#: Smallest side in pixels of an ``init`` box whose histogram means something. A box under it is tracked
#: with a warning, and ``ok`` stays False while the window is under it too (a scale rule that takes the
#: size from the weights, as CAMSHIFT's does, grows the window to the target and is trusted again).
#: Measured (``benchmarks/tiny_boxes.py``, 19 shared sequences, 100 frames): with boxes of 1-6 px cut at
#: the target's centre, comaniciu-meer's centre stays on the target no more often than a box that never
#: moves (+0.01 to +0.06 of the frames), +0.16 at 8 px and +0.26 at 12; generalized's window stays at
#: 6-8 px on a larger target and is off it on half the frames it reports trusted (0.47-0.56 of all frames
#: for 1-8 px against 0.23 at 16 px), and a 1 px box does worse than standing still (-0.08); the posterior
#: generalized() does +0.03 to +0.09 better than standing still with 1-5 px, +0.13 at 6, +0.20 at 8, +0.35 at 12.
MIN_BOX_SIDE: float = 8.0


@dataclass(frozen=True)
class Convergence:
    """When the mean-shift iteration stops.

    Attributes
    ----------
    epsilon : float
        Stop when the window moved less than this many pixels (floats: sub-pixel is fine).
    max_iterations : int
        Hard cap on iterations per frame.
    """

    epsilon: float = 0.1
    max_iterations: int = 20

    def __post_init__(self) -> None:
        if not self.epsilon >= 0:
            raise ValueError(f"epsilon must be >= 0, got {self.epsilon!r}")
        if int(self.max_iterations) < 1:
            raise ValueError(f"max_iterations must be >= 1, got {self.max_iterations!r}")


@dataclass(frozen=True)
class ScaleGuard:
    """Guard rails on the window size estimated from the moments.

    Attributes
    ----------
    max_step : float or None
        Largest relative change of the window's side per frame (0.1 = ±10 %); None for no bound.
    smoothing : float
        Weight of the new measurement in an exponential average of log-size (1 = no smoothing).
    min_size : float
        Smallest window side in pixels.
    max_fraction : float
        Largest window side as a fraction of the frame's side.
    """

    max_step: float | None = 0.1
    smoothing: float = 0.5
    min_size: float = 6.0
    max_fraction: float = 0.9

    def __post_init__(self) -> None:
        if self.max_step is not None and not self.max_step > 0:
            raise ValueError(f"max_step must be > 0 or None, got {self.max_step!r}")
        if not 0 < self.smoothing <= 1:
            raise ValueError(f"smoothing must be in (0, 1], got {self.smoothing!r}")
        if not self.min_size >= 1:
            raise ValueError(f"min_size must be >= 1 pixel, got {self.min_size!r}")
        if not 0 < self.max_fraction <= 1:
            raise ValueError(f"max_fraction must be in (0, 1], got {self.max_fraction!r}")
