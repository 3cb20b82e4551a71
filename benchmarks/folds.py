"""The two folds of the shared sequences, and the table of every tracker's mean per fold.

Fold A is the first nine shared sequences (the ones the project was tuned on before issue 15), fold B
the ten added later. Defaults are chosen on one fold and checked on the other; this script turns one
or more ``meanshift eval`` output folders into ``benchmarks/results/folds.md``::

    python benchmarks/folds.py benchmarks/results [MORE_EVAL_DIRS ...] --out benchmarks/results/folds.md
"""

from __future__ import annotations

import argparse
import csv
import statistics
from pathlib import Path

FOLD_A = ("Crossing", "Human7", "Jumping", "Skiing", "Soccer", "vot2015_bag", "vot2017_ball1", "vot2017_book",
          "vot2017_tiger")
FOLD_B = ("Bird2", "David", "Deer", "DragonBaby", "Jogging-1", "MotorRolling", "Woman", "dtb70_Animal3",
          "uav123_10fps_car16_1", "uav123_10fps_wakeboard10")


def read_scores(folders: list[Path]) -> dict[str, dict[str, tuple[float, float]]]:
    """``{tracker: {sequence: (auc, p@20)}}`` from the ``per_sequence.csv`` of each evaluation folder."""
    scores: dict[str, dict[str, tuple[float, float]]] = {}
    for folder in folders:
        with open(folder / "per_sequence.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                scores.setdefault(row["tracker"], {})[row["sequence"]] = (float(row["auc"]),
                                                                         float(row["precision_20"]))
    return scores


def fold_means(per_sequence: dict[str, tuple[float, float]], fold: tuple[str, ...]) -> tuple[float, float] | None:
    """Mean AUC and P@20 over the fold's sequences; None unless the tracker ran on all of them."""
    if not all(name in per_sequence for name in fold):
        return None
    return (statistics.fmean(per_sequence[n][0] for n in fold), statistics.fmean(per_sequence[n][1] for n in fold))


def fold_table(scores: dict[str, dict[str, tuple[float, float]]]) -> list[str]:
    """Markdown rows: per tracker, AUC / P@20 on fold A, fold B and all sequences, best overall AUC first."""
    rows = []
    for tracker, per_sequence in scores.items():
        a, b = fold_means(per_sequence, FOLD_A), fold_means(per_sequence, FOLD_B)
        every = fold_means(per_sequence, FOLD_A + FOLD_B)
        if a and b and every:
            rows.append((every[0], f"| {tracker} | {a[0]:.3f} / {a[1]:.3f} | {b[0]:.3f} / {b[1]:.3f} | "
                                   f"**{every[0]:.3f}** / {every[1]:.3f} |"))
    rows.sort(reverse=True)
    return ["| tracker | fold A (9): AUC / P@20 | fold B (10): AUC / P@20 | all 19: AUC / P@20 |",
            "|---|---:|---:|---:|", *(line for _, line in rows)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="meanshift eval output folders")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "folds.md")
    args = parser.parse_args()
    lines = ["# Accuracy per fold", "",
             f"Made by `python benchmarks/folds.py {' '.join(str(f) for f in args.folders)}` from `meanshift eval` "
             "(one pass, OTB protocol). Fold A: " + ", ".join(FOLD_A) + ". Fold B: " + ", ".join(FOLD_B) + ".",
             "", "<!-- --8<-- [start:table] -->", *fold_table(read_scores(args.folders)),
             "<!-- --8<-- [end:table] -->", ""]
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
