"""Tracking datasets in the OTB layout: one folder per sequence, frames in ``img/`` or a video, boxes in a text file.

The layout (OTB-2013/OTB-2015, and the VOT sequences in ``shared/data/sequences`` converted to it)::

    DATASET/
      Crossing/
        img/0001.jpg 0002.jpg ...      one image per frame, sorted by name
        groundtruth_rect.txt           one line per frame: x,y,w,h
      KiteSurf/
        video.mp4                      or: the frames as one video file (see VIDEO_NAMES)
        groundtruth_rect.txt           one line per decoded frame, in the video's pixel coordinates

A dataset folder may mix both kinds. A video sequence is a file named ``video`` with one of the
containers of :data:`VIDEO_NAMES` (``video.mp4``, ``video.avi``, ``video.mkv``, ``video.mov``,
``video.m4v``, ``video.webm``), decoded by OpenCV (FFmpeg) in order; frame *i* (1-based) goes with
line *i* of the ground truth. A folder holding both ``img/`` and a video is refused as ambiguous.

Ground-truth lines may separate their four numbers by commas, tabs or spaces (OTB mixes all three).
OTB boxes are 1-based (MATLAB); VOT-derived rectangles are 0-based. A one-pass evaluation starts
the tracker on frame 1's ground truth and scores it against ground truth of the same origin, so
the boxes are used as they are (see :mod:`meanshift.evaluation.metrics`). A line of zeros or of
``NaN`` marks a frame where the target is absent (or unannotated): such frames are left out of the
scores (as pysot-toolkit's ``success_overlap`` does); frame 1 must hold a box, the tracker starts on it.

Frames are read lazily, one at a time, as OpenCV reads them: BGR ``uint8`` of shape
``(H, W, 3)`` by default, also for grayscale JPEGs (three equal channels), which is what a video
capture hands a tracker. A video is decoded once per pass over :meth:`Sequence.frames`; it must
decode to exactly as many frames as there are ground-truth lines, which is checked against the
container's frame count when the sequence is loaded and again while decoding (a truncated file
fails at the frame where it ends, naming both counts).

Examples
--------
>>> from meanshift.evaluation.datasets import load_dataset          # doctest: +SKIP
>>> for seq in load_dataset("../shared/data/sequences"):   # doctest: +SKIP
...     for frame, box in zip(seq.frames(), seq.groundtruth):
...         pass
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from meanshift.evaluation.errors import DatasetError
from meanshift.evaluation.videos import (
    GROUNDTRUTH_FILE,
    VIDEO_NAMES,
    count_video_frames,
    decode_video,
    find_video,
)

__all__ = [
    "DatasetError",
    "GROUNDTRUTH_FILE",
    "FRAMES_DIR",
    "IMAGE_EXTENSIONS",
    "VIDEO_NAMES",
    "find_video",
    "count_video_frames",
    "read_groundtruth",
    "list_frames",
    "read_frame",
    "Sequence",
    "is_sequence_dir",
    "load_sequence",
    "load_dataset",
]

FRAMES_DIR = "img"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
_COLOR_MODES = ("bgr", "gray", "unchanged")
_SEPARATORS = re.compile(r"[,\s]+")


def read_groundtruth(path: str | Path) -> np.ndarray:
    """Read an OTB ``groundtruth_rect.txt``: one ``x, y, w, h`` box per line.

    Numbers may be separated by commas, tabs or spaces, in any mix; blank lines are skipped
    (a trailing newline is common). ``NaN`` is accepted and marks a frame without ground truth.

    Parameters
    ----------
    path : str or Path
        The text file.

    Returns
    -------
    ndarray, shape (N, 4), float64
        The boxes, unchanged (OTB: 1-based; VOT-derived: 0-based).

    Raises
    ------
    DatasetError
        If the file is missing or empty, or a line does not hold exactly four numbers; the
        message names the file and the line.

    Examples
    --------
    >>> import tempfile, os
    >>> p = os.path.join(tempfile.mkdtemp(), "gt.txt")
    >>> _ = open(p, "w").write("1,2,3,4\\n5\\t6\\t7\\t8\\n9 10, 11 12\\n")
    >>> read_groundtruth(p).tolist()
    [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 10.0, 11.0, 12.0]]
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"ground-truth file {path} does not exist")
    rows = []
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, start=1):
            text = line.strip()
            if not text:
                continue
            fields = [f for f in _SEPARATORS.split(text) if f]
            if len(fields) != 4:
                hint = " (8 values are a VOT polygon; convert it to x,y,w,h)" if len(fields) == 8 else ""
                raise DatasetError(
                    f"{path}, line {lineno}: expected 4 numbers x,y,w,h, got {len(fields)}: {text!r}{hint}"
                )
            try:
                rows.append([float(f) for f in fields])
            except ValueError:
                raise DatasetError(f"{path}, line {lineno}: not a number in {text!r}") from None
    if not rows:
        raise DatasetError(f"ground-truth file {path} holds no boxes")
    return np.asarray(rows, dtype=np.float64)


