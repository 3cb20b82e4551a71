"""Regenerate the demo clip that ships with the project: examples/data/demo.mp4 and demo.box.

A red ellipse moving on a loop over a green/blue block background while it grows and shrinks
(``meanshift.synthetic.moving_target_sequence``), 120 frames of 320x240 at 30 fps, and its first
box in the sidecar file that ``meanshift track --box-file`` and ``meanshift batch`` read.

Usage::

    python examples/make_demo_clip.py [OUT_DIR]      # default: examples/data

Then::

    meanshift track examples/data/demo.mp4 --box-file examples/data/demo.box --output boxes.csv
"""

import sys
from pathlib import Path

from meanshift.io import VideoWriter, format_box
from meanshift.synthetic import moving_target_sequence

out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
out_dir.mkdir(parents=True, exist_ok=True)

with VideoWriter(out_dir / "demo.mp4", fps=30) as writer:
    for index, (frame, box) in enumerate(moving_target_sequence(n_frames=120, frame_size=(240, 320), seed=7)):
        writer.write(frame)
        if index == 0:
            (out_dir / "demo.box").write_text(format_box(box) + "\n")

print(f"wrote {writer.frames_written} frames to {writer.path} and the first box to {out_dir / 'demo.box'}")
