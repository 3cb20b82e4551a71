"""Build a VOT-toolkit workspace from OTB-layout sequences, to evaluate offline with `vot evaluate`.

The VOT toolkit downloads a stack's dataset only when the stack names one and the workspace's
``sequences/list.txt`` is missing; this workspace has both a local stack without a dataset and a
``list.txt``, so nothing is downloaded. Usage::

    python benchmarks/vot_workspace.py WORKSPACE [DATASET_DIR] [-s Crossing,vot2017_ball1] [--max-frames N]
    cd WORKSPACE
    vot evaluate meanshift_generalized            # runs the tracker through TraX, writes results/
    vot analysis meanshift_generalized --name offline   # writes analysis/offline.json
    vot report meanshift_generalized --format html      # writes reports/ (HTML tables and plots)

What it writes (the VOT layout the toolkit reads)::

    WORKSPACE/
      config.yaml          stack: stack.yaml, registry: [./trackers.ini]
      stack.yaml           one experiment, `baseline`: one pass from frame 1, no re-initialisation (the
                           OTB protocol, VOT's "unsupervised" experiment): average overlap, success plot
      trackers.ini         one TraX entry per meanshift preset, run by this Python
      sequences/
        list.txt           one sequence name per line
        Crossing/
          sequence         metadata: channels.color=color/%08d.jpg, fps, width, height, length
          groundtruth.txt  one region per line, 0-based: x,y,w,h or the VOT polygon x1,y1,...,x4,y4
          color/00000001.jpg ...   symbolic links to the source frames (--copy to copy them)
          *.tag            per-frame attribute tags, when the source has vot_tags/

OTB ground truth is 1-based (MATLAB) and is shifted by one pixel to VOT's 0-based convention (the
``gt_coord_origin`` column of ``manifest.tsv`` says which sequences are 1-based; without a manifest a
sequence is taken as OTB unless it has a VOT polygon file). VOT-derived sequences keep their polygons
(``groundtruth_vot_polygon.txt``) unless ``--rectangles`` is given.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout without installing: the datasets reader is ours

from meanshift.evaluation.datasets import DatasetError, load_dataset, read_frame  # noqa: E402

POLYGON_FILE = "groundtruth_vot_polygon.txt"
TAGS_DIR = "vot_tags"

STACK = """\
title: meanshift offline stack (local sequences, nothing to download)
experiments:
  baseline:
    type: unsupervised
    repetitions: 1
    analyses:
      - type: average_accuracy
        name: accuracy
        burnin: 0
      - type: average_success_plot
        name: success
        burnin: 0
