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

__all__ = ["OutputError", "check_output_paths", "check_writable_folder", "is_inside"]


class OutputError(ValueError):
    """An output that would overwrite an input or another output, or cannot be written."""


def _resolved(path: str | os.PathLike[str]) -> Path:
    return Path(os.path.realpath(os.path.abspath(os.fspath(path))))


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


class _Files:
    """Paths by identity: resolved path and, for files that exist, device and inode (hard links).

    Each path is resolved and stat'ed once, so that checking N outputs against M inputs costs N + M
    lookups, not N x M comparisons (a batch of hundreds of videos).
    """

    def __init__(self) -> None:
        self._by_path: dict[Path, str] = {}
        self._by_inode: dict[tuple[int, int], str] = {}

    def add(self, path: str, label: str) -> None:
        self._by_path.setdefault(_resolved(path), label)
        inode = _inode(path)
        if inode is not None:
            self._by_inode.setdefault(inode, label)

    def find(self, path: str) -> str | None:
        """The label of a known path naming the same file as ``path``, or None."""
        found = self._by_path.get(_resolved(path))
        if found is None:
            inode = _inode(path)
            found = self._by_inode.get(inode) if inode is not None else None
        return found


def _inode(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def check_output_paths(
    outputs: Mapping[str, str | os.PathLike[str] | None] | Iterable[tuple[str, str | os.PathLike[str] | None]],
    inputs: Iterable[str | os.PathLike[str]],
    input_folders: Iterable[str | os.PathLike[str]] = (),
    *,
    need_parent: bool = True,
) -> None:
    """Refuse outputs that collide with inputs or with each other, or that cannot be written.

    Parameters
    ----------
    outputs : mapping or iterable of (name, path)
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
    pairs = outputs.items() if isinstance(outputs, Mapping) else outputs
    given = [(name, os.fspath(path)) for name, path in pairs if path]
    read = _Files()
    for item in inputs:
        if item:
            read.add(os.fspath(item), os.fspath(item))
    folders = {_resolved(p): os.fspath(p) for p in input_folders if p}
    for name, path in given:
        source = read.find(path)
        if source is not None:
            raise OutputError(f"{name} {path} is the input {source}: writing it would destroy the input; "
                              f"choose another file name")
        resolved = _resolved(path)
        for place in (resolved, *resolved.parents):
            if place in folders:
                raise OutputError(f"{name} {path} lies inside the input frame folder {folders[place]}: it would mix "
                                  f"with (or overwrite) its frames; write it elsewhere")
        if os.path.isdir(path):
            raise OutputError(f"{name} {path} is a folder; give a file name")
    written = _Files()
    for name, path in given:
        earlier = written.find(path)
        if earlier is not None:
            raise OutputError(f"{earlier} and {name} are the same file ({path}): one would overwrite the "
                              f"other; give each its own name")
        written.add(path, name)
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
