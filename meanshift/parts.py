"""How ``Tracker(...)``'s keywords reach the parts that own them (scale rule, recovery).

Parameters used to be keywords of ``Tracker`` itself; they now live on the part objects
(:mod:`meanshift.scale`, :mod:`meanshift.recovery`). The old keywords keep working: each is passed to the
part named by ``scale=`` or ``recovery=``, under the part's own parameter name.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from meanshift.recovery import get_recovery
from meanshift.scale import get_scale_rule

__all__ = ["PART_KEYWORDS", "part_options_for"]

#: Keywords of ``Tracker(...)`` that configure a part, with the part and its parameter's name and the
#: value that means "not asked for" (ignored when the chosen part has no such parameter).
PART_KEYWORDS: dict[str, tuple[str, str, Any]] = {
    "scale_margin": ("scale", "margin", 0.25), "guard": ("scale", "guard", None),
    "rotation": ("scale", "rotation", False), "area_estimate": ("scale", "area_estimate", "model"),
    "box_fill": ("scale", "box_fill", 1.0), "adapt_aspect": ("scale", "adapt_aspect", True),
    "bandwidth_step": ("scale", "step", 0.1), "bandwidth_smoothing": ("scale", "smoothing", 0.1),
    "scale_check": ("scale", "scale_check", False), "min_confidence": ("recovery", "min_confidence", 0.1),
    "loss_ratio": ("recovery", "loss_ratio", 0.4), "reacquire_ratio": ("recovery", "reacquire_ratio", 0.8),
    "window_search": ("scale", "window_search", None), "size": ("scale", "size", None),
    "learning": ("scale", "learning", None),
    "hold_when_lost": ("recovery", "hold_when_lost", True), "level_decay": ("recovery", "level_decay", None),
}


def part_options_for(part: Any, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """The ``Tracker(...)`` keywords of ``options`` that configure the ``kind`` part named ``part``."""
    cls: type
    if not isinstance(part, (str, bool)):
        cls = type(part)
    elif kind == "scale":
        cls = type(get_scale_rule(str(part)))
    else:
        cls = type(get_recovery(part))
    has = {f.name for f in fields(cls)}
    chosen = {}
    for keyword, value in options.items():
        owner, name, unset = PART_KEYWORDS[keyword]
        if owner != kind:
            continue
        if name in has and not isinstance(part, (str, bool)):
            if value is not unset and value != unset:
                raise ValueError(f"{keyword}= given with a {kind} object: set {name} on the object instead")
        elif name in has:
            chosen[name] = value
        elif value is not unset and value != unset:
            raise ValueError(f"{keyword}={value!r} does not apply to the {kind} part {cls.name!r}: "
                             f"choose a {kind} part that has {name!r}")
    return chosen