def _natural_key(path: Path) -> tuple:
    # Sort "2.jpg" before "10.jpg" for unpadded names; OTB's zero-padded names sort the same either way.
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def list_frames(img_dir: str | Path) -> list[Path]:
    """Image files of a sequence folder, in frame order (natural sort of the file names).

    Raises
    ------
    DatasetError
        If the folder is missing or holds no image with one of :data:`IMAGE_EXTENSIONS`.
    """
    img_dir = Path(img_dir)
    if not img_dir.is_dir():
        raise DatasetError(f"frame folder {img_dir} does not exist")
    frames = [p for p in img_dir.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS]
    if not frames:
        raise DatasetError(f"frame folder {img_dir} holds no image ({', '.join(IMAGE_EXTENSIONS)})")
    return sorted(frames, key=_natural_key)


def read_frame(path: str | Path, color: str = "bgr") -> np.ndarray:
    """Read one frame with OpenCV.

    Parameters
    ----------
    path : str or Path
        Image file.
    color : {"bgr", "gray", "unchanged"}
        ``"bgr"``: ``(H, W, 3)`` uint8 as ``cv2.imread`` gives by default (grayscale files get three
        equal channels); ``"gray"``: ``(H, W)``; ``"unchanged"``: as stored.

    Raises
    ------
    DatasetError
        If the file cannot be decoded.
    """
    import cv2

    flags = {"bgr": cv2.IMREAD_COLOR, "gray": cv2.IMREAD_GRAYSCALE, "unchanged": cv2.IMREAD_UNCHANGED}
    if color not in flags:
        raise ValueError(f"color={color!r} is not one of {_COLOR_MODES}")
    img = cv2.imread(str(path), flags[color])
    if img is None or img.size == 0:
        raise DatasetError(f"cannot decode frame {path}")
    return img


