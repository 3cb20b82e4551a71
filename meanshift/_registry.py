"""One registry of part classes by name, shared by the scale rules, motion models and recovery parts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, Generic, TypeVar

__all__ = ["PartRegistry"]

PartT = TypeVar("PartT")


class PartRegistry(Generic[PartT]):
    """Part classes by their ``name``, and instances built from a name and parameters.

    Parameters
    ----------
    keyword : str
        The ``Tracker`` keyword the parts are chosen by (``"scale"``), for messages.
    label : str
        What one part is called (``"scale rule"``), for messages.
    base : type
        The parts' base class: an instance of it is passed through by :meth:`get`.
    load_builtins : callable, optional
        Imports modules that register built-ins of their own (called before every look-up).
    """

    def __init__(self, keyword: str, label: str, base: type[PartT],
                 load_builtins: Callable[[], None] | None = None) -> None:
        self.keyword, self.label, self.base = keyword, label, base
        self._classes: dict[str, type[PartT]] = {}
        self._load_builtins = load_builtins

    def register(self, part: type[PartT], *, replace: bool = False) -> type[PartT]:
        """Make ``part`` available by its ``name``; returns it, so it can be used as a decorator."""
        key = str(getattr(part, "name")).strip().lower()  # noqa: B009 (a class attribute of the subclass)
        if key in self._classes and not replace and self._classes[key] is not part:
            raise ValueError(f"a {self.label} named {key!r} already exists; pass replace=True to replace it")
        self._classes[key] = part
        return part

    def names(self) -> list[str]:
        """The registered names, built-ins first."""
        if self._load_builtins is not None:
            self._load_builtins()
        return list(self._classes)

    def get(self, part: str | PartT, choices: str | None = None, **params: Any) -> PartT:
        """The part named ``part`` built with ``params``, or an instance of the base passed through.

        ``choices`` words the list of accepted values in the error for an unknown name.
        """
        if isinstance(part, self.base):
            if params:
                raise ValueError(f"parameters {sorted(params)} given with a {self.base.__name__} object: "
                                 "set them on the object")
            return part
        key = str(part).strip().lower()
        names = self.names()
        if key not in self._classes:
            listed = choices or f"one of {', '.join(names)}"
            raise ValueError(f"{self.keyword} must be {listed} (or a {self.base.__name__}), got {part!r}")
        cls = self._classes[key]
        known = {f.name for f in fields(cls)}  # type: ignore[arg-type]  # parts are dataclasses
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"{self.label} {key!r} has no parameter {', '.join(unknown)}; "
                             f"it takes {', '.join(sorted(known)) or 'none'}")
        return cls(**params)
