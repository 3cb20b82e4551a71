"""Several targets in one video: one tracker each, sharing the frame, each blind to the others' boxes.

Examples
--------
>>> import numpy as np, meanshift
>>> frame = np.full((120, 160, 3), 40, np.uint8)
>>> frame[20:50, 20:50] = (0, 0, 255); frame[60:100, 100:140] = (255, 0, 0)
>>> multi = meanshift.MultiTracker("generalized")
>>> multi.add(frame, (20, 20, 30, 30)), multi.add(frame, (100, 60, 40, 40))
(0, 1)
>>> results = multi.update(np.roll(frame, 3, axis=1))
>>> [(r.ok, abs(r.center[0] - x) < 1) for r, x in zip(results.values(), (37.5, 122.5))]
[(True, True), (True, True)]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from meanshift._inputs import tracking_frame
from meanshift.presets import create_tracker
from meanshift.tracker import Tracker, TrackResult

__all__ = ["MultiTracker", "update_targets"]


class MultiTracker:
    """Track several targets through the same frames.

    Parameters
    ----------
    preset : str
        Preset of every target's tracker (see :func:`meanshift.create_tracker`).
    exclusive : bool
        Each target's window treats the other targets' current boxes as masked, so that two
        targets of similar colour do not merge onto the same one.
    **overrides
        Passed to :func:`meanshift.create_tracker` for every target (``similarity``, ``kernel``,
        ``features``, ``bins`` or any :class:`~meanshift.Tracker` parameter).

    Notes
    -----
    Each target reads only the pixels of its own search region, so the cost per frame is the sum of
    the targets' costs, whatever the frame size; nothing else is shared between them.
    """

    def __init__(self, preset: str = "generalized", *, exclusive: bool = True, **overrides: Any) -> None:
        self.preset = preset
        self.exclusive = bool(exclusive)
        self._overrides = overrides
        create_tracker(preset, **overrides)  # fail now, not at the first add(), on a bad preset or option
        self._trackers: dict[int, Tracker] = {}
        self._boxes: dict[int, tuple[float, float, float, float]] = {}
        self._next_id = 0

    def __len__(self) -> int:
        return len(self._trackers)

    @property
    def targets(self) -> list[int]:
        """Ids of the targets being tracked, in the order they were added."""
        return list(self._trackers)

    def add(self, frame: np.ndarray, box: tuple[float, float, float, float]) -> int:
        """Start tracking the target in ``box`` of ``frame``; returns its id (0, 1, 2, ...).

        Raises
        ------
        ValueError
            For a bad frame or box (see :meth:`meanshift.Tracker.init`).
        """
        tracker = create_tracker(self.preset, **self._overrides)
        tracker.init(frame, box)
        target = self._next_id
        self._next_id += 1
        self._trackers[target] = tracker
        x, y, w, h = (float(v) for v in box)
        self._boxes[target] = (x, y, w, h)
        return target

    def remove(self, target: int) -> None:
        """Stop tracking ``target``.

        Raises
        ------
        KeyError
            When no target has that id.
        """
        if target not in self._trackers:
            raise KeyError(f"no target with id {target}; tracking {self.targets}")
        del self._trackers[target]
        del self._boxes[target]

    def update(self, frame: np.ndarray) -> dict[int, TrackResult]:
        """Track every target into ``frame``; ``{target id: TrackResult}`` in the order they were added."""
        frame = tracking_frame(frame)  # a bad frame is refused even when no target is left
        results = update_targets(self._trackers, frame, self._boxes, exclusive=self.exclusive)
        self._boxes.update({target: result.box for target, result in results.items()})
        return results


def update_targets(trackers: Mapping[Any, Any], frame: np.ndarray,
                   boxes: Mapping[Any, tuple[float, float, float, float]], *,
                   exclusive: bool = True) -> dict[Any, Any]:
    """``tracker.update(frame)`` for every target, each blind to the others' boxes when ``exclusive``.

    ``boxes`` holds every target's last box; a target already moved this frame is excluded where it is
    now. Trackers that are not :class:`~meanshift.Tracker` (anything with ``update(frame)``) are updated
    without exclusion. Used by :class:`MultiTracker`, ``meanshift track`` and ``meanshift batch``.
    """
    results: dict[Any, Any] = {}
    for target, tracker in trackers.items():
        if exclusive and len(trackers) > 1 and isinstance(tracker, Tracker):
            others = [results[t].box if t in results else boxes[t] for t in trackers if t != target and
                      (t in results or t in boxes)]
            results[target] = tracker.update(frame, exclude=others)
        else:
            results[target] = tracker.update(frame)
    return results
