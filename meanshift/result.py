"""What the tracker returns for one frame: :class:`TrackResult`, the end of the one-way flow."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TrackResult"]


@dataclass(frozen=True)
class TrackResult:
    """What :meth:`Tracker.update` returns for one frame.

    Attributes
    ----------
    ok : bool
        False when the target is believed lost (no target-like pixels in the window, or the
        candidate histogram's Bhattacharyya coefficient with the target fell below ``min_confidence``,
        or, with ``recovery``, below ``loss_ratio`` times its recent level and no re-acquisition
        succeeded): the box is then not to be trusted.
    box : (x, y, w, h)
        Axis-aligned box in pixels (floats), clipped to the frame; centre at ``x + (w - 1) / 2``
        (unless clipped: the unclipped centre is ``rotated[0]``).
    rotated : ((cx, cy), (w, h), angle_deg)
        The oriented box, as ``cv2.RotatedRect`` (works with ``cv2.boxPoints``).
    score : float
        Value of the tracker's similarity measure at convergence.
    iterations : int
        Mean-shift iterations this frame (summed over the candidate sizes in ``bandwidth`` mode).
    confidence : float
        Bhattacharyya coefficient between candidate and target histograms, in [0, 1].
    """

    ok: bool
    box: tuple[float, float, float, float]
    rotated: tuple[tuple[float, float], tuple[float, float], float]
    score: float
    iterations: int
    confidence: float = 0.0

    @property
    def center(self) -> tuple[float, float]:
        """Centre ``(cx, cy)`` of the box."""
        return self.rotated[0]
