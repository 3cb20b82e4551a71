"""Tracker names for an evaluation: ``meanshift-<preset>``, OpenCV's baselines, groups; building them by name."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import numpy as np

from meanshift.evaluation.baselines import DEFAULT_BASELINES, EXTRA_BASELINES, available_baselines, create_baseline

__all__ = ["OURS_PREFIX", "GROUPS", "EvaluatedTracker", "TrackerFactory", "our_tracker_names", "tracker_names",
           "resolve_trackers", "make_tracker"]

OURS_PREFIX = "meanshift-"
GROUPS = ("default", "ours", "opencv", "all")


class EvaluatedTracker(Protocol):
    """What an evaluation runs: ``init(frame, box)``, then ``update(frame)``, whose result has ``.box`` and ``.ok``."""

    def init(self, frame: np.ndarray, box: Any, /) -> object: ...

    def update(self, frame: np.ndarray, /) -> Any: ...


TrackerFactory = Callable[[], EvaluatedTracker]


def our_tracker_names() -> tuple[str, ...]:
    """``meanshift-<preset>`` for every preset of the installed engine, in ``meanshift.PRESETS`` order."""
    import meanshift

    return tuple(OURS_PREFIX + p for p in meanshift.PRESETS)


def tracker_names(include_extras: bool = True) -> tuple[str, ...]:
    """Every tracker name ``evaluate`` knows (available in this OpenCV or not)."""
    extra = EXTRA_BASELINES if include_extras else ()
    return our_tracker_names() + DEFAULT_BASELINES + extra


def _canonical(name: str) -> str:
    import meanshift

    name = name.strip()
    if name in meanshift.PRESETS:
        return OURS_PREFIX + name
    return name


def resolve_trackers(spec: str | Iterable[str] | None = None, *, warn=None) -> list[str]:
    """Turn a user's selection into the list of tracker names to run, dropping unavailable ones.

    Parameters
    ----------
    spec : str or iterable of str, optional
        Names and groups (``default``, ``ours``, ``opencv``, ``all``), as a list or one
        comma-separated string. ``None`` means ``default``.
    warn : callable, optional
        Called with a message for each tracker skipped because the installed OpenCV lacks it
        (default: :func:`warnings.warn`).

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    warn = warn or (lambda msg: warnings.warn(msg, stacklevel=3))
    if spec is None:
        items = ["default"]
    elif isinstance(spec, str):
        items = [s for s in spec.split(",") if s.strip()]
    else:
        items = [s for part in spec for s in str(part).split(",") if s.strip()]
    ours = list(our_tracker_names())
    known = set(tracker_names())
    wanted: list[str] = []
    for raw in items:
        item = raw.strip()
        if item == "default":
            names = ours + list(DEFAULT_BASELINES)
        elif item == "ours":
            names = ours
        elif item == "opencv":
            names = list(DEFAULT_BASELINES)
        elif item == "all":
            names = ours + list(DEFAULT_BASELINES + EXTRA_BASELINES)
        else:
            name = _canonical(item)
            if name not in known:
                raise ValueError(
                    f"unknown tracker {item!r}; known: {', '.join(tracker_names())} "
                    f"and the groups {', '.join(GROUPS)}"
                )
            names = [name]
        wanted.extend(n for n in names if n not in wanted)
    missing = available_baselines([n for n in wanted if not n.startswith(OURS_PREFIX)])
    for name, reason in missing.items():
        if reason is not None:
            warn(f"skipping {name}: {reason}")
    return [n for n in wanted if missing.get(n) is None]


def make_tracker(name: str):
    """Build a fresh tracker by its evaluation name (see :func:`tracker_names`)."""
    name = _canonical(name)
    if name.startswith(OURS_PREFIX):
        import meanshift

        return meanshift.create_tracker(name[len(OURS_PREFIX):])
    return create_baseline(name)
