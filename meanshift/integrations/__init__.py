"""Adapters that run meanshift's trackers inside other projects' benchmark toolkits.

Each adapter lives in its own module and imports its toolkit only when that module is imported,
so ``import meanshift`` never needs them:

* :mod:`meanshift.integrations.vot` -- a TraX server for the VOT challenge's toolkit
  (``pip install '.[vot]'`` in the checkout; run as ``python -m meanshift.integrations.vot``).
* :mod:`meanshift.integrations.got10k` -- a ``got10k.trackers.Tracker`` for the GOT-10k toolkit's
  experiments (``pip install '.[got10k]'``).

See ``docs/integrations.md`` for the set-up of each.
"""