@dataclass(frozen=True)
class Sequence:
    """One sequence of an OTB-layout dataset: image files or a video, and one box per frame.

    Attributes
    ----------
    name : str
        The folder's name.
    path : Path
        The sequence folder.
    frame_paths : tuple of Path
        One image per frame, in order; empty for a video sequence.
    groundtruth : ndarray, shape (N, 4)
        One ``(x, y, w, h)`` box per frame, as stored in the file.
    start_box : (x, y, w, h) or None
        The box the tracker is started on, when it is not frame 1's ground truth (OTB's spatial
        robustness evaluation starts it on shifted and scaled boxes; see :meth:`started_on`).
    video : Path or None
        The video file holding the frames, for a video sequence.
    video_frames : int
        How many frames the whole video has (its ground-truth lines), also after :meth:`head`
        cuts the sequence: a full pass checks that the file holds no frame beyond them.
    """

    name: str
    path: Path
    frame_paths: tuple[Path, ...]
    groundtruth: np.ndarray
    start_box: tuple[float, float, float, float] | None = None
    video: Path | None = None
    video_frames: int = 0

    def __len__(self) -> int:
        return len(self.groundtruth)

    def __repr__(self) -> str:
        source = f", video={str(self.video)!r}" if self.video is not None else f", path={str(self.path)!r}"
        return f"Sequence(name={self.name!r}, frames={len(self)}{source})"

    @property
    def init_box(self) -> tuple[float, float, float, float]:
        """The box the tracker is started on: frame 1's ground truth, or :attr:`start_box` when set."""
        x, y, w, h = (float(v) for v in (self.groundtruth[0] if self.start_box is None else self.start_box))
        return (x, y, w, h)

    def started_on(self, box: tuple[float, float, float, float], name: str | None = None) -> Sequence:
        """The same sequence, the tracker started on ``box`` (scored against the same ground truth).

        ``name`` names the variant in an evaluation's tables (default: the sequence's own name).

        Examples
        --------
        >>> import numpy as np
        >>> seq = Sequence("demo", Path("demo"), (Path("1.jpg"),), np.array([[10.0, 20.0, 30.0, 40.0]]))
        >>> seq.started_on((13.0, 20.0, 30.0, 40.0), name="demo@right").init_box
        (13.0, 20.0, 30.0, 40.0)
        """
        x, y, w, h = (float(v) for v in box)
        if not (w > 0 and h > 0):
            raise ValueError(f"start box must have a positive width and height, got {box!r}")
        return replace(self, start_box=(x, y, w, h), name=self.name if name is None else name)

    def frame(self, index: int, color: str = "bgr") -> np.ndarray:
        """Read frame ``index`` (0-based).

        A video is decoded from its start up to ``index`` (seeking in compressed video can land on
        a neighbouring frame; decoding forward cannot), so this is for the odd frame: iterate over
        :meth:`frames` for many.
        """
        if self.video is None:
            return read_frame(self.frame_paths[index], color)
        if not 0 <= index < len(self):
            raise IndexError(f"frame {index} out of range: sequence {self.name} has {len(self)} frames")
        for i, frame in enumerate(self.frames(color)):
            if i == index:
                return frame
        raise AssertionError("unreachable: frames() yields len(self) frames or raises")  # pragma: no cover

    def frames(self, color: str = "bgr") -> Iterator[np.ndarray]:
        """Yield the frames in order, reading each file (or decoding each video frame) only when asked for.

        Raises
        ------
        DatasetError
            At the frame concerned: an image that does not decode, or a video that ends before its
            ground truth does (or, on a full pass, holds more frames), naming both counts.
        """
        if self.video is None:
            for p in self.frame_paths:
                yield read_frame(p, color)
            return
        if color not in _COLOR_MODES:
            raise ValueError(f"color={color!r} is not one of {_COLOR_MODES}")
        yield from decode_video(self.video, self.name, len(self), self.video_frames, color)

    def head(self, n_frames: int) -> Sequence:
        """The same sequence cut to its first ``n_frames`` frames (for quick runs and tests)."""
        if n_frames < 1:
            raise ValueError(f"n_frames must be at least 1, got {n_frames}")
        return replace(self, frame_paths=self.frame_paths[:n_frames], groundtruth=self.groundtruth[:n_frames])


def is_sequence_dir(path: str | Path) -> bool:
    """True if ``path`` looks like a sequence: an ``img/`` folder or a video, and a ground-truth file."""
    path = Path(path)
    has_frames = (path / FRAMES_DIR).is_dir() or find_video(path) is not None
    return has_frames and (path / GROUNDTRUTH_FILE).is_file()


