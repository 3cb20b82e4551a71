"""Checks made before any work starts: no output may destroy an input or another output, and every
output location must be writable.

Paths are compared after resolving symlinks, so ``-o clip.mp4`` on ``clip.mp4``, a symlink to it, or
``./sub/../clip.mp4`` are all recognised. Writability is probed by creating (and removing) a file in
the nearest existing folder: ``os.access`` says yes to root even on a read-only mount.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

__all__ = ["OutputError", "check_output_paths", "check_writable_folder", "same_file", "is_inside"]


class OutputError(ValueError):
    """An output that would overwrite an input or another output, or cannot be written."""


def _resolved(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether two paths name the same file once symlinks and ``..`` are resolved (hard links too)."""
    if _resolved(a) == _resolved(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether ``path`` resolves to ``folder`` itself or to anything under it."""
    path, folder = _resolved(path), _resolved(folder)
    return path == folder or folder in path.parents


def _nearest_existing(path: Path) -> Path:
    """``path`` or its closest ancestor that exists."""
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def check_writable_folder(folder: str | os.PathLike[str], *, what: str | None = None) -> None:
    """Raise :class:`OutputError` unless files can be created in ``folder`` (created later if missing).

    The nearest existing ancestor is probed: it must be a folder, and a file must be creatable in it.
    """
    folder = Path(os.path.abspath(os.fspath(folder)))
    label = what or str(folder)
    probe = _nearest_existing(folder)
    if not probe.is_dir():
        raise OutputError(f"cannot write {label}: {probe} is a file, not a folder; choose another location")
    try:
        with tempfile.NamedTemporaryFile(dir=probe, prefix=".meanshift-write-test-"):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise OutputError(f"cannot write {label}: folder {probe} is not writable ({reason}); "
                          f"choose another location") from None


def check_output_paths(
    outputs: Mapping[str, str | os.PathLike[str] | None],
    inputs: Iterable[str | os.PathLike[str]],
    input_folders: Iterable[str | os.PathLike[str]] = (),
    *,
    need_parent: bool = True,
) -> None:
    """Refuse outputs that collide with inputs or with each other, or that cannot be written.

    Parameters
    ----------
    outputs : mapping
        Option name (for the message, e.g. ``"--output"``) -> output file path; ``None`` is skipped.
    inputs : iterable of paths
        Files that are read: the video, box files, a manifest.
    input_folders : iterable of paths
        Folders that are read as a whole (frame folders): no output may go anywhere inside them.
    need_parent : bool
        The output's folder must already exist (``track``'s rule; a batch creates its own folder).

    Raises
    ------
    OutputError
        Naming the output, what it would destroy, and what to do.
    """
    given = [(name, os.fspath(path)) for name, path in outputs.items() if path]
    inputs = [os.fspath(p) for p in inputs if p]
    folders = [os.fspath(p) for p in input_folders if p]
    for name, path in given:
        for source in inputs:
            if same_file(path, source):
                raise OutputError(f"{name} {path} is the input {source}: writing it would destroy the input; "
                                  f"choose another file name")
        for folder in folders:
            if is_inside(path, folder):
                raise OutputError(f"{name} {path} lies inside the input frame folder {folder}: it would mix with "
                                  f"(or overwrite) its frames; write it elsewhere")
        if os.path.isdir(path):
            raise OutputError(f"{name} {path} is a folder; give a file name")
    for i, (name, path) in enumerate(given):
        for other_name, other in given[i + 1:]:
            if same_file(path, other):
                raise OutputError(f"{name} and {other_name} are the same file ({path}): one would overwrite the "
                                  f"other; give each its own name")
    for name, path in given:
        parent = os.path.dirname(os.path.abspath(path))
        if need_parent and not os.path.isdir(parent):
            blocker = _nearest_existing(Path(parent))
            if not blocker.is_dir():
                raise OutputError(f"cannot write {name} {path}: {blocker} is a file, not a folder")
            shown = os.path.dirname(path) or "."
            raise OutputError(f"cannot write {name} {path}: folder {shown} does not exist; create it first")
        check_writable_folder(parent, what=f"{name} {path}")
        if os.path.exists(path) and not os.access(path, os.W_OK):
            raise OutputError(f"cannot write {name} {path}: the file exists and is read-only")
