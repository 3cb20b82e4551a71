"""What each tracker's ``ok`` flag is worth: failures reported, false alarms, trusted boxes off the target.

The success and precision curves ignore ``ok``. A batch user who keeps only the boxes reported ``ok``
needs two numbers: how many of the frames where the box has left the target (IoU 0: a switch to a
look-alike, or the background) the tracker reported lost, and how many of its trusted boxes are off
the target anyway (:func:`meanshift.evaluation.metrics.loss_report`). Reads the per-frame boxes an
evaluation wrote (``make results`` writes ``benchmarks/results/boxes``), so it runs no tracker::

    python benchmarks/loss_detection.py [BOXES_DIR] [--dataset DIR ...] [--out benchmarks/results/loss_detection.md]

Counted per family (``benchmarks/families.py``) over the 36 sequences of ``../shared``.
"""

from __future__ import annotations

import argparse
import csv
import math
from pathlib import Path

import numpy as np
from families import ALL, DATASETS, FAMILIES, family_of

from meanshift.evaluation.datasets import load_dataset
from meanshift.evaluation.metrics import ON_TARGET_IOU, LossReport, loss_report

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
#: The trackers whose per-sequence counts are listed (the others only in the summary).
DETAILED = ("meanshift-generalized", "opencv-csrt")


def read_boxes(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """``(boxes (N, 4), ok (N,))`` from an evaluation's per-frame CSV (``frame,x,y,w,h,ok,...``)."""
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    boxes = np.array([[float(row[k]) for k in "xywh"] for row in rows]).reshape(-1, 4)
    ok = np.array([row["ok"].strip() == "1" for row in rows], dtype=bool)
    return boxes, ok


def reports(boxes_dir: Path, datasets: list[Path]) -> dict[str, dict[str, LossReport]]:
    """``{tracker: {sequence: LossReport}}`` for every tracker folder and sequence CSV found."""
    truth = {seq.name: seq.groundtruth for seq in load_dataset(datasets)}
    out: dict[str, dict[str, LossReport]] = {}
    for folder in sorted(p for p in boxes_dir.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.csv")):
            if path.stem not in truth:
                raise SystemExit(f"{path}: no sequence {path.stem} in {', '.join(map(str, datasets))}")
            boxes, ok = read_boxes(path)
            gt = truth[path.stem]
            if len(gt) != len(boxes):
                raise SystemExit(f"{path}: {len(boxes)} boxes for {len(gt)} frames of ground truth")
            out.setdefault(folder.name, {})[path.stem] = loss_report(boxes, gt, ok)
    return out


def _total(per_sequence: dict[str, LossReport], names) -> LossReport:
    total = LossReport()
    for name in names:
        if name in per_sequence:
            total = total + per_sequence[name]
    return total


def _pct(value: float) -> str:
    return "–" if math.isnan(value) else f"{100 * value:.0f} %"


def summary_table(data: dict[str, dict[str, LossReport]]) -> str:
    lines = ["| tracker | frames off the target | of them reported lost | false alarms (IoU >= "
             f"{ON_TARGET_IOU:g} reported lost) | trusted boxes off the target | "
             + " | ".join(f"trusted off target, {family}" for family in FAMILIES) + " |",
             "|---|---:|---:|---:|---:|" + "---:|" * len(FAMILIES)]
    order = sorted(data, key=lambda t: _total(data[t], data[t]).trusted_miss_rate)
    for tracker in order:
        r = _total(data[tracker], data[tracker])
        per_family = [_pct(_total(data[tracker], names).trusted_miss_rate) for names in FAMILIES.values()]
        lines.append(f"| {tracker} | {r.off_target} | {_pct(r.failure_recall)} | {_pct(r.false_alarm_rate)} | "
                     f"{r.trusted_off_target} of {r.trusted} ({_pct(r.trusted_miss_rate)}) | "
                     + " | ".join(per_family) + " |")
    return "\n".join(lines)


def sequence_table(data: dict[str, dict[str, LossReport]], trackers) -> str:
    trackers = [t for t in trackers if t in data]
    head = " | ".join(f"{t}: off target / reported lost / false alarms" for t in trackers)
    lines = [f"| sequence | family | {head} |", "|---|---|" + "---:|" * len(trackers)]
    order = {name: i for i, name in enumerate(ALL)}
    names = sorted({s for t in trackers for s in data[t]}, key=lambda s: (order.get(s, len(order)), s.lower()))
    for name in names:
        cells = []
        for t in trackers:
            r = data[t].get(name)
            cells.append("–" if r is None else f"{r.off_target} / {r.off_target_reported} / {r.on_target_reported}")
        lines.append(f"| {name} | {family_of(name)} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("boxes", nargs="?", type=Path, default=RESULTS / "boxes")
    parser.add_argument("--dataset", type=Path, nargs="+", default=list(DATASETS))
    parser.add_argument("--out", type=Path, default=RESULTS / "loss_detection.md")
    args = parser.parse_args()
    data = reports(args.boxes, args.dataset)
    text = "\n".join([
        "# What `ok` is worth: failures reported and trusted boxes off the target",
        "",
        f"Made by `python benchmarks/loss_detection.py` from the per-frame boxes of the one-pass evaluation "
        f"(`{args.boxes.relative_to(ROOT) if args.boxes.is_relative_to(ROOT) else args.boxes}`, written by "
        "`make results`); no tracker is run. A frame is *off the target* when its box does not overlap the "
        f"ground truth at all (IoU 0), *on the target* from IoU {ON_TARGET_IOU:g}. *Trusted boxes off the "
        "target* are the frames a tracker reported `ok` whose box is off the target: what a user who keeps "
        "only the `ok` boxes still gets wrong. Sorted by that rate. OpenCV's MIL and MeanShift never report a "
        "loss; KCF and MOSSE report one on most frames they lose and on many they do not.",
        "",
        summary_table(data),
        "",
        "## Per sequence",
        "",
        "Frames off the target, how many of them were reported lost, and false alarms (frames on the "
        "target reported lost).",
        "",
        sequence_table(data, DETAILED),
        "",
    ])
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
