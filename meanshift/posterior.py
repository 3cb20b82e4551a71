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

The :class:`PosteriorTracking` steps (:mod:`meanshift.posterior_tracking`) take the frame and the
current state explicitly and return the new state; :class:`~meanshift.scale.PosteriorScale`
(``scale="posterior"``) and :class:`~meanshift.recovery.PosteriorLoss` make them parts of the engine.
This module gathers those names in one place.
"""

from __future__ import annotations

from meanshift.posterior_model import PosteriorModel, PosteriorSettings
from meanshift.posterior_tracking import PosteriorStep, PosteriorTracking
from meanshift.recovery import PosteriorLoss
from meanshift.scale import PosteriorScale

__all__ = ["PosteriorSettings", "PosteriorModel", "PosteriorTracking", "PosteriorStep", "PosteriorScale",
           "PosteriorLoss"]
