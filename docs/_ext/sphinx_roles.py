"""Griffe extension: the docstrings' Sphinx roles (:func:`name`, :meth:`~Tracker.init`) shown as code.

The docstrings are read by both Sphinx-minded tools and mkdocstrings; a role that mkdocstrings does not
know would otherwise show up verbatim. ``~`` keeps only the last component, as in Sphinx.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

ROLE = re.compile(r":(?:py:)?(?:func|meth|class|attr|mod|data|exc|obj|const):`(~?)([^`]+)`")


def _code(match: re.Match) -> str:
    short, target = match.groups()
    return f"`{target.rsplit('.', 1)[-1] if short else target}`"


class SphinxRolesAsCode(griffe.Extension):
    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(_code, obj.docstring.value)
