"""The project's one Numba decorator, so that compilation policy lives in one place.

* ``nopython`` always: a kernel that falls back to object mode would be silently slow.
* ``cache`` is on by default so that a second start of a program does not compile again;
  set ``MEANSHIFT_NUMBA_CACHE=0`` to turn it off (read-only installs, or a stale-cache problem).
* ``fastmath`` without ``nnan``/``ninf``: empty bins give 0/0 and the kernels test for it, which
  those two flags would allow LLVM to optimise away.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import numba

__all__ = ["jit", "cache_is_warm", "CACHE_ENABLED", "FASTMATH_FLAGS"]

CACHE_ENABLED: bool = os.environ.get("MEANSHIFT_NUMBA_CACHE", "1").strip().lower() not in {"0", "false", "no", "off"}
FASTMATH_FLAGS: frozenset[str] = frozenset({"nsz", "arcp", "contract", "afn", "reassoc"})


def jit(func: Callable[..., Any] | None = None, *, fastmath: bool = True, **options: Any) -> Any:
    """Compile ``func`` with the project's Numba policy (``@jit`` or ``@jit(fastmath=False)``).

    ``fastmath=False`` is for kernels whose results must match OpenCV's to the last bit
    (re-association changes floating-point rounding, and a rounding tie then goes the other way).
    """
    settings: dict[str, Any] = {
        "nopython": True,
        "nogil": True,
        "cache": CACHE_ENABLED,
        "fastmath": set(FASTMATH_FLAGS) if fastmath else False,
    }
    settings.update(options)
    decorator = numba.jit(**settings)
    return decorator(func) if func is not None else decorator


def cache_is_warm(function: Any) -> bool | None:
    """Whether ``function`` (a dispatcher made by :func:`jit`) has compiled code in Numba's on-disk cache.

    An index left by an older source (an upgrade in place) holds nothing usable and counts as cold. None
    when that cannot be told (caching off, or a Numba whose private cache layout differs): callers use it
    only to warn that the first run compiles and to decide whether a second process should help.
    """
    try:
        return bool(function._cache._cache_file._load_index())
    except AttributeError:
        return None
    except Exception:  # an unreadable index: Numba compiles again
        return False
