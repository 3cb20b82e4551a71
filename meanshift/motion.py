"""Motion models: where each frame's search starts. One part of the engine, replaceable.

=================== ===================================================================================
name                model
=================== ===================================================================================
none                the last position (mean shift alone follows the target)
constant-velocity   the last position plus the smoothed displacement of the trusted frames before it
=================== ===================================================================================

A model is asked to :meth:`~MotionModel.predict` the centre before the search and told what happened
after it (:meth:`~MotionModel.observe`). Fast or jerky targets need a prediction; a wrong one
overshoots (``constant-velocity`` measured worse on ``Jumping``: ``benchmarks/results``).

Examples
--------
>>> import meanshift
>>> meanshift.motion_models()[:2]  # the built-ins, then any you register
['none', 'constant-velocity']
>>> meanshift.Tracker(motion=meanshift.get_motion_model("constant-velocity", smoothing=0.7)).motion.smoothing
0.7
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from meanshift._registry import PartRegistry

if TYPE_CHECKING:
    import numpy as np

    from meanshift.state import TargetState

__all__ = ["MotionModel", "ConstantVelocity", "motion_models", "get_motion_model", "register_motion_model"]


@dataclass
class MotionModel:
    """The search starts where the target was (``none``); base of the motion models.

    Subclass it, override :meth:`predict` / :meth:`observe`, and register it with
    :func:`register_motion_model`; per-target state is set up in :meth:`reset`.
    """

    name: ClassVar[str] = "none"

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        """Set up per-target state at ``init``."""

    def predict(self, state: TargetState) -> None:
        """Move ``state.cx, state.cy`` to where this frame's search starts."""

    def observe(self, state: TargetState, moved: tuple[float, float], ok: bool) -> None:
        """After the frame: the centre moved by ``moved`` since the last frame; ``ok`` whether it is trusted."""


@dataclass
class ConstantVelocity(MotionModel):
    """The last position plus the smoothed displacement of the trusted frames before it.

    Attributes
    ----------
    smoothing : float
        Weight of the last displacement in the velocity's exponential average.
    decay : float
        Per untrusted frame the velocity is multiplied by this (a lost target does not fly off).
    """

    name: ClassVar[str] = "constant-velocity"
    smoothing: float = 0.5
    decay: float = 0.8

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        self.velocity = (0.0, 0.0)

    def predict(self, state: TargetState) -> None:
        height, width = state.frame_shape[:2]
        state.cx = min(max(state.cx + self.velocity[0], 0.0), width - 1.0)
        state.cy = min(max(state.cy + self.velocity[1], 0.0), height - 1.0)

    def observe(self, state: TargetState, moved: tuple[float, float], ok: bool) -> None:
        vx, vy = self.velocity
        if ok:
            g = self.smoothing
            self.velocity = ((1 - g) * vx + g * moved[0], (1 - g) * vy + g * moved[1])
        else:
            self.velocity = (self.decay * vx, self.decay * vy)


_REGISTRY: PartRegistry[MotionModel] = PartRegistry("motion", "motion model", MotionModel)


def register_motion_model(model: type[MotionModel], *, replace: bool = False) -> type[MotionModel]:
    """Make a :class:`MotionModel` subclass available by its ``name`` to ``Tracker(motion=...)``."""
    return _REGISTRY.register(model, replace=replace)


def motion_models() -> list[str]:
    """Names of the registered motion models (built-ins first)."""
    return _REGISTRY.names()


def get_motion_model(model: str | MotionModel, **params: Any) -> MotionModel:
    """A motion model by name with its parameters, or a :class:`MotionModel` instance passed through."""
    return _REGISTRY.get(model, **params)


for _model in (MotionModel, ConstantVelocity):
    register_motion_model(_model)
