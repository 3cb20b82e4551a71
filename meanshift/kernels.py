"""Kernel profiles: ``k`` weights pixels in the histograms, ``g = -k'`` weights them in the mean shift.

A window of half-sizes ``(hw, hh)`` centred at ``(cx, cy)`` maps a pixel at ``(x, y)`` to normalised
coordinates ``u = (x - cx) / hw``, ``v = (y - cy) / hh``. Radial kernels use ``r2 = u**2 + v**2`` and
vanish outside the unit ellipse; the flat kernel is the whole rectangle ``|u| <= 1, |v| <= 1``, as the
search window of ``cv2.meanShift`` / ``cv2.CamShift`` is.

Examples
--------
>>> import numpy as np
>>> from meanshift.kernels import get_kernel
>>> k = get_kernel("epanechnikov")
>>> k.profile(np.array([0.0, 0.5, 1.0, 2.0]))
array([1. , 0.5, 0. , 0. ])
>>> k.derivative(np.array([0.0, 0.5, 2.0]))
array([1., 1., 0.])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Kernel", "FLAT", "EPANECHNIKOV", "GAUSSIAN", "BIWEIGHT", "get_kernel", "kernels"]

# sigma of the truncated Gaussian in normalised units: at the window's edge k = exp(-2) ~ 0.14.
GAUSSIAN_SIGMA = 0.5


@dataclass(frozen=True)
class Kernel:
    """A kernel given by its profile ``k(r2)`` and derivative profile ``g(r2) = -k'(r2)`` (up to scale).

    Attributes
    ----------
    name : str
    code : int
        Identifier passed to the Numba kernels (``meanshift._kernels``).
    rectangular : bool
        True when the support is the whole rectangle (flat kernel) rather than the inscribed ellipse.
    """

    name: str
    code: int
    rectangular: bool = False

    def profile(self, r2: np.ndarray) -> np.ndarray:
        """``k(r2)``: histogram weight of a pixel at squared normalised distance ``r2``."""
        r2 = np.asarray(r2, dtype=np.float64)
        inside = r2 <= 1.0
        if self.code == FLAT.code:
            return inside.astype(np.float64)
        if self.code == EPANECHNIKOV.code:
            return np.where(inside, 1.0 - r2, 0.0)
        if self.code == GAUSSIAN.code:
            return np.where(inside, np.exp(-r2 / (2 * GAUSSIAN_SIGMA**2)), 0.0)
        return np.where(inside, (1.0 - r2) ** 2, 0.0)

    def derivative(self, r2: np.ndarray) -> np.ndarray:
        """``g(r2) = -k'(r2)`` up to a constant factor (which the mean shift divides out)."""
        r2 = np.asarray(r2, dtype=np.float64)
        inside = r2 <= 1.0
        if self.code in (FLAT.code, EPANECHNIKOV.code):
            return inside.astype(np.float64)
        if self.code == GAUSSIAN.code:
            return np.where(inside, np.exp(-r2 / (2 * GAUSSIAN_SIGMA**2)), 0.0)
        return np.where(inside, 1.0 - r2, 0.0)

    def support_r2(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """The ``r2`` to feed ``profile``/``derivative``; the flat kernel uses the rectangle (max norm)."""
        u = np.asarray(u, dtype=np.float64)
        v = np.asarray(v, dtype=np.float64)
        if self.rectangular:
            return np.maximum(u * u, v * v)
        return u * u + v * v


FLAT = Kernel("flat", 0, rectangular=True)
EPANECHNIKOV = Kernel("epanechnikov", 1)
GAUSSIAN = Kernel("gaussian", 2)
BIWEIGHT = Kernel("biweight", 3)

_KERNELS: dict[str, Kernel] = {k.name: k for k in (FLAT, EPANECHNIKOV, GAUSSIAN, BIWEIGHT)}
_ALIASES = {"uniform": "flat", "epan": "epanechnikov", "quartic": "biweight"}


def kernels() -> list[str]:
    """Names of the kernels ``get_kernel`` accepts."""
    return list(_KERNELS)


def get_kernel(kernel: str | Kernel) -> Kernel:
    """Look a kernel up by name (case-insensitive), or pass a :class:`Kernel` through.

    Raises
    ------
    ValueError
        For an unknown name; the message lists the known ones.
    """
    if isinstance(kernel, Kernel):
        return kernel
    key = str(kernel).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; choose one of {', '.join(_KERNELS)}")
    return _KERNELS[key]
