"""Per-bin weights and values of the built-in similarity measures (one definition each, in Numba)."""

from __future__ import annotations

import math

import numpy as np

from meanshift._jit import jit

# Weight tables of the built-in similarity measures (meanshift.similarity) ------------------------

WEIGHTS_BACKPROJECTION = 0
WEIGHTS_BHATTACHARYYA = 1
WEIGHTS_RATIO = 2
WEIGHTS_INTERSECTION = 3
WEIGHTS_CHI_SQUARE = 4
WEIGHTS_L2 = 5
WEIGHTS_LOG_LIKELIHOOD = 6
WEIGHTS_BACKGROUND_RATIO = 7
WEIGHTS_POSTERIOR = 8


@jit(inline="always")
def bin_weight(code, p, q, b, delta, g1, g2):
    """Weight of one bin under built-in measure ``code`` (``WEIGHTS_*``): candidate ``p``, model ``q``,
    background ``b`` frequencies. ``g1, g2`` are the measure's sums over all bins (:func:`global_terms`):
    the model's largest bin for back-projection, ``rho(p, q)`` and ``rho(p, b)`` for background-ratio."""
    if code == WEIGHTS_BACKPROJECTION:
        return q / g1 if g1 > 0.0 else 0.0
    if code == WEIGHTS_BHATTACHARYYA:
        return math.sqrt(q / p) if p > 0.0 else 0.0
    if code == WEIGHTS_RATIO:
        return q / p if p > 0.0 else 0.0
    if code == WEIGHTS_INTERSECTION:
        return 1.0 if (p <= q and q > 0.0) else 0.0
    if code == WEIGHTS_CHI_SQUARE:
        # d/dp of -(p - q)^2 / (p + q) = (q - p)(p + 3q) / (p + q)^2, clipped at zero.
        s = p + q
        return max((q - p) * (p + 3.0 * q) / (s * s), 0.0) if s > 0.0 else 0.0
    if code == WEIGHTS_L2:
        return max(2.0 * (q - p), 0.0)
    if code == WEIGHTS_BACKGROUND_RATIO:
        # d/dp of log rho(p, q) - log rho(p, b), times 2 (Vojir et al. 2014), clipped at zero.
        if p <= 0.0 or g1 <= 0.0:
            return 0.0
        return max(math.sqrt(q / p) / g1 - (math.sqrt(b / p) / g2 if g2 > 0.0 else 0.0), 0.0)
    if code == WEIGHTS_POSTERIOR:
        # P(obj | u) = q / (q + r b), r = delta the surroundings' area over the object's (Bayes with the
        # counts scaled by the areas); a bin seen in neither gets the prior 1 / (1 + r).
        d = q + delta * b
        return q / d if d > 0.0 else 1.0 / (1.0 + delta)
    return max(math.log(max(q, delta) / max(b, delta)), 0.0)


@jit
def global_terms(code, p, q, background, active, n_active):
    """The sums :func:`bin_weight` needs for ``code`` over the bins ``active[:n_active]`` (all if ``n_active < 0``)."""
    g1 = 0.0
    g2 = 0.0
    if code == WEIGHTS_BACKPROJECTION:
        for i in range(q.shape[0]):
            g1 = max(g1, q[i])
    elif code == WEIGHTS_BACKGROUND_RATIO:
        n = q.shape[0] if n_active < 0 else n_active
        for j in range(n):
            i = j if n_active < 0 else active[j]
            g1 += math.sqrt(p[i] * q[i])
            g2 += math.sqrt(p[i] * background[i])
    return g1, g2


@jit
def bhattacharyya_coefficient(p, q):
    total = 0.0
    for i in range(q.shape[0]):
        v = p[i] * q[i]
        if v > 0.0:  # candidates are sparse: skip the square roots of the empty bins
            total += math.sqrt(v)
    return total