def load_sequence(path: str | Path, *, max_frames: int | None = None) -> Sequence:
    """Load one sequence folder (ground truth now, frames lazily later).

    Parameters
    ----------
    path : str or Path
        Folder holding ``groundtruth_rect.txt`` and either ``img/`` or a video (:data:`VIDEO_NAMES`).
    max_frames : int, optional
        Keep only the first ``max_frames`` frames.

    Raises
    ------
    DatasetError
        If a part is missing, the folder holds both ``img/`` and a video, frame 1 has no box, a video
        is empty or cannot be opened, or the number of frames differs from the number of ground-truth
        lines (OTB sequences with start/end offsets, such as David, need their frames cut first).

    Examples
    --------
    >>> seq = load_sequence("../shared/data/videos/otb_KiteSurf")   # doctest: +SKIP
    >>> seq.video.name, len(seq)                                     # doctest: +SKIP
    ('video.mp4', 84)
    """
    path = Path(path)
    if not path.is_dir():
        raise DatasetError(f"sequence folder {path} does not exist")
    if not (path / GROUNDTRUTH_FILE).is_file():
        raise DatasetError(f"sequence folder {path} has no {GROUNDTRUTH_FILE} (x,y,w,h per frame)")
    gt = read_groundtruth(path / GROUNDTRUTH_FILE)
    first = gt[0]
    if not (np.all(np.isfinite(first)) and first[2] > 0 and first[3] > 0):
        raise DatasetError(
            f"sequence {path.name}: line 1 of {GROUNDTRUTH_FILE} ({', '.join(f'{v:g}' for v in first)}) marks the "
            f"target absent, but the tracker starts on frame 1's box"
        )
    video = find_video(path)
    if video is not None:
        if (path / FRAMES_DIR).is_dir():
            raise DatasetError(
                f"sequence folder {path} holds both {FRAMES_DIR}/ and {video.name}: keep one source of frames"
            )
        declared = count_video_frames(video)
        if declared is not None and declared != len(gt):
            raise DatasetError(
                f"sequence {path.name}: {video} holds {declared} frames but {GROUNDTRUTH_FILE} holds {len(gt)} "
                f"boxes; one-pass evaluation needs one box per frame"
            )
        seq = Sequence(name=path.name, path=path, frame_paths=(), groundtruth=gt, video=video,
                       video_frames=len(gt))
        return seq.head(max_frames) if max_frames is not None else seq
    frames = list_frames(path / FRAMES_DIR)
    if len(frames) != len(gt):
        raise DatasetError(
            f"sequence {path.name}: {len(frames)} frames in {path / FRAMES_DIR} but {len(gt)} boxes in "
            f"{GROUNDTRUTH_FILE}; one-pass evaluation needs one box per frame"
        )
    seq = Sequence(name=path.name, path=path, frame_paths=tuple(frames), groundtruth=gt)
    return seq.head(max_frames) if max_frames is not None else seq


def _sequence_folders(root: Path) -> dict[str, Path]:
    """The sequence folders of one dataset folder (or the folder itself, if it is a sequence), by name."""
    if not root.is_dir():
        raise DatasetError(f"dataset folder {root} does not exist")
    if is_sequence_dir(root):
        return {root.name: root}
    found = {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and is_sequence_dir(p)}
    if not found:
        raise DatasetError(
            f"dataset folder {root} holds no sequence: expected sub-folders with {FRAMES_DIR}/ or "
            f"{VIDEO_NAMES[0]}, and {GROUNDTRUTH_FILE}"
        )
    return found


def load_dataset(
    root: str | Path | Iterable[str | Path], *, names: Iterable[str] | None = None, max_frames: int | None = None
) -> list[Sequence]:
    """Load every sequence of an OTB-layout dataset folder (or of several), sorted by name.

    Parameters
    ----------
    root : str, Path, or an iterable of them
        The dataset folder (one sub-folder per sequence, image folders and videos mixed freely); a
        single sequence folder also works. Several folders are pooled into one dataset.
    names : iterable of str, optional
        Load only these sequences, in this order.
    max_frames : int, optional
        Cut every sequence to its first ``max_frames`` frames.

    Raises
    ------
    DatasetError
        If a folder is missing or holds no sequence, two folders hold a sequence of the same name,
        or a requested name is not there.

    Examples
    --------
    >>> seqs = load_dataset(["../shared/data/sequences", "../shared/data/videos"])   # doctest: +SKIP
    >>> len(seqs), sum(s.video is not None for s in seqs)                           # doctest: +SKIP
    (36, 12)
    """
    roots = [Path(root)] if isinstance(root, (str, Path)) else [Path(r) for r in root]
    if not roots:
        raise DatasetError("no dataset folder given")
    found: dict[str, Path] = {}
    for folder in roots:
        for name, path in _sequence_folders(folder).items():
            if name in found:
                raise DatasetError(f"two sequences are named {name}: {found[name]} and {path}")
            found[name] = path
    where = ", ".join(str(r) for r in roots)
    if names is None:
        selected = sorted(found, key=str.lower)
    else:
        selected = list(names)
        missing = [n for n in selected if n not in found]
        if missing:
            raise DatasetError(
                f"no sequence named {', '.join(missing)} in {where}; available: {', '.join(sorted(found))}"
            )
    return [load_sequence(found[n], max_frames=max_frames) for n in selected]
