"""Track one video file; save the boxes as CSV and an annotated copy of the video.

Usage::

    python examples/track_file.py                                  # the demo clip -> out/boxes.csv, out/tracked.mp4
    python examples/track_file.py clip.mp4 --box 120,80,40,60 --out results/

The same as ``meanshift track clip.mp4 --box ... --output ... --output-video ...``, written out.
"""

import argparse
import csv
from pathlib import Path

import meanshift
from meanshift.io import VideoWriter, draw_result, open_source, parse_box, read_box_file

DEMO = Path(__file__).parent / "data" / "demo.mp4"
parser = argparse.ArgumentParser(description="Track one video file.")
parser.add_argument("video", nargs="?", default=str(DEMO))
parser.add_argument("--box", type=parse_box, help="x,y,w,h in the first frame (default: VIDEO's .box file)")
# out/ by default, as `make demo` writes: the checkout ignores it (.gitignore), where files in the current
# folder would be left lying in the working tree.
parser.add_argument("--out", type=Path, default=Path("out"), help="folder for boxes.csv and tracked.mp4 (default: out)")
args = parser.parse_args()
box = args.box or read_box_file(Path(args.video).with_suffix(".box"))
args.out.mkdir(parents=True, exist_ok=True)

tracker = meanshift.generalized()
with (
    open_source(args.video) as source,
    VideoWriter(args.out / "tracked.mp4", fps=source.fps or 30) as writer,
    open(args.out / "boxes.csv", "w", newline="") as table,
):
    rows = csv.writer(table)
    rows.writerow(["frame", "x", "y", "w", "h", "score", "ok"])
    for index, frame in enumerate(source):
        if index == 0:
            tracker.init(frame, box)  # the first frame defines the target
            rows.writerow([0, *box, "", 1])
            writer.write(frame)
            continue
        result = tracker.update(frame)
        rows.writerow([index, *(round(v, 2) for v in result.box), round(result.score, 4), int(result.ok)])
        writer.write(draw_result(frame.copy(), result, (0, 255, 255)))

print(f"tracked {index + 1} frames of {args.video}: {args.out / 'boxes.csv'}, {args.out / 'tracked.mp4'}")
