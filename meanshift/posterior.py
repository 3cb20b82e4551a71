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
refined by mean shift on the weight map; the zeroth moment sizes the box (bounded, checked, and
smoothed and pulled toward the first size as far as the colours separated the target poorly at init:
crisp posteriors size it alone); the models learn at a rate on confident frames only. ``TrackResult.score`` is the
measure's value of the box's histogram against the model.

The :class:`PosteriorTracking` steps (:mod:`meanshift.posterior_tracking`) take the frame and the
current state explicitly and return the new state; :class:`~meanshift.posterior_scale.PosteriorScale`
(``scale="posterior"``) and :class:`~meanshift.recovery.PosteriorLoss` make them parts of the engine.
This module gathers those names in one place.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from meanshift.posterior_model import ModelLearning, PosteriorModel, WindowSearch, ZerothMomentSize
from meanshift.posterior_scale import PosteriorScale
from meanshift.posterior_tracking import PosteriorStep, PosteriorTracking
from meanshift.recovery import PosteriorLoss

__all__ = ["posterior_options", "WindowSearch", "ZerothMomentSize", "ModelLearning", "PosteriorModel",
           "PosteriorTracking", "PosteriorStep", "PosteriorScale", "PosteriorLoss"]

#: Options of the recommended engine by name, and the ``Tracker`` keyword of the stage or part that owns each.
_OWNERS: dict[str, str] = {
    **{f.name: "window_search" for f in fields(WindowSearch)},
    **{f.name: "size" for f in fields(ZerothMomentSize)},
    **{f.name: "learning" for f in fields(ModelLearning)},
    "hold_when_lost": "hold_when_lost", "level_decay": "level_decay",
}


def posterior_options(**options: Any) -> dict[str, Any]:
    """``Tracker`` keywords for options of the recommended engine given by name, each sent to its stage.

    Parameters
    ----------
    **options
        Fields of :class:`WindowSearch`, :class:`ZerothMomentSize` or :class:`ModelLearning`, or the
        loss verdict's ``hold_when_lost`` and ``level_decay`` (:class:`PosteriorLoss`).

    Returns
    -------
    dict
        ``window_search=``, ``size=``, ``learning=`` objects (defaults but for the options given) and the
        loss keywords, for :func:`meanshift.generalized` or ``Tracker``.

    Raises
    ------
    ValueError
        For an option no stage has (the message lists them).

    Examples
    --------
    >>> import meanshift
    >>> kw = posterior_options(max_step=0.1, learning_rate=0.02)
    >>> kw["size"].max_step, kw["learning"].learning_rate, kw["window_search"] == WindowSearch()
    (0.1, 0.02, True)
    >>> meanshift.generalized(**posterior_options(rule="fixed")).scale_rule.size.rule
    'fixed'
    """
    unknown = sorted(set(options) - set(_OWNERS))
    if unknown:
        raise ValueError(f"no stage of the recommended engine has {', '.join(unknown)}; the options are "
                         f"{', '.join(sorted(_OWNERS))}")
    stages: dict[str, dict[str, Any]] = {"window_search": {}, "size": {}, "learning": {}}
    keywords: dict[str, Any] = {}
    for name, value in options.items():
        owner = _OWNERS[name]
        if owner in stages:
            stages[owner][name] = value
        else:
            keywords[owner] = value
    return {"window_search": WindowSearch(**stages["window_search"]), "size": ZerothMomentSize(**stages["size"]),
            "learning": ModelLearning(**stages["learning"]), **keywords}
