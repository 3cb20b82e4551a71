"""``scale="posterior"``: the recommended tracker's engine as a scale rule (:class:`PosteriorScale`).

The per-frame steps are :class:`~meanshift.posterior_tracking.PosteriorTracking`'s; this part puts them
into the engine and carries the stages' settings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from meanshift.posterior_model import ModelLearning, WindowSearch, ZerothMomentSize
from meanshift.posterior_tracking import PosteriorStep, PosteriorTracking
from meanshift.recovery import PosteriorLoss
from meanshift.scale_rule import ScaleRule
from meanshift.similarity import get_similarity

if TYPE_CHECKING:
    from meanshift.state import TargetState

__all__ = ["PosteriorScale"]

#: The classic proposal's measure (``WindowSearch.proposal``): a second cue beside the dense search's,
#: Bhattacharyya weights of the background-weighted target model, whatever measure the tracker uses.
_PROPOSAL_MEASURE = get_similarity("bhattacharyya")


@dataclass
class PosteriorScale(ScaleRule):
    """``scale="posterior"``: pixel-wise posteriors as weights, the window's size from their zeroth moment.

    The engine's part around :class:`PosteriorTracking`: each frame, :meth:`search` asks the classic
    mean-shift search for a proposal when the colours do not separate the target (see
    :attr:`WindowSearch.proposal`), then takes the posterior step (search region, motion prior,
    refinement, loss verdict, model learning); :meth:`resize` applies the zeroth-moment size on trusted
    frames. The rule brings its own loss detection (:class:`~meanshift.recovery.PosteriorLoss`, ``recovery=True`` /
    ``False``), whose ratios it reads from the state (:class:`~meanshift.state.LossPolicy`).

    Attributes
    ----------
    window_search : WindowSearch
        The search stage (also ``Tracker(window_search=...)``).
    size : ZerothMomentSize
        The size stage (also ``Tracker(size=...)``).
    learning : ModelLearning
        The model stage: its bins, and which frames teach it (also ``Tracker(learning=...)``).
    """

    name: ClassVar[str] = "posterior"
    window_search: WindowSearch = field(default_factory=WindowSearch)
    size: ZerothMomentSize = field(default_factory=ZerothMomentSize)
    learning: ModelLearning = field(default_factory=ModelLearning)

    def reset(self, state: TargetState, frame: np.ndarray) -> None:
        policy = state.loss_policy  # stated by the recovery part
        # The tracker's motion part predicts the start; the posterior part's own prediction stays off.
        self.part = PosteriorTracking(state.space, self.window_search, self.size, self.learning, policy=policy,
                                      min_size=self.guard.min_size, max_fraction=self.guard.max_fraction,
                                      similarity=state.similarity)
        self.part.init(frame, state.cx, state.cy, state.w, state.h)
        self.step = PosteriorStep(state.cx, state.cy, state.w, state.h, True, 1.0, 0)

    def search(self, state: TargetState, frame: np.ndarray) -> tuple[int, float]:
        cx, cy = state.cx, state.cy
        proposal = None
        if self.part.wants_proposal:  # the classic mean-shift search proposes a position too
            state.converge(frame, state.w, state.h, similarity=_PROPOSAL_MEASURE)
            proposal = (state.cx, state.cy)
        self.step = self.part.update(frame, cx, cy, state.w, state.h, state.exclude, proposal)
        state.cx, state.cy = self.step.cx, self.step.cy
        state.search_ok = self.step.ok
        histogram = self.step.histogram
        if histogram is not None and histogram.shape == state.hist.shape:  # not in the texture bins
            state.hist[:] = histogram
        return self.step.iterations, 1.0

    def reads_region(self, state: TargetState) -> bool:
        # The posterior step samples its own search region; only the classic proposal reads the tracker's.
        return self.part.wants_proposal

    def match(self, state: TargetState) -> float:
        return self.step.confidence

    def score(self, state: TargetState) -> float | None:
        return self.step.score

    def resize(self, state: TargetState, frame: np.ndarray) -> None:
        state.w, state.h = self.step.w, self.step.h
        state.length, state.breadth = self.step.w, self.step.h

    def recovery_for(self, enabled: bool) -> str | PosteriorLoss:
        # By name when enabled, so that Tracker's recovery keywords (loss_ratio=, hold_when_lost=, ...) reach it.
        return "posterior" if enabled else PosteriorLoss(search=False)