"""


def trackers_ini(python: str = sys.executable) -> str:
    """One ``trackers.ini`` section per preset: ``meanshift_<preset>`` run by ``python``."""
    import meanshift

    sections = []
    for preset in meanshift.PRESETS:
        ident = "meanshift_" + preset.replace("-", "_")
        sections.append(
            f"[{ident}]\n"
            f"label = meanshift ({preset})\n"
            "protocol = trax\n"
            f"command = {python} -m meanshift.integrations.vot --preset {preset}\n"
            "# Numba compiles on the first start of a fresh install (about 40 s on 2 cores)\n"
            "timeout = 120\n"
        )
    return "\n".join(sections)


def _origins(dataset: Path) -> dict[str, int]:
    manifest = dataset / "manifest.tsv"
    if not manifest.is_file():
        return {}
    with manifest.open(newline="", encoding="utf-8") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return {r["name"]: int(r["gt_coord_origin"]) for r in rows if r.get("gt_coord_origin", "").isdigit()}


def _format_numbers(values) -> str:
    if any(not math.isfinite(float(v)) for v in values):
        return "0"  # VOT's special region 0: state unknown in this frame
    return ",".join(f"{float(v):.4f}".rstrip("0").rstrip(".") for v in values)


def _read_polygons(path: Path) -> list[list[float]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            rows.append([float(v) for v in line.replace("\t", ",").split(",") if v.strip()])
    return rows


def build_workspace(
    workspace: Path,
    dataset: Path,
    names: list[str] | None = None,
    *,
    max_frames: int | None = None,
    rectangles: bool = False,
    copy: bool = False,
) -> list[str]:
    """Write a VOT workspace for ``names`` (default: every loadable sequence of ``dataset``).

    Returns the names of the sequences written. Sequences whose frame and ground-truth counts differ
    (OTB sequences with start offsets) are left out with a message, unless named explicitly.
    """
    workspace = Path(workspace)
    if (workspace / "config.yaml").exists():
        raise SystemExit(f"{workspace} already holds a workspace (config.yaml); choose an empty folder")
    if names is None:
        names = sorted(p.name for p in Path(dataset).iterdir() if (p / "img").is_dir())
        explicit = False
    else:
        explicit = True
    origins = _origins(Path(dataset))
    sequences_dir = workspace / "sequences"
    sequences_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names:
        try:
            (seq,) = load_dataset(dataset, names=[name], max_frames=max_frames)
        except DatasetError as exc:
            if explicit:
                raise
            print(f"skipped {name}: {exc}", file=sys.stderr)
            continue
        out = sequences_dir / name
        color = out / "color"
        color.mkdir(parents=True, exist_ok=True)
        for i, src in enumerate(seq.frame_paths, start=1):
            dst = color / f"{i:08d}.jpg"
            if src.suffix.lower() not in (".jpg", ".jpeg"):
                import cv2

                cv2.imwrite(str(dst), read_frame(src, "unchanged"))
            elif copy:
                shutil.copyfile(src, dst)
            else:
                os.symlink(src.resolve(), dst)
        polygon_file = seq.path / POLYGON_FILE
        if polygon_file.is_file() and not rectangles:
            regions = _read_polygons(polygon_file)[: len(seq)]
        else:
            origin = origins.get(name, 0 if polygon_file.is_file() else 1)
            regions = [[x - origin, y - origin, w, h] for x, y, w, h in seq.groundtruth.tolist()]
        (out / "groundtruth.txt").write_text("".join(_format_numbers(r) + "\n" for r in regions))
        height, width = seq.frame(0).shape[:2]
        (out / "sequence").write_text(
            f"name={name}\nfps=30\nformat=default\nchannels.color=color/%08d.jpg\n"
            f"width={width}\nheight={height}\nlength={len(seq)}\n"
        )
        tags = seq.path / TAGS_DIR
        if tags.is_dir():
            for tag in sorted(tags.glob("*.tag")):
                lines = tag.read_text(encoding="utf-8").splitlines()[: len(seq)]
                (out / tag.name).write_text("".join(line + "\n" for line in lines))
        written.append(name)
    if not written:
        raise SystemExit(f"no sequence written from {dataset}")
    (sequences_dir / "list.txt").write_text("".join(n + "\n" for n in written))
    (workspace / "stack.yaml").write_text(STACK)
    (workspace / "trackers.ini").write_text(trackers_ini())
    (workspace / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: stack.yaml\n")
    (workspace / "results").mkdir(exist_ok=True)
    return written


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workspace", type=Path, help="folder to create (must not hold a workspace yet)")
    parser.add_argument("dataset", nargs="?", type=Path, default=ROOT.parent / "shared" / "data" / "sequences",
                        help="OTB-layout dataset folder (default: ../shared/data/sequences)")
    parser.add_argument("-s", "--sequences", help="comma-separated sequence names (default: all)")
    parser.add_argument("--max-frames", type=int, help="cut every sequence to its first N frames")
    parser.add_argument("--rectangles", action="store_true",
                        help="write x,y,w,h rectangles even where the source has VOT polygons")
    parser.add_argument("--copy", action="store_true", help="copy the frames instead of linking them")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.sequences.split(",") if n.strip()] if args.sequences else None
    written = build_workspace(args.workspace, args.dataset, names, max_frames=args.max_frames,
                              rectangles=args.rectangles, copy=args.copy)
    print(f"wrote {len(written)} sequences to {args.workspace / 'sequences'}: {', '.join(written)}")
    print(f"next: cd {args.workspace} && vot evaluate meanshift_generalized && vot analysis meanshift_generalized")


if __name__ == "__main__":
    main()
