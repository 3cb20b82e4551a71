"""The target model: the histogram ``q`` learnt at ``init``, and how the background reshapes it.

Examples
--------
>>> import numpy as np
>>> from meanshift.model import background_weighted
>>> q = np.array([0.5, 0.5, 0.0]); background = np.array([0.1, 0.9, 0.0])
>>> background_weighted(q, background).round(3)
array([0.9, 0.1, 0. ])
"""

from __future__ import annotations

import numpy as np

__all__ = ["background_weighted"]


def background_weighted(q: np.ndarray, background: np.ndarray) -> np.ndarray:
    """Corrected background-weighted histogram (CBWH, Ning et al. 2012).

    Bin ``u`` of the target model is scaled by ``min(o* / o_u, 1)``, ``o`` the background histogram
    (a ring around the box) and ``o*`` its smallest non-zero frequency, then renormalised: colours
    frequent around the target count less in it. ``q`` unchanged when the background is empty.
    """
    nonzero = background[background > 0]
    if nonzero.size == 0:
        return q
    v = np.minimum(np.divide(nonzero.min(), background, out=np.ones_like(background), where=background > 0), 1.0)
    weighted = q * v
    total = weighted.sum()
    return weighted / total if total > 0 else q
