"""Run meanshift presets in the GOT-10k toolkit's experiments (``got10k`` on PyPI).

:class:`MeanShiftTracker` is a ``got10k.trackers.Tracker``: the toolkit's ``ExperimentOTB``,
``ExperimentGOT10k``, ``ExperimentVOT``, ``ExperimentLaSOT``, ... run it as they run any of their
trackers, with their own ``Tracker.track`` loop, result files and reports. got10k hands each frame as
a PIL image in RGB; the adapter gives meanshift the BGR ``uint8`` array it expects, and returns each
box as got10k wants it, ``(x, y, w, h)`` in a NumPy array.

Requires the ``got10k`` extra: ``pip install '.[got10k]'`` in the meanshift checkout (it is not on PyPI).

Examples
--------
>>> from got10k.experiments import ExperimentOTB                          # doctest: +SKIP
>>> from meanshift.integrations.got10k import MeanShiftTracker           # doctest: +SKIP
>>> tracker = MeanShiftTracker("generalized")                            # doctest: +SKIP
>>> experiment = ExperimentOTB("data/OTB", version=2015)                 # doctest: +SKIP
>>> experiment.run(tracker)                                              # doctest: +SKIP
>>> experiment.report([tracker.name])                                    # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

INSTALL_HINT = "pip install '.[got10k]' (from the meanshift checkout)"

try:
    from got10k.trackers import Tracker as _Got10kTracker
except ImportError as exc:  # the extra is missing: say how to install it
    raise ImportError(f"meanshift.integrations.got10k needs the GOT-10k toolkit (got10k): {INSTALL_HINT}") from exc

__all__ = ["INSTALL_HINT", "MeanShiftTracker", "to_bgr"]


def to_bgr(image: Any) -> np.ndarray:
    """A got10k frame as the BGR ``uint8`` array meanshift's trackers take.

    Parameters
    ----------
    image : PIL.Image.Image or ndarray
        What ``got10k.trackers.Tracker.track`` passes: a PIL image (converted to RGB first when it
        is in another mode, as got10k does), or an ``(H, W, 3)`` RGB array.

    Returns
    -------
    ndarray, shape (H, W, 3), uint8, C-contiguous
        The channels reversed to BGR.

    Raises
    ------
    ValueError
        For an array that is not ``(H, W, 3)``.

    Examples
    --------
    >>> from PIL import Image
    >>> rgb = Image.new("RGB", (4, 2), (255, 128, 0))
    >>> to_bgr(rgb)[0, 0].tolist()
    [0, 128, 255]
    """
    if hasattr(image, "convert") and hasattr(image, "mode"):  # a PIL image
        if image.mode != "RGB":
            image = image.convert("RGB")
        rgb = np.asarray(image)
    else:
        rgb = np.asarray(image)
        if rgb.ndim != 3 or rgb.shape[2] != 3:
            raise ValueError(f"expected an RGB image of shape (H, W, 3), got shape {rgb.shape}")
    return np.ascontiguousarray(rgb[..., ::-1], dtype=np.uint8)


class MeanShiftTracker(_Got10kTracker):
    """A meanshift preset as a ``got10k.trackers.Tracker``.

    Parameters
    ----------
    preset : str
        A name of ``meanshift.PRESETS`` (``"generalized"``, ``"camshift"``, ``"comaniciu-meer"``).
    name : str, optional
        The name got10k files the results under (default ``"meanshift-<preset>"``, the name
        ``meanshift eval`` uses).
    **overrides
        Passed on to :func:`meanshift.create_tracker` (e.g. ``similarity="kl"``, ``bins=8``).

    Attributes
    ----------
    preset : str
    tracker : meanshift.Tracker or None
        The tracker of the sequence in progress (a fresh one at every ``init``).
    last_result : meanshift.TrackResult or None
        What the last ``update`` returned (``ok``, ``confidence``, ``rotated``, ...).

    Raises
    ------
    ValueError
        For an unknown preset or override.

    Examples
    --------
    got10k's own tracking loop on a list of image files:

    >>> tracker = MeanShiftTracker("generalized")                        # doctest: +SKIP
    >>> boxes, times = tracker.track(img_files, first_box)               # doctest: +SKIP
    >>> boxes.shape                                                      # doctest: +SKIP
    (120, 4)
    """

    def __init__(self, preset: str = "generalized", name: str | None = None, **overrides: Any) -> None:
        import meanshift

        meanshift.create_tracker(preset, **overrides)  # fail now, not in the middle of an experiment
        # meanshift's trackers draw no random numbers: got10k then runs each sequence once.
        super().__init__(name=name or f"meanshift-{preset}", is_deterministic=True)
        self.preset = preset
        self.overrides = dict(overrides)
        self.tracker: Any = None
        self.last_result: Any = None

    def init(self, image: Any, box: Sequence[float]) -> None:
        """Start a fresh tracker on the first frame of a sequence.

        Parameters
        ----------
        image : PIL.Image.Image or ndarray
            The first frame, RGB (as ``Tracker.track`` hands it).
        box : sequence of 4 floats
            The target's ``(x, y, w, h)`` in that frame.

        Examples
        --------
        >>> tracker = MeanShiftTracker("camshift")                       # doctest: +SKIP
        >>> tracker.init(Image.open("0001.jpg").convert("RGB"), [198, 214, 34, 81])  # doctest: +SKIP
        """
        import meanshift

        self.tracker = meanshift.create_tracker(self.preset, **self.overrides)
        self.last_result = None
        x, y, w, h = (float(v) for v in box)
        self.tracker.init(to_bgr(image), (x, y, w, h))

    def update(self, image: Any) -> np.ndarray:
        """Track the target into the next frame.

        Parameters
        ----------
        image : PIL.Image.Image or ndarray
            The next frame, RGB.

        Returns
        -------
        ndarray, shape (4,), float64
            The box ``(x, y, w, h)``, as got10k records it.

        Raises
        ------
        RuntimeError
            Before any ``init``.

        Examples
        --------
        >>> tracker.update(Image.open("0002.jpg").convert("RGB"))        # doctest: +SKIP
        array([199.1, 213.6,  34. ,  81. ])
        """
        if self.tracker is None:
            raise RuntimeError("update() before init(): got10k calls init on the first frame of a sequence")
        self.last_result = self.tracker.update(to_bgr(image))
        return np.asarray(self.last_result.box, dtype=np.float64)
