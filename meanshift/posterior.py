"""The recommended tracker's engine (``scale="posterior"``): a learnt object/surroundings model, any measure.

The model is an object histogram ``q`` taken over the box (area ``A_o``) and a histogram ``b`` of the
surroundings (the ring between the box and the box ``surround`` times as large, area ``A_s``). The
tracker's similarity measure turns it into a weight per bin (:meth:`~meanshift.similarity.Similarity.model_weights`).
With the default measure, ``posterior``, each pixel's weight is the probability that it belongs to
the object (Bibby & Reid 2008; DAT, Possegger et al. 2015)::

    P(obj | u) = A_o q_u / (A_o q_u + A_s b_u)

the CAMSHIFT case of the framework (``rho(p) = sum_u p_u P(obj | u)``, whose weight table is the
posterior). Over the learning region the posteriors sum to the object's area exactly (sum_u (A_o q_u
+ A_s b_u) P(obj | u) = A_o), so the **zeroth moment of the weights is the expected object area in
pixels** with no normalisation to guess. Any other measure (Bhattacharyya, KL, intersection, ..., a
user's own) gives its weights ``w(p, q)`` linearised around the window at the predicted position,
divided by ``sum_u q_u w_u`` so that their zeroth moment reads as an area too.

One frame: the search region around the predicted position is quantised on a grid; the map of
weights is summed over box-sized windows, weighted by a Gaussian motion prior, and the best window is
refined by mean shift on the weight map; the zeroth moment sizes the box (bounded, smoothed,
checked); the models learn at a rate on confident frames only. ``TrackResult.score`` is the
measure's value of the box's histogram against the model.

The :class:`PosteriorTracking` steps take the frame and the current state explicitly and return the
new state; :class:`PosteriorScale` (``scale="posterior"``) and :class:`PosteriorLoss` make them parts
of the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from meanshift.posterior_model import PosteriorModel, PosteriorSettings
from meanshift.posterior_tracking import PosteriorStep, PosteriorTracking
from meanshift.recovery import LossDetector, Reacquisition, register_recovery
from meanshift.scale import ScaleRule, register_scale_rule
from meanshift.similarity import get_similarity

if TYPE_CHECKING:
    from meanshift.tracker import Tracker

#: The classic proposal's measure (``PosteriorSettings.proposal``): a second cue beside the dense search's,
#: Bhattacharyya weights of the background-weighted target model, whatever measure the tracker uses.
_PROPOSAL_MEASURE = get_similarity("bhattacharyya")

__all__ = ["PosteriorSettings", "PosteriorModel", "PosteriorTracking", "PosteriorStep", "PosteriorScale",
           "PosteriorLoss"]


@dataclass
class PosteriorScale(ScaleRule):
    """``scale="posterior"``: pixel-wise posteriors as weights, the window's size from their zeroth moment.

    The engine's part around :class:`PosteriorTracking`: each frame, :meth:`search` asks the classic
    mean-shift search for a proposal when the colours do not separate the target (see
    :attr:`PosteriorSettings.proposal`), then takes the posterior step (search region, motion prior,
    refinement, loss verdict, model learning); :meth:`resize` applies the zeroth-moment size on trusted
    frames. The rule brings its own loss detection (:class:`PosteriorLoss`, ``recovery=True`` / ``False``).

    Attributes
    ----------
    settings : PosteriorSettings
        The posterior part's options (also ``Tracker(posterior=...)``).
    """

    name: ClassVar[str] = "posterior"
    settings: PosteriorSettings = field(default_factory=PosteriorSettings)

    def reset(self, tracker: Tracker, frame: np.ndarray) -> None:
        recovery = tracker.recovery
        # The tracker's motion part predicts the start; the posterior part's own prediction stays off.
        self.part = PosteriorTracking(
            tracker.space, self.settings, min_size=self.guard.min_size, max_fraction=self.guard.max_fraction,
            loss_ratio=getattr(recovery, "loss_ratio", 0.4), reacquire_ratio=getattr(recovery, "reacquire_ratio", 0.8),
            motion=False, recovery=bool(getattr(recovery, "search", isinstance(recovery, Reacquisition))),
            similarity=tracker.similarity)
        self.part.init(frame, tracker.cx, tracker.cy, tracker.w, tracker.h)
        self.step = PosteriorStep(tracker.cx, tracker.cy, tracker.w, tracker.h, True, 1.0, 0)

    def search(self, tracker: Tracker, frame: np.ndarray) -> tuple[int, float]:
        cx, cy = tracker.cx, tracker.cy
        proposal = None
        if self.part.wants_proposal:  # the classic mean-shift search proposes a position too
            tracker.converge(frame, tracker.w, tracker.h, similarity=_PROPOSAL_MEASURE)
            proposal = (tracker.cx, tracker.cy)
        self.step = self.part.update(frame, cx, cy, tracker.w, tracker.h, tracker.exclude, proposal)
        tracker.cx, tracker.cy = self.step.cx, self.step.cy
        histogram = self.step.histogram
        if histogram is not None and histogram.shape == tracker.hist.shape:  # not in the texture bins
            tracker.hist[:] = histogram
        return self.step.iterations, 1.0

    def reads_region(self, tracker: Tracker) -> bool:
        # The posterior step samples its own search region; only the classic proposal reads the tracker's.
        return self.part.wants_proposal

    def match(self, tracker: Tracker) -> float:
        return self.step.confidence

    def score(self, tracker: Tracker) -> float | None:
        return self.step.score

    def resize(self, tracker: Tracker, frame: np.ndarray) -> None:
        tracker.w, tracker.h = self.step.w, self.step.h
        tracker.length, tracker.breadth = self.step.w, self.step.h

    def recovery_for(self, enabled: bool) -> PosteriorLoss:
        return PosteriorLoss(search=enabled)


@dataclass
class PosteriorLoss(LossDetector):
    """The loss verdict of :class:`PosteriorScale` (``recovery="posterior"``).

    Lost when the match with the object model falls below ``loss_ratio`` times its recent level, or the
    box's mean posterior below ``loss_ratio`` times the one at init; found again at ``reacquire_ratio``
    times the level. With ``search``, a lost target is looked for in a search region and under a motion
    prior that widen each lost frame.
    """

    name: ClassVar[str] = "posterior"
    reads_region: ClassVar[bool] = False
    loss_ratio: float = 0.4
    reacquire_ratio: float = 0.8
    search: bool = True

    def assess(self, tracker: Tracker, frame: np.ndarray, confidence: float, mass: float,
               size_before: tuple[float, float, float, float]) -> tuple[bool, float, float, int]:
        rule = tracker.scale_rule
        if not isinstance(rule, PosteriorScale):
            raise ValueError("recovery='posterior' judges the posterior scale rule's match: use scale='posterior'")
        return rule.step.ok, confidence, mass, 0


register_scale_rule(PosteriorScale)
register_recovery(PosteriorLoss)
