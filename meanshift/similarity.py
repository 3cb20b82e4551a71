"""Similarity measures between a candidate histogram ``p`` and the target histogram ``q``.

A measure ``rho(p, q) = sum_u f(p_u, q_u)`` gives every pixel the weight ``w_u = df/dp(p_u, q_u)`` of
its bin ``u`` (DESIGN.md, "generalized mean shift"). A measure is therefore a small object with two
vectorised functions over the ``m`` bins: :meth:`Similarity.value` and :meth:`Similarity.weights`.

Built-ins (weights in Numba): ``backprojection`` (CAMSHIFT), ``bhattacharyya`` (Comaniciu/Meer),
``kl`` (ratio q/p), ``intersection``, ``chi-square``, ``l2``, ``log-likelihood`` (Collins et al.,
needs a background histogram), ``background-ratio`` (ASMS) and ``posterior`` (pixel-wise posteriors
``P(obj | u)`` from an object and a surroundings histogram: the CAMSHIFT form ``rho(p) = sum_u p_u pi_u``
whose weight table *is* the posterior; the recommended tracker's measure).

Every measure drives every engine: the classic mean-shift search weighs the window's pixels with
:meth:`Similarity.weights`, and the recommended tracker's dense search sums the same table over
box-sized windows of its search region (:meth:`Similarity.model_weights`, against its learnt object
and surroundings model).

Add your own by subclassing, or in one call with NumPy functions:

>>> import numpy as np
>>> from meanshift.similarity import register_similarity, get_similarity
>>> hellinger_sq = register_similarity(
...     "sqrt-ratio-squared",
...     value=lambda p, q: float(np.sum(np.sqrt(p * q))) ** 2,
...     weights=lambda p, q: np.sqrt(np.divide(q, p, out=np.zeros_like(q), where=p > 0)),
...     replace=True,  # (so that this example may run twice)
... )
>>> get_similarity("sqrt-ratio-squared") is hellinger_sq
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np

from meanshift import _kernels

__all__ = [
    "Similarity",
    "ObjectModel",
    "PosteriorSimilarity",
    "FunctionSimilarity",
    "register_similarity",
    "get_similarity",
    "similarities",
]

#: Floor of the log-likelihood ratio's histograms (Collins et al. 2005 use a small delta).
LOG_LIKELIHOOD_DELTA = 1e-3
#: The posterior measure's surroundings-to-object area ratio when it is given histograms alone: a ring
#: twice the box's side around it (the recommended tracker's learning region) has three times its area.
SURROUNDINGS_RATIO = 3.0


class ObjectModel(Protocol):
    """What a measure needs of a learnt target model: object and surroundings histograms (normalised).

    :class:`meanshift.posterior_model.PosteriorModel` is one; :meth:`posterior_table` gives
    ``P(obj | u)`` with the counts scaled by the areas the two histograms were taken over.
    """

    obj: np.ndarray
    sur: np.ndarray

    def posterior_table(self, out: np.ndarray) -> np.ndarray: ...


class Similarity:
    """Base class of similarity measures.

    Subclasses set :attr:`name` and implement :meth:`value` and :meth:`weights`; both receive the
    normalised candidate ``p`` and target ``q`` (float64 arrays of ``m`` bins, each summing to 1 or all
    zero) and, when :attr:`needs_background` is True, the background histogram ``b`` as a keyword.

    Weights must be finite and non-negative; larger means "more like the target".
    """

    name: str = "similarity"
    needs_background: bool = False
    #: Built-in measures carry the code of their Numba weight table (``meanshift._kernels``), which lets
    #: the whole mean-shift iteration run in one Numba call; user-defined measures leave it None.
    numba_code: int | None = None
    #: Whether the weight table depends on the candidate ``p`` (False for a fixed back-projection table:
    #: ``backprojection``, ``log-likelihood``, ``posterior``), so that an engine may keep it between frames.
    depends_on_candidate: bool = True
    #: Whether the weights are probabilities of belonging to the object, so that their zeroth moment over
    #: the region a model was learnt on is an area in pixels (``posterior``); the others' is normalised by
    #: the weight an object pixel carries on average, ``sum_u q_u w_u``.
    zeroth_moment_is_area: bool = False

    def value(self, p: np.ndarray, q: np.ndarray, *, background: np.ndarray | None = None) -> float:
        """The similarity ``rho(p, q)``; larger is more similar."""
        raise NotImplementedError

    def weights(
        self, p: np.ndarray, q: np.ndarray, *, background: np.ndarray | None = None, out: np.ndarray | None = None
    ) -> np.ndarray:
        """The per-bin weight table ``w_u = df/dp(p_u, q_u)``, shape ``(m,)``."""
        raise NotImplementedError

    def model_weights(self, p: np.ndarray, model: ObjectModel, *, out: np.ndarray | None = None) -> np.ndarray:
        """The weight table against a learnt object / surroundings model: :meth:`weights` of ``p`` with the
        object histogram as ``q`` and the surroundings' as the background (the recommended tracker's search)."""
        return self.weights(p, model.obj, background=model.sur, out=out)

    def model_value(self, p: np.ndarray, model: ObjectModel, *, weights: np.ndarray | None = None) -> float:
        """``rho(p)`` against a learnt object / surroundings model (what ``TrackResult.score`` reports).

        ``weights``, when given, is :meth:`model_weights` against this model as it is now, which a measure
        whose value is the candidate's mean weight may reuse rather than compute again.
        """
        return self.value(p, model.obj, background=model.sur)

    def __repr__(self) -> str:
        return f"<similarity {self.name!r}>"


class _BuiltinSimilarity(Similarity):
    """A built-in measure: its weight table is the Numba kernel ``numba_code`` of ``meanshift._kernels``."""

    numba_code: int
    delta: float = 0.0

    def value(self, p, q, *, background=None):
        if self.needs_background and background is None:
            raise ValueError(f"the {self.name} similarity needs a background histogram")
        return float(_kernels.similarity_value(self.numba_code, p, q, q if background is None else background,
                                            self.delta))

    def weights(self, p, q, *, background=None, out=None):
        if self.needs_background and background is None:
            raise ValueError(f"the {self.name} similarity needs a background histogram")
        out = np.empty_like(q, dtype=np.float64) if out is None else out
        _kernels.similarity_weights(self.numba_code, p, q, q if background is None else background, self.delta, out)
        return out


class _Backprojection(_BuiltinSimilarity):
    """CAMSHIFT: ``f = p * q / max(q)``; weight ``q_u / max(q)``, the back-projection scaled to 0..1."""

    name = "backprojection"
    numba_code = _kernels.WEIGHTS_BACKPROJECTION
    depends_on_candidate = False


class _Bhattacharyya(_BuiltinSimilarity):
    """Comaniciu/Meer: ``rho = sum sqrt(p q)``; weight ``sqrt(q_u / p_u)``."""

    name = "bhattacharyya"
    numba_code = _kernels.WEIGHTS_BHATTACHARYYA


class _KullbackLeibler(_BuiltinSimilarity):
    """``f = q log p``; reported value ``-KL(q || p)`` (0 at a perfect match); weight ``q_u / p_u``."""

    name = "kl"
    numba_code = _kernels.WEIGHTS_RATIO


class _Intersection(_BuiltinSimilarity):
    """Histogram intersection ``sum min(p, q)``; weight 1 where ``p_u <= q_u`` (and ``q_u > 0``), else 0."""

    name = "intersection"
    numba_code = _kernels.WEIGHTS_INTERSECTION


class _ChiSquare(_BuiltinSimilarity):
    """``f = -(p - q)^2 / (p + q)``; weight ``(q - p)(p + 3q) / (p + q)^2`` clipped at 0."""

    name = "chi-square"
    numba_code = _kernels.WEIGHTS_CHI_SQUARE


class _L2(_BuiltinSimilarity):
    """``f = -(p - q)^2``; weight ``2 (q - p)`` clipped at 0."""

    name = "l2"
    numba_code = _kernels.WEIGHTS_L2


class _LogLikelihood(_BuiltinSimilarity):
    """Collins et al. 2005: weight ``max(log(max(q, d) / max(b, d)), 0)`` against background ``b``.

    The value is the weight's expectation under the candidate, ``sum p_u w_u``.
    """

    name = "log-likelihood"
    numba_code = _kernels.WEIGHTS_LOG_LIKELIHOOD
    needs_background = True
    depends_on_candidate = False

    def __init__(self, delta: float = LOG_LIKELIHOOD_DELTA) -> None:
        self.delta = float(delta)


class _BackgroundRatio(_BuiltinSimilarity):
    """Background ratio (Vojir et al. 2014, ASMS): ``f = log rho(p, q) - log rho(p, b)``, ``b`` the background.

    Weight ``sqrt(q_u / p_u) / rho(p, q) - sqrt(b_u / p_u) / rho(p, b)``, clipped at 0: pixels count
    for how much more they look like the target than like its surroundings.
    """

    name = "background-ratio"
    numba_code = _kernels.WEIGHTS_BACKGROUND_RATIO
    needs_background = True


class PosteriorSimilarity(_BuiltinSimilarity):
    """Pixel-wise posteriors: ``rho(p) = sum_u p_u pi_u`` with ``pi_u = P(obj | u)``; weight ``pi_u``.

    The CAMSHIFT case of the framework (Bibby & Reid 2008; DAT, Possegger et al. 2015): the weight table
    is the probability that a pixel of bin ``u`` belongs to the object, from the object histogram ``q``
    and the surroundings' ``b`` with the counts scaled by the areas they were taken over,
    ``pi_u = A_o q_u / (A_o q_u + A_s b_u)``. Summed over the region the model was learnt on, the weights
    give the object's area in pixels, so their zeroth moment needs no normalisation.

    Given histograms alone (:meth:`weights`, the classic engine) the areas are unknown and taken in the
    ratio ``A_s / A_o = surroundings_ratio``; against a learnt model (:meth:`model_weights`, the
    recommended tracker) the model's own areas are used.
    """

    name = "posterior"
    numba_code = _kernels.WEIGHTS_POSTERIOR
    needs_background = True
    depends_on_candidate = False
    zeroth_moment_is_area = True

    def __init__(self, surroundings_ratio: float = SURROUNDINGS_RATIO) -> None:
        if not surroundings_ratio > 0:
            raise ValueError(f"surroundings_ratio must be positive, got {surroundings_ratio!r}")
        self.delta = float(surroundings_ratio)

    def model_weights(self, p, model, *, out=None):
        out = np.empty_like(model.obj, dtype=np.float64) if out is None else out
        return model.posterior_table(out)

    def model_value(self, p, model, *, weights=None):
        table = model.posterior_table(np.empty_like(model.obj, dtype=np.float64)) if weights is None else weights
        return float(np.dot(p, table))


class FunctionSimilarity(Similarity):
    """A similarity measure made of two NumPy functions ``value(p, q)`` and ``weights(p, q)``.

    With ``needs_background=True`` both functions are called as ``f(p, q, b)``.
    """

    def __init__(
        self,
        name: str,
        value: Callable[..., float],
        weights: Callable[..., np.ndarray],
        *,
        needs_background: bool = False,
    ) -> None:
        self.name = name
        self._value = value
        self._weights = weights
        self.needs_background = needs_background

    def _args(self, p, q, background):
        if self.needs_background:
            if background is None:
                raise ValueError(f"similarity {self.name!r} needs a background histogram")
            return (p, q, background)
        return (p, q)

    def value(self, p, q, *, background=None):
        return float(self._value(*self._args(p, q, background)))

    def weights(self, p, q, *, background=None, out=None):
        w = np.asarray(self._weights(*self._args(p, q, background)), dtype=np.float64)
        if w.shape != q.shape:
            raise ValueError(f"similarity {self.name!r}: weights returned shape {w.shape}, expected {q.shape}")
        if not np.all(np.isfinite(w)):
            raise ValueError(f"similarity {self.name!r}: weights must be finite (got NaN or inf)")
        w = np.maximum(w, 0.0)
        if out is not None:
            out[:] = w
            return out
        return w


_REGISTRY: dict[str, Similarity] = {}
_ALIASES = {"bhattacharya": "bhattacharyya", "correlation": "backprojection", "camshift": "backprojection",
            "ratio": "kl", "kullback-leibler": "kl", "chi2": "chi-square", "chisquare": "chi-square",
            "llr": "log-likelihood", "log-likelihood-ratio": "log-likelihood", "asms": "background-ratio",
            "brw": "background-ratio",
            "pixel-posterior": "posterior", "pwp": "posterior"}


def register_similarity(
    name_or_measure: str | Similarity,
    *,
    value: Callable[..., float] | None = None,
    weights: Callable[..., np.ndarray] | None = None,
    needs_background: bool = False,
    replace: bool = False,
) -> Similarity:
    """Make a measure available by name to :func:`get_similarity` and ``Tracker(similarity=...)``.

    Parameters
    ----------
    name_or_measure : str or Similarity
        A :class:`Similarity` instance, or a name together with ``value`` and ``weights`` functions.
    value, weights : callable, optional
        NumPy functions of ``(p, q)`` (or ``(p, q, b)`` with ``needs_background``).
    replace : bool
        Allow replacing an existing name.

    Returns
    -------
    Similarity
        The registered measure.
    """
    if isinstance(name_or_measure, Similarity):
        measure = name_or_measure
    else:
        if value is None or weights is None:
            raise ValueError("register_similarity(name, ...) needs both value= and weights= functions")
        measure = FunctionSimilarity(str(name_or_measure), value, weights, needs_background=needs_background)
    key = measure.name.strip().lower()
    if not key:
        raise ValueError("a similarity measure needs a non-empty name")
    if key in _REGISTRY and not replace and _REGISTRY[key] is not measure:
        raise ValueError(f"a similarity named {key!r} already exists; pass replace=True to replace it")
    _REGISTRY[key] = measure
    return measure


def get_similarity(similarity: str | Similarity) -> Similarity:
    """Look a measure up by name (case-insensitive), or pass a :class:`Similarity` through."""
    if isinstance(similarity, Similarity):
        return similarity
    key = str(similarity).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _REGISTRY:
        raise ValueError(f"unknown similarity {similarity!r}; choose one of {', '.join(_REGISTRY)}")
    return _REGISTRY[key]


def similarities() -> list[str]:
    """Names of the registered similarity measures (built-ins first)."""
    return list(_REGISTRY)


for _measure in (_Backprojection(), _Bhattacharyya(), _KullbackLeibler(), _Intersection(), _ChiSquare(), _L2(),
                 _LogLikelihood(), _BackgroundRatio(), PosteriorSimilarity()):
    register_similarity(_measure)
