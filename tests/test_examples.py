"""Every script in examples/ runs, as a user would run it, and does what its docstring says."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import count_frames, xvfb

from meanshift.apps.cli import main
from meanshift.io import check_box, read_box_file

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
DEMO, DEMO_BOX = EXAMPLES / "data" / "demo.mp4", EXAMPLES / "data" / "demo.box"


def run_example(name: str, *args: str, env: dict | None = None, timeout: float = 120, cwd: Path | None = None):
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), full_env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          env=full_env, timeout=timeout, cwd=cwd)


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_the_shipped_demo_clip_and_the_make_demo_command(tmp_path):
    assert DEMO.stat().st_size < 1.5e6
    assert count_frames(DEMO) == (120, (240, 320))
    box = read_box_file(DEMO_BOX)
    assert check_box(box, (240, 320)) == box
    # What `make demo` runs, into a temporary folder.
    boxes, video = tmp_path / "demo_boxes.csv", tmp_path / "demo_tracked.mp4"
    result = CliRunner().invoke(main, ["track", str(DEMO), "--box-file", str(DEMO_BOX), "--output", str(boxes),
                                       "--output-video", str(video)])
    assert result.exit_code == 0, result.output
    assert len(rows_of(boxes)) == 120 and count_frames(video) == (120, (240, 320))


def test_make_demo_clip_regenerates_the_clip(tmp_path):
    process = run_example("make_demo_clip.py", str(tmp_path))
    assert process.returncode == 0, process.stderr
    assert count_frames(tmp_path / "demo.mp4") == (120, (240, 320))
    assert read_box_file(tmp_path / "demo.box") == read_box_file(DEMO_BOX)
    assert (tmp_path / "demo.mp4").stat().st_size < 1.5e6


def test_track_file(tmp_path):
    process = run_example("track_file.py", "--out", str(tmp_path))
    assert process.returncode == 0, process.stderr
    assert "tracked 120 frames" in process.stdout
    rows = rows_of(tmp_path / "boxes.csv")
    assert len(rows) == 120 and all(r["ok"] == "1" for r in rows)
    assert count_frames(tmp_path / "tracked.mp4") == (120, (240, 320))


def test_track_file_without_arguments_writes_into_out(tmp_path):
    """Run from the checkout's root without --out, it left boxes.csv and tracked.mp4 in the working tree;
    now they go to out/, which .gitignore leaves out (as `make demo`'s files)."""
    process = run_example("track_file.py", cwd=tmp_path)
    assert process.returncode == 0, process.stderr
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "out", "out/boxes.csv", "out/tracked.mp4"]
    assert "out/" in (ROOT / ".gitignore").read_text().splitlines()


def test_batch_folder(tmp_path):
    clips = tmp_path / "clips"
    clips.mkdir()
    for name in ("one", "two"):
        shutil.copy(DEMO, clips / f"{name}.mp4")
        shutil.copy(DEMO_BOX, clips / f"{name}.box")
    (clips / "broken.mp4").write_bytes(b"not a video at all")
    (clips / "broken.box").write_text("1,2,3,4\n")
    process = run_example("batch_folder.py", str(clips), str(tmp_path / "out"), "--jobs", "2")
    assert process.returncode == 1, process.stderr  # one video failed
    lines = process.stdout.splitlines()
    assert sum(line.startswith("ok ") for line in lines) == 2
    assert any(line.startswith("failed") and "broken.mp4" in line for line in lines)
    assert len(rows_of(tmp_path / "out" / "one.csv")) == 120
    again = run_example("batch_folder.py", str(clips), str(tmp_path / "out"))
    assert sum(line.startswith("skipped") for line in again.stdout.splitlines()) == 2


def test_webcam_without_camera_or_display_says_so():
    no_camera = run_example("webcam.py", "93")
    assert no_camera.returncode != 0 and "cannot open camera 93" in no_camera.stderr
    no_display = run_example("webcam.py", str(DEMO), env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert no_display.returncode != 0 and "no display" in no_display.stderr
    assert "Traceback" not in no_camera.stderr + no_display.stderr


@pytest.fixture
def display(tmp_path):
    """A private Xvfb (see tests/support.py)."""
    with xvfb(tmp_path / "xvfb.log") as name:
        yield name


def test_webcam_example_tracks_a_video_in_its_window(display):
    # No camera on a test machine: the example takes any source; it quits at the end of the clip.
    process = run_example("webcam.py", str(DEMO), "--box", DEMO_BOX.read_text().strip(), env={"DISPLAY": display})
    assert process.returncode == 0, process.stderr
    assert "Traceback" not in process.stderr
