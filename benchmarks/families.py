"""The development set's families, and the table of every tracker's mean per family.

The 36 sequences of ``../shared`` (24 JPEG folders in ``data/sequences``, 12 H.264 videos in
``data/videos``) fall into families that fail in different ways: **OTB** (16: people, faces, cars
filmed from the ground), **VOT** (6), **aerial** (13: UAV123, DTB70 and UAVDT, small targets whose
size changes several times over) and one thermal sequence, ``vottir_birds``, reported on its own and
counted in the overall mean. A change is kept only if no family loses (see the accuracy issue); this
module is the one place that says which sequence belongs where. It turns one or more
``meanshift eval`` output folders into ``benchmarks/results/families.md``::

    python benchmarks/families.py benchmarks/results [MORE_EVAL_DIRS ...] --out benchmarks/results/families.md
"""

from __future__ import annotations

import argparse
import csv
import statistics
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: The two folders of the development set, pooled by every benchmark here.
DATASETS = (ROOT.parent / "shared" / "data" / "sequences", ROOT.parent / "shared" / "data" / "videos")

FAMILIES: dict[str, tuple[str, ...]] = {
    "OTB": ("Bird2", "Crossing", "David", "Deer", "DragonBaby", "FaceOcc1", "Human3", "Human7", "Jogging-1",
            "Jumping", "MotorRolling", "Skiing", "Soccer", "Woman", "otb_KiteSurf", "otb_Surfer"),
    "VOT": ("vot2015_bag", "vot2017_ball1", "vot2017_basketball", "vot2017_book", "vot2017_car1", "vot2017_tiger"),
    "aerial": ("dtb70_Animal3", "dtb70_Gull1", "dtb70_Gull2", "dtb70_MountainBike6", "uav123_10fps_car16_1",
               "uav123_10fps_person12_1", "uav123_10fps_truck2", "uav123_10fps_wakeboard10", "uavdt_S0310",
               "uavdt_S0601", "uavdt_S1001", "uavdt_S1301", "uavdt_S1606"),
    "thermal": ("vottir_birds",),
}
#: Every sequence of the development set, family by family.
ALL = tuple(name for names in FAMILIES.values() for name in names)
#: The grey-level sequences (one thermal video, and OTB's Jumping stored as gray JPEGs).
GRAY = ("Jumping", "vottir_birds")


def family_of(sequence: str) -> str:
    """The family a sequence belongs to (``"other"`` for a sequence outside the development set).

    Examples
    --------
    >>> family_of("otb_Surfer"), family_of("uavdt_S1606"), family_of("vottir_birds"), family_of("mine")
    ('OTB', 'aerial', 'thermal', 'other')
    """
    for family, names in FAMILIES.items():
        if sequence in names:
            return family
    return "other"


