"""What the tracker returns for one frame: :class:`TrackResult`, the end of the one-way flow."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["TrackResult"]


@dataclass(frozen=True)
class TrackResult:
    """What :meth:`Tracker.update` returns for one frame.

    A frozen dataclass that also unpacks as ``(ok, box)``, like the pair ``cv2.Tracker.update``
    returns, so ``ok, box = tracker.update(frame)`` works; the other fields stay attributes.
    ``box`` holds floats; :attr:`int_box` is the same box in whole pixels for drawing
    (``cv2.rectangle`` refuses floats).

    Attributes
    ----------
    ok : bool
        False when the target is believed lost (no target-like pixels in the window, or the
        candidate histogram's Bhattacharyya coefficient with the target fell below ``min_confidence``,
        or, with ``recovery``, below ``loss_ratio`` times its recent level and no re-acquisition
        succeeded): the box is then not to be trusted.
    box : (x, y, w, h)
        Axis-aligned box in pixels (floats), clipped to the frame; centre at ``x + (w - 1) / 2``.
    rotated : ((cx, cy), (w, h), angle_deg)
        The oriented box, as ``cv2.RotatedRect`` (works with ``cv2.boxPoints``), clipped like ``box``.
    score : float
        The value of the tracker's similarity measure for the reported box: against the learnt object and
        surroundings model in the recommended tracker (for the default ``posterior`` measure the box's mean
        ``P(obj | u)``, in [0, 1]), against the target histogram in the classic engine (at convergence).
        ``background-ratio``'s is a logarithm, ``-inf`` for a box that shares no colour with the model.
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

    def __iter__(self) -> Iterator[Any]:
        """``ok`` then ``box``: ``ok, box = tracker.update(frame)``, as with ``cv2.Tracker``.

        Examples
        --------
        >>> from meanshift import TrackResult
        >>> result = TrackResult(True, (10.4, 20.5, 30.2, 40.0), ((25.0, 40.0), (30.2, 40.0), 0.0), 0.9, 3)
        >>> ok, box = result
        >>> ok, box
        (True, (10.4, 20.5, 30.2, 40.0))
        """
        yield self.ok
        yield self.box

    @property
    def center(self) -> tuple[float, float]:
        """Centre ``(cx, cy)`` of the box."""
        return self.rotated[0]

    @property
    def int_box(self) -> tuple[int, int, int, int]:
        """The box in whole pixels, ``(x, y, w, h)`` ints: ``cv2.rectangle(image, result.int_box, colour)``.

        The corners are rounded to the nearest pixel (halves to even), so the box stays inside the frame
        whenever :attr:`box` does, and is at least 1 x 1.

        Examples
        --------
        >>> from meanshift import TrackResult
        >>> TrackResult(True, (10.4, 20.5, 30.2, 40.0), ((25.0, 40.0), (30.2, 40.0), 0.0), 0.9, 3).int_box
        (10, 20, 31, 40)
        """
        x, y, w, h = self.box
        x0, y0 = round(x), round(y)
        return x0, y0, max(round(x + w) - x0, 1), max(round(y + h) - y0, 1)
