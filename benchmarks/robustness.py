"""The perturbed protocol: OTB's SRE starts plus a pass on re-encoded frames, per family.

A one-pass evaluation starts each tracker once per sequence, on the exact ground truth; on 19
sequences one lucky or unlucky start moves a fold's mean by 0.05 (some sequences flip between two
outcomes under the smallest change). OTB's spatial robustness evaluation (Wu et al., "Online object
tracking: a benchmark", CVPR 2013) starts it again on the first box shifted by 10 % of its size in
eight directions and scaled by 0.8, 0.9, 1.1 and 1.2 about its centre, and scores every run against
the same ground truth. A thirteenth run starts on the exact box but on frames re-encoded as JPEG
of quality 60 (in memory, the same bytes every run): the same footage through another codec flips
some sequences by 0.4 AUC, and a part that holds only on one encoding is noise. The mean over those
13 runs is a steadier estimate of how a tracker does on video it was not tuned on, and of what a
part adds; tables give it per family (``benchmarks/families.py``) with sign counts against the
first tracker named.

Writes ``benchmarks/results/robustness.md`` (and the raw scores, ``robustness.json``, which
``--render`` turns into the table again). Usage::

    python benchmarks/robustness.py [DATASET_DIR] [--trackers 'generalized;fixed;opencv-csrt'] [--jobs 1]
                                    [--starts all|sre|shifts|scales|reencoded] [--render]

Trackers: ``generalized``, ``fixed`` (``generalized()`` with its size fixed: what the zeroth moment
adds), ``comaniciu-meer``, ``camshift``, or any name ``meanshift eval`` accepts (``opencv-csrt``
needs OpenCV's contrib build: ``make results`` makes a venv with it, ``.venv-eval``).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import cv2
import numpy as np
from families import ALL, DATASETS, FAMILIES, family_of, sign_count
from gray_folds import to_gray

import meanshift
from meanshift.config import Convergence
from meanshift.evaluation import evaluate
from meanshift.evaluation.datasets import Sequence, load_dataset
from meanshift.posterior import ModelLearning, WindowSearch, ZerothMomentSize, posterior_options

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

#: OTB's SRE starts: eight shifts by 10 % of the box's side and four scalings about its centre.
SHIFTS = {"left": (-0.1, 0.0), "right": (0.1, 0.0), "up": (0.0, -0.1), "down": (0.0, 0.1),
          "up-left": (-0.1, -0.1), "up-right": (0.1, -0.1), "down-left": (-0.1, 0.1), "down-right": (0.1, 0.1)}
SCALES = (0.8, 0.9, 1.1, 1.2)
#: JPEG quality of the re-encoded pass: visibly blocky, as a web video is, without destroying the target.
REENCODE_QUALITY = 60


#: Short names of the meanshift variants measured here (picklable factories, for ``--jobs``); anything
#: else goes to ``meanshift eval``'s names.
OURS = {"generalized": partial(meanshift.generalized),
        "fixed": partial(meanshift.generalized, size=ZerothMomentSize(rule="fixed")),
        "comaniciu-meer": partial(meanshift.comaniciu_meer), "camshift": partial(meanshift.camshift)}


class _LastSequence:
    """The decoded frames of the last sequence read: its twelve starts decode it once, not twelve times."""

    key: tuple | None = None
    frames: list[np.ndarray] = []


@dataclasses.dataclass(frozen=True)
class CachedSequence(Sequence):
    """A :class:`Sequence` whose BGR frames are decoded once for all its starts (in this process)."""

    gray: bool = False  # frames turned gray (three equal channels), as benchmarks/gray_folds.py does
    reencode: int = 0  # JPEG quality the frames are re-encoded at (0: as decoded)

    def frames(self, color: str = "bgr") -> Iterator[np.ndarray]:
        if color != "bgr":
            yield from super().frames(color)
            return
        key = (self.path, len(self), self.gray, self.reencode)
        if _LastSequence.key != key:
            _LastSequence.key, _LastSequence.frames = None, []  # free the previous sequence first
            frames = [self._converted(frame) for frame in super().frames()]
            for frame in frames:
                frame.setflags(write=False)  # shared by every start: a tracker writing into it would fail
            _LastSequence.frames, _LastSequence.key = frames, key
        yield from _LastSequence.frames

    def frame(self, index: int, color: str = "bgr") -> np.ndarray:
        return self._converted(super().frame(index)) if color == "bgr" else super().frame(index, color)

    def _converted(self, frame: np.ndarray) -> np.ndarray:
        if self.gray:
            frame = to_gray(frame)
        if self.reencode:
            ok, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.reencode])
            frame = cv2.imdecode(data, cv2.IMREAD_COLOR)
        return frame


#: ``generalized:`` keys that are not options of the engine's stages: the colour space, the measure, and the
#: classic proposal's own options.
TRACKER_KEYS = ("features", "bins", "similarity", "max_samples", "epsilon", "max_iterations")


def parse_tracker(name: str):
    """A factory for ``name``: one of :data:`OURS`, or ``generalized:key=value,...`` (options of the engine's
    stages, :func:`meanshift.posterior.posterior_options`, or :data:`TRACKER_KEYS`: ``features``, ``bins``,
    ``similarity`` and the classic proposal's ``max_samples``, ``epsilon`` and ``max_iterations``), or None
    for a name ``meanshift eval`` knows.

    Examples
    --------
    >>> parse_tracker("generalized:size_prior=0,learning_rate=0.1").keywords["size"].size_prior
    0.0
    >>> parse_tracker("generalized:epsilon=0.5,max_samples=1024").keywords["convergence"].epsilon
    0.5
    """
    if name in OURS:
        return OURS[name]
    if name.startswith("generalized:"):
        fields = {f.name: f.default for stage in (WindowSearch, ZerothMomentSize, ModelLearning)
                  for f in dataclasses.fields(stage)}
        fields.update(hold_when_lost=True, level_decay=0.95)
        changes: dict = {}
        tracker: dict = {}
        for item in name.split(":", 1)[1].split(","):
            key, _, text = item.partition("=")
            if key not in fields and key not in TRACKER_KEYS or not text:
                raise SystemExit(f"expected generalized:FIELD=VALUE,... with options of the engine's stages or "
                                 f"{', '.join(TRACKER_KEYS)}, got {name!r}")
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                value = text  # the string options: proposal=never, rule=fixed, ...
            if isinstance(fields.get(key), float) and isinstance(value, int):
                value = float(value)  # size_prior=0 is the float 0.0
            (tracker if key in TRACKER_KEYS else changes)[key] = value
        keywords: dict = posterior_options(**changes)
        for key in ("features", "bins", "similarity", "max_samples"):
            if key in tracker:
                keywords[key] = tracker.pop(key)
        if tracker:
            keywords["convergence"] = Convergence(**tracker)
        return partial(meanshift.generalized, **keywords)
    return None


def start_boxes(box: tuple[float, float, float, float], which: str = "all") -> dict[str, tuple]:
    """OTB's SRE start boxes for the first box ``(x, y, w, h)``: ``{name: box}``.

    Examples
    --------
    >>> start_boxes((10.0, 20.0, 30.0, 40.0), "scales")["x1.1"]
    (8.5, 18.0, 33.0, 44.0)
    """
    x, y, w, h = box
    out: dict[str, tuple] = {}
    if which in ("all", "sre", "shifts"):
        for name, (dx, dy) in SHIFTS.items():
            out[name] = (round(x + dx * w, 3), round(y + dy * h, 3), w, h)
    if which in ("all", "sre", "scales"):
        for s in SCALES:
            nw, nh = w * s, h * s
            out[f"x{s:g}"] = (round(x + (w - nw) / 2, 3), round(y + (h - nh) / 2, 3), round(nw, 3), round(nh, 3))
    return out


def variants(sequences: list[Sequence], which: str, gray: bool = False) -> list[Sequence]:
    """Every sequence started on each SRE box, named ``<sequence>@<start>`` (frames gray with ``gray``),
    and (``which`` "all" or "reencoded") on its first box with re-encoded frames, ``<sequence>@jpeg60``."""
    out: list[Sequence] = []
    for seq in sequences:
        fields = {f.name: getattr(seq, f.name) for f in dataclasses.fields(seq)}
        cached = CachedSequence(**fields, gray=gray)
        out += [cached.started_on(box, name=f"{seq.name}@{start}")
                for start, box in start_boxes(seq.init_box, which).items()]
        if which in ("all", "reencoded"):
            out.append(dataclasses.replace(CachedSequence(**fields, gray=gray, reencode=REENCODE_QUALITY),
                                           name=f"{seq.name}@jpeg{REENCODE_QUALITY}"))
    return out


def factories(names: list[str]) -> dict:
    return {name: parse_tracker(name) for name in names}


def run(datasets: list[Path], names: list[str], which: str, jobs: int, gray: bool = False,
        sequences: list[str] | None = None) -> dict:
    """``{tracker: {sequence: {start: [auc, p@20]}}}`` over every start."""
    if (gray or which in ("all", "reencoded")) and jobs > 1:
        raise SystemExit("--gray and the re-encoded pass convert the frames in this process: use --jobs 1")
    seqs = variants(load_dataset(datasets, names=sequences), which, gray)
    made = factories(names)
    ours = {n: f for n, f in made.items() if f is not None}
    theirs = [n for n, f in made.items() if f is None]
    scores: dict = {}
    for group in (ours, theirs):
        if not group:
            continue
        ev = evaluate(seqs, group, jobs=jobs, progress=True, plots=False)
        for problem in ev.problems():  # a crash or a warning of a run, said rather than averaged in
            print(problem)
        for (name, tracker), score in ev.scores.items():
            sequence, start = name.rsplit("@", 1)
            scores.setdefault(tracker, {}).setdefault(sequence, {})[start] = [score.auc, score.precision_at_20]
    return scores


def sequence_means(per_sequence: dict, column: int) -> dict[str, float]:
    """``{sequence: mean over its starts}`` of one score (0: AUC, 1: P@20)."""
    return {s: statistics.fmean(v[column] for v in runs.values()) for s, runs in per_sequence.items()}


def _mean(values: dict[str, float], names) -> float | None:
    return statistics.fmean(values[s] for s in names) if all(s in values for s in names) else None


def render(scores: dict, command: str, gray: bool = False) -> str:
    """The markdown page: per tracker, the mean over the starts per family, with sign counts; then per sequence."""
    starts = sorted({start for t in scores.values() for s in t.values() for start in s})
    reference = "generalized" if "generalized" in scores else next(iter(scores))
    ref_auc = sequence_means(scores[reference], 0)
    title = "# The perturbed protocol, per family" + (": every frame turned gray" if gray else "")
    heads = " | ".join(f"{family} ({len(names)})" for family, names in FAMILIES.items())
    lines = [title, "",
             f"Made by `{command}`. Each tracker is started {len(starts)} times on every sequence of `../shared` "
             "(24 JPEG folders, 12 H.264 videos): on the first box shifted by 10 % of its size (8 directions), "
             "scaled by 0.8, 0.9, 1.1 and 1.2 about its centre, and on the exact box with every frame "
             f"re-encoded as JPEG of quality {REENCODE_QUALITY} ({', '.join(starts)}); each run is scored against "
             "the same ground truth (one-pass protocol from each start). The figure per sequence is the mean "
             "over the starts; per family, the mean over its sequences (AUC / P@20), and in brackets the "
             f"sequences whose AUC is above / below {reference}'s by more than 0.01.", "",
             f"| tracker | starts | {heads} | all {len(ALL)}: AUC / P@20 |",
             "|---|---:|" + "---:|" * (len(FAMILIES) + 1)]
    rows = []
    for tracker, per_sequence in scores.items():
        auc, p20 = sequence_means(per_sequence, 0), sequence_means(per_sequence, 1)
        cells = []
        for names in (*FAMILIES.values(), ALL):
            a, p = _mean(auc, names), _mean(p20, names)
            if a is None or p is None:
                cells.append("—")
                continue
            signs = "" if tracker == reference else " (+{} / −{})".format(*sign_count(auc, ref_auc, names))
            cells.append(f"{a:.3f} / {p:.3f}{signs}")
        every = _mean(auc, ALL) or 0.0
        n_starts = len({start for runs in per_sequence.values() for start in runs})
        rows.append((every, f"| {tracker} | {n_starts} | " + " | ".join(cells) + " |"))
    lines += [line for _, line in sorted(rows, reverse=True)]
    trackers = list(scores)
    lines += ["", "## AUC per sequence (mean over the starts; in brackets the lowest and highest start)", "",
              "| sequence | family | " + " | ".join(trackers) + " |", "|---|---|" + "---:|" * len(trackers)]
    for sequence in ALL:
        cells = []
        for tracker in trackers:
            values = [v[0] for v in scores[tracker].get(sequence, {}).values()]
            cells.append(f"{statistics.fmean(values):.3f} ({min(values):.2f}–{max(values):.2f})" if values else "—")
        lines.append(f"| {sequence} | {family_of(sequence)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("datasets", nargs="*", type=Path, default=list(DATASETS))
    parser.add_argument("--trackers", default="generalized;fixed",
                        help="';'-separated: generalized, fixed, comaniciu-meer, camshift, "
                             "generalized:key=value,... (the engine's options), or meanshift eval names")
    parser.add_argument("--starts", choices=("all", "sre", "shifts", "scales", "reencoded"), default="all")
    parser.add_argument("--sequences", help="comma-separated sequence names (default: all 36)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--json", type=Path, default=RESULTS / "robustness.json",
                        help="raw scores: merged with what the file already holds (one run per tracker)")
    parser.add_argument("--out", type=Path, default=RESULTS / "robustness.md")
    parser.add_argument("--render", action="store_true", help="only write the table again from --json")
    parser.add_argument("--gray", action="store_true",
                        help="every frame turned gray (with --json/--out robustness_gray.*, say)")
    args = parser.parse_args()
    scores = json.loads(args.json.read_text()) if args.json.exists() else {}
    if not args.render:
        names = [n.strip() for n in args.trackers.split(";") if n.strip()]
        chosen = args.sequences.split(",") if args.sequences else None
        scores.update(run(args.datasets or list(DATASETS), names, args.starts, args.jobs, args.gray, chosen))
        args.json.write_text(json.dumps(scores, indent=1, sort_keys=True))
    command = ("python benchmarks/robustness.py " + ("--gray " if args.gray else "") + "--trackers '"
               + ";".join(scores) + "'")
    args.out.write_text(render(scores, command, args.gray))
    print(args.out.read_text())


if __name__ == "__main__":
    main()