def read_scores(folders: Iterable[Path]) -> dict[str, dict[str, tuple[float, float]]]:
    """``{tracker: {sequence: (auc, p@20)}}`` from the ``per_sequence.csv`` of each evaluation folder."""
    scores: dict[str, dict[str, tuple[float, float]]] = {}
    for folder in folders:
        with open(Path(folder) / "per_sequence.csv", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                scores.setdefault(row["tracker"], {})[row["sequence"]] = (float(row["auc"]),
                                                                         float(row["precision_20"]))
    return scores


def family_means(per_sequence: Mapping[str, tuple[float, ...]], names: Iterable[str]) -> tuple[float, ...] | None:
    """Mean of each score over the named sequences; None unless the tracker ran on every one of them."""
    names = list(names)
    if not names or not all(name in per_sequence for name in names):
        return None
    width = len(per_sequence[names[0]])
    return tuple(statistics.fmean(per_sequence[n][i] for n in names) for i in range(width))


def sign_count(new: Mapping[str, float], old: Mapping[str, float], names: Iterable[str],
               margin: float = 0.01) -> tuple[int, int]:
    """``(better, worse)``: sequences among ``names`` whose score moved up / down by more than ``margin``.

    Examples
    --------
    >>> sign_count({"a": 0.5, "b": 0.2, "c": 0.3}, {"a": 0.4, "b": 0.25, "c": 0.305}, "abc")
    (1, 1)
    """
    deltas = [new[n] - old[n] for n in names if n in new and n in old]
    return sum(d > margin for d in deltas), sum(d < -margin for d in deltas)


def family_cells(auc: Mapping[str, float], p20: Mapping[str, float],
                 reference_auc: Mapping[str, float] | None = None) -> list[str]:
    """Markdown cells ``AUC / P@20 (+better / −worse)`` per family and over all 36 ("—" where a sequence is missing).

    ``auc`` and ``p20`` map sequences to scores; the sign counts (AUC moved by more than 0.01) are
    against ``reference_auc`` and left out without it.
    """
    cells = []
    for names in (*FAMILIES.values(), ALL):
        if not all(n in auc and n in p20 for n in names):
            cells.append("—")
            continue
        cell = f"{statistics.fmean(auc[n] for n in names):.3f} / {statistics.fmean(p20[n] for n in names):.3f}"
        if reference_auc is not None:
            cell += " (+{} / −{})".format(*sign_count(auc, reference_auc, names))
        cells.append(cell)
    return cells


def family_heads() -> str:
    """The header cells matching :func:`family_cells`."""
    return " | ".join(f"{family} ({len(names)})" for family, names in FAMILIES.items()) + f" | all {len(ALL)}"


def held_out_choices(variants: Mapping[str, Mapping[str, float]],
                     families: Iterable[str] = ("OTB", "VOT", "aerial")) -> list[tuple[str, str, float, float]]:
    """Families as folds: for each family, the variant best on the others, and how it does on the one held out.

    ``variants`` maps a variant's name to its AUC per sequence. The choice is the variant with the best mean
    of the other families' means (every family weighs the same); the row is ``(held-out family, variant
    chosen, its AUC there, the best AUC any variant reaches there)``: a choice that carries to the family it
    was not made on has the two close.

    Examples
    --------
    >>> a = {s: 0.5 for s in ALL}; b = dict(a, **{s: 0.6 for s in FAMILIES["VOT"]})
    >>> held_out_choices({"a": a, "b": b})[0]
    ('OTB', 'b', 0.5, 0.5)
    """
    rows = []
    families = list(families)
    for held in families:
        others = [f for f in families if f != held]

        def mean_on(per: Mapping[str, float], family: str) -> float:
            return statistics.fmean(per[s] for s in FAMILIES[family])

        chosen = max(variants, key=lambda v: statistics.fmean(mean_on(variants[v], f) for f in others))
        best = max(mean_on(per, held) for per in variants.values())
        rows.append((held, chosen, mean_on(variants[chosen], held), best))
    return rows


def _cell(means: tuple[float, ...] | None) -> str:
    return "–" if means is None else f"{means[0]:.3f} / {means[1]:.3f}"


def family_table(scores: Mapping[str, Mapping[str, tuple[float, float]]], reference: str | None = None) -> list[str]:
    """Markdown rows: per tracker, AUC / P@20 per family and over all 36, best overall AUC first.

    With ``reference`` (a tracker's name), a last column counts the sequences where the tracker's AUC
    is above / below the reference's by more than 0.01.
    """
    heads = " | ".join(f"{family} ({len(names)})" for family, names in FAMILIES.items())
    sign_head = f" | vs {reference}: AUC +/- |" if reference else " |"
    lines = [f"| tracker | {heads} | all {len(ALL)}: AUC / P@20{sign_head}",
             "|---|" + "---:|" * (len(FAMILIES) + 1 + (1 if reference else 0))]
    rows = []
    for tracker, per_sequence in scores.items():
        every = family_means(per_sequence, ALL)
        if every is None:
            continue
        cells = " | ".join(_cell(family_means(per_sequence, names)) for names in FAMILIES.values())
        line = f"| {tracker} | {cells} | **{every[0]:.3f}** / {every[1]:.3f} |"
        if reference and reference in scores:
            auc = {s: v[0] for s, v in per_sequence.items()}
            ref = {s: v[0] for s, v in scores[reference].items()}
            better, worse = sign_count(auc, ref, ALL)
            line += " – |" if tracker == reference else f" +{better} / −{worse} |"
        rows.append((every[0], line))
    rows.sort(key=lambda row: -row[0])
    return lines + [line for _, line in rows]


def folder_table(scores: Mapping[str, Mapping[str, tuple[float, float]]]) -> list[str]:
    """Markdown rows: per tracker, AUC / P@20 over the JPEG folders and over the videos of ``../shared``."""
    folders = {folder.name: sorted(p.name for p in folder.iterdir() if p.is_dir()) for folder in DATASETS
               if folder.is_dir()}
    lines = ["| tracker | " + " | ".join(f"{name}/ ({len(names)})" for name, names in folders.items()) + " |",
             "|---|" + "---:|" * len(folders)]
    rows = []
    for tracker, per_sequence in scores.items():
        means = [family_means(per_sequence, names) for names in folders.values()]
        if all(m is not None for m in means):
            cells = " | ".join(_cell(m) for m in means)
            rows.append((means[-1][0] if means else 0.0, f"| {tracker} | {cells} |"))
    rows.sort(key=lambda row: -row[0])
    return lines + [line for _, line in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", type=Path, help="meanshift eval output folders")
    parser.add_argument("--reference", default="meanshift-generalized", help="tracker the sign counts compare to")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "families.md")
    args = parser.parse_args()
    families = "; ".join(f"**{family}**: {', '.join(names)}" for family, names in FAMILIES.items())
    lines = ["# Accuracy per family", "",
             f"Made by `python benchmarks/families.py {' '.join(str(f) for f in args.folders)}` from `meanshift eval` "
             "(one pass, OTB protocol) over the 36 sequences of `../shared` (24 JPEG folders, 12 H.264 videos). "
             "Cells are AUC / P@20, the mean over the family's sequences; the last column counts the sequences "
             f"where a tracker's AUC is above / below {args.reference}'s by more than 0.01.",
             "", "<!-- --8<-- [start:table] -->", *family_table(read_scores(args.folders), args.reference),
             "<!-- --8<-- [end:table] -->", "", f"Families: {families}.", "",
             "## By folder: the JPEG sequences and the H.264 videos", "",
             "The twelve videos were new to the project when they were added; nothing was tuned on them.", "",
             "<!-- --8<-- [start:folders] -->", *folder_table(read_scores(args.folders)),
             "<!-- --8<-- [end:folders] -->", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