@jit
def similarity_value(code, p, q, background, delta):
    """``rho(p, q)`` of built-in measure ``code`` (``WEIGHTS_*``); the one definition the classes use."""
    m = q.shape[0]
    if code == WEIGHTS_BACKPROJECTION:
        qmax = 0.0
        dot = 0.0
        for i in range(m):
            qmax = max(qmax, q[i])
            dot += p[i] * q[i]
        return dot / qmax if qmax > 0.0 else 0.0
    if code == WEIGHTS_BHATTACHARYYA:
        return bhattacharyya_coefficient(p, q)
    total = 0.0
    if code == WEIGHTS_RATIO:  # -KL(q || p)
        for i in range(m):
            if q[i] > 0.0:
                total -= q[i] * math.log(q[i] / max(p[i], 1e-12))
    elif code == WEIGHTS_INTERSECTION:
        for i in range(m):
            total += min(p[i], q[i])
    elif code == WEIGHTS_CHI_SQUARE:
        for i in range(m):
            s = p[i] + q[i]
            if s > 0.0:
                total -= (p[i] - q[i]) * (p[i] - q[i]) / s
    elif code == WEIGHTS_L2:
        for i in range(m):
            total -= (p[i] - q[i]) * (p[i] - q[i])
    elif code == WEIGHTS_BACKGROUND_RATIO:
        rho_q = bhattacharyya_coefficient(p, q)
        rho_b = bhattacharyya_coefficient(p, background)
        if rho_q <= 0.0:
            return -np.inf
        return math.log(rho_q) - (math.log(rho_b) if rho_b > 0.0 else 0.0)
    else:  # log-likelihood and posterior: the weight's expectation under the candidate
        for i in range(m):
            if p[i] > 0.0:
                total += p[i] * bin_weight(code, p[i], q[i], background[i], delta, 0.0, 0.0)
    return total


@jit
def _listed_value(code, p, q, background, delta, listed, n):
    """:func:`similarity_value` summed over the bins ``listed[:n]`` where ``p`` can be non-zero, for the measures
    whose terms vanish with ``p``; the others over every bin."""
    if code == WEIGHTS_BHATTACHARYYA or code == WEIGHTS_BACKGROUND_RATIO:
        rho_q = 0.0
        rho_b = 0.0
        for j in range(n):
            u = listed[j]
            rho_q += math.sqrt(p[u] * q[u])
            rho_b += math.sqrt(p[u] * background[u])
        if code == WEIGHTS_BHATTACHARYYA:
            return rho_q
        if rho_q <= 0.0:
            return -np.inf
        return math.log(rho_q) - (math.log(rho_b) if rho_b > 0.0 else 0.0)
    if code == WEIGHTS_INTERSECTION or code == WEIGHTS_LOG_LIKELIHOOD:
        total = 0.0
        for j in range(n):
            u = listed[j]
            if code == WEIGHTS_INTERSECTION:
                total += min(p[u], q[u])
            elif p[u] > 0.0:
                total += p[u] * bin_weight(code, p[u], q[u], background[u], delta, 0.0, 0.0)
        return total
    return similarity_value(code, p, q, background, delta)


@jit
def contrast_scores(code, hists, masses, rings, ring_totals, q, background, delta, scores, book):
    """``scores[i] = rho(hists[i], q) - rho(rings[i] / ring_totals[i], q)`` (no ring term for an empty ring;
    ``-inf`` for an empty window): the ``contrast`` scale rule's judgement of each size, in one call, over
    the bins ``book`` lists (see :func:`window_and_ring_histograms`). ``rings`` are normalised in place."""
    _, _, listed, counts = book
    n = hists.shape[0]
    for i in range(n):
        if masses[i] <= 0.0:
            scores[i] = -np.inf
            continue
        scores[i] = _listed_value(code, hists[i], q, background, delta, listed[i], counts[i])
        if ring_totals[i] > 0.0:
            ring = rings[i]
            for j in range(counts[n + i]):
                ring[listed[n + i, j]] /= ring_totals[i]
            scores[i] -= _listed_value(code, ring, q, background, delta, listed[n + i], counts[n + i])


@jit
def similarity_weights(code, p, q, background, delta, out):
    """The weight table of built-in measure ``code`` (``WEIGHTS_*``), every bin (see :func:`bin_weight`)."""
    g1, g2 = global_terms(code, p, q, background, np.empty(0, np.int64), -1)
    for i in range(q.shape[0]):
        out[i] = bin_weight(code, p[i], q[i], background[i], delta, g1, g2)


