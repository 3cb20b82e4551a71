"""The `meanshift` command line, end to end: real video files, an OTB folder, bad input.

Most runs are in-process with click's CliRunner (fast, rasterio-style); the bad-input checks run the
real program in a subprocess, because "one line on stderr, no traceback, non-zero exit" is about
what a user sees in the terminal.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from support import count_frames, default_signals

import meanshift
from meanshift.apps.cli import LAZY_SUBCOMMANDS, PRESET_NAMES, main
from meanshift.io import VideoWriter, format_box
from meanshift.synthetic import moving_target_sequence

ROOT = Path(__file__).resolve().parents[1]
SEQUENCES = ROOT.parent / "shared" / "data" / "sequences"


def write_clip(path: Path, n_frames: int = 40, size=(240, 320), seed: int = 0) -> list:
    """A synthetic clip written with OpenCV (mp4 or avi from the name); returns ground-truth boxes."""
    boxes = []
    with VideoWriter(path, fps=30) as writer:
        for frame, box in moving_target_sequence(n_frames, size, seed=seed):
            writer.write(frame)
            boxes.append(box)
    return boxes


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def centre(box) -> np.ndarray:
    x, y, w, h = box
    return np.array([x + (w - 1) / 2, y + (h - 1) / 2])


def centre_errors(rows: list[dict], truth) -> np.ndarray:
    tracked = [centre([float(r[k]) for k in "xywh"]) for r in rows]
    return np.array([np.linalg.norm(t - centre(b)) for t, b in zip(tracked, truth, strict=True)])


def run(*args: str) -> object:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def run_process(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = os.pathsep.join([str(ROOT), full_env.get("PYTHONPATH", "")])
    return subprocess.run(
        [sys.executable, "-m", "meanshift", *args], capture_output=True, text=True, env=full_env, timeout=120
    )


# ------------------------------------------------------------------------------- help and shape


@pytest.mark.parametrize("command", [[], ["track"], ["webcam"], ["batch"]])
def test_every_command_has_help_with_examples(command):
    result = run(*command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "meanshift" in result.output


def test_version_and_python_dash_m():
    result = run("--version")
    assert result.exit_code == 0 and result.output.strip() == f"meanshift {meanshift.__version__}"
    process = run_process("--help")
    assert process.returncode == 0 and "track" in process.stdout and "batch" in process.stdout


def test_preset_choices_match_the_library():
    assert tuple(PRESET_NAMES) == tuple(meanshift.PRESETS)


def test_subcommands_from_other_modules_are_loaded_on_demand(tmp_path, monkeypatch):
    module = tmp_path / "fake_subcommand.py"
    module.write_text(
        "import click\n\n\n@click.command('hello')\ndef command():\n    'Say hello.'\n"
        "    click.echo('hello!')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(LAZY_SUBCOMMANDS, "hello", "fake_subcommand")
    monkeypatch.setitem(LAZY_SUBCOMMANDS, "absent", "no_such_module_anywhere")
    listing = run("--help").output
    assert "hello" in listing and "absent" not in listing
    assert run("hello").output == "hello!\n"
    main.commands.pop("hello", None)


# ------------------------------------------------------------------------------- track: files


@pytest.mark.parametrize("name", ["clip.mp4", "clip.avi"])
def test_track_a_video_file_end_to_end(tmp_path, name):
    video = tmp_path / name
    truth = write_clip(video, n_frames=40)
    boxes_csv, annotated = tmp_path / "boxes.csv", tmp_path / "tracked.mp4"
    result = run("track", str(video), "--box", format_box(truth[0]), "--output", str(boxes_csv),
                 "--output-video", str(annotated))
    assert result.exit_code == 0, result.output
    assert "tracked 40 frames" in result.output and "lost in 0 frames" in result.output

    rows = read_rows(boxes_csv)
    assert len(rows) == 40  # one row per frame
    assert [int(r["frame"]) for r in rows] == list(range(40))
    assert rows[0]["score"] == "" and all(r["score"] for r in rows[1:])
    errors = centre_errors(rows, truth)
    assert errors.max() < 10, errors  # the target is ~48x36 px and moves ~5 px a frame
    assert all(r["ok"] == "1" for r in rows)

    frames, size = count_frames(annotated)
    assert frames == 40 and size == (240, 320)


def test_track_streams_the_csv_and_honours_max_frames(tmp_path):
    video = tmp_path / "clip.mp4"
    truth = write_clip(video, n_frames=30)
    out = tmp_path / "boxes.csv"
    box = format_box(truth[0])
    result = run("track", str(video), "--box", box, "-o", str(out), "--max-frames", "12", "-q")
    assert result.exit_code == 0 and result.output == ""
    assert len(read_rows(out)) == 12


def test_track_several_targets_each_in_its_own_rows(tmp_path):
    video = tmp_path / "clip.mp4"
    truth = write_clip(video, n_frames=20)
    out = tmp_path / "boxes.csv"
    result = run("track", str(video), "--box", format_box(truth[0]), "--box", "10,10,30,30", "-o", str(out))
    assert result.exit_code == 0, result.output
    rows = read_rows(out)
    assert len(rows) == 40
    assert {r["target"] for r in rows} == {"0", "1"}
    assert [r["frame"] for r in rows if r["target"] == "1"] == [str(i) for i in range(20)]


def test_track_reads_box_files_and_sidecars(tmp_path):
    video = tmp_path / "clip.avi"
    truth = write_clip(video, n_frames=10)
    box_file = tmp_path / "target.txt"
    box_file.write_text(format_box(truth[0]) + "\n")
    out = tmp_path / "a.csv"
    assert run("track", str(video), "--box-file", str(box_file), "-o", str(out)).exit_code == 0
    assert len(read_rows(out)) == 10
    # No --box at all: the sidecar clip.box next to the video is used, and the user is told so.
    (tmp_path / "clip.box").write_text(format_box(truth[0]))
    result = run("track", str(video), "-o", str(tmp_path / "b.csv"))
    assert result.exit_code == 0 and "from " + str(tmp_path / "clip.box") in result.output
    assert read_rows(tmp_path / "b.csv")[0]["x"] == read_rows(out)[0]["x"]


@pytest.mark.parametrize("preset", PRESET_NAMES)
def test_track_with_each_preset_and_options(tmp_path, preset):
    video = tmp_path / "clip.mp4"
    truth = write_clip(video, n_frames=8)
    result = run("track", str(video), "--box", format_box(truth[0]), "--preset", preset, "--kernel", "flat",
                 "--bins", "12", "-o", str(tmp_path / "b.csv"))
    assert result.exit_code == 0, result.output
    assert len(read_rows(tmp_path / "b.csv")) == 8


@pytest.mark.skipif(not (SEQUENCES / "Crossing").is_dir(), reason="shared sequences absent (../shared/data)")
def test_track_an_otb_folder(tmp_path):
    seq = SEQUENCES / "Crossing"
    truth = np.loadtxt(seq / "groundtruth_rect.txt", delimiter=",")
    out = tmp_path / "crossing.csv"
    video = tmp_path / "crossing.mp4"
    result = run("track", str(seq), "-o", str(out), "--output-video", str(video))  # box: groundtruth_rect.txt
    assert result.exit_code == 0, result.output
    assert "groundtruth_rect.txt" in result.output
    rows = read_rows(out)
    n_images = len(list((seq / "img").glob("*.jpg")))
    assert len(rows) == n_images == len(truth)
    errors = centre_errors(rows, truth)
    assert np.mean(errors < 20) > 0.8  # precision at 20 px: the pedestrian is followed
    frames, size = count_frames(video)
    assert frames == n_images and size == cv2.imread(str(seq / "img" / "0001.jpg")).shape[:2]


def test_track_a_stream_url(tmp_path):
    import functools
    import http.server
    import threading

    video = tmp_path / "clip.avi"  # AVI reads front to back: no seeking needed over plain HTTP
    truth = write_clip(video, n_frames=15)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/clip.avi"
        out = tmp_path / "url.csv"
        result = run("track", url, "--box", format_box(truth[0]), "-o", str(out))
    finally:
        server.shutdown()
        thread.join()
    assert result.exit_code == 0, result.output
    assert len(read_rows(out)) == 15


@pytest.mark.parametrize(("how", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_ctrl_c_stops_track_cleanly_and_keeps_the_rows(tmp_path, how, code):
    """Ctrl-C (SIGINT), or a supervisor's SIGTERM: every row so far in the CSV and a playable video."""
    import signal
    import time

    from meanshift.apps.batch import track_video

    video = tmp_path / "long.avi"
    truth = write_clip(video, n_frames=600)
    out, annotated = tmp_path / "boxes.csv", tmp_path / "slow.mp4"  # mp4: unplayable unless closed properly
    # Kernels in Numba's on-disk cache first: on a fresh checkout, with other tests compiling beside it,
    # the command could still be compiling when the signal is sent; the test is about the interruption.
    track_video(str(video), truth[0], max_frames=2)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    # Writing the annotated video too makes the run last long enough to be interrupted midway.
    process = subprocess.Popen(
        [sys.executable, "-m", "meanshift", "track", str(video), "--box", format_box(truth[0]), "-o", str(out),
         "--output-video", str(annotated)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=default_signals,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or len(out.read_text().splitlines()) < 10):
        time.sleep(0.02)
    process.send_signal(getattr(signal, how))
    _, stderr = process.communicate(timeout=30)
    rows = read_rows(out)
    if len(rows) == 600:
        pytest.skip("tracking finished before the interrupt arrived")
    assert process.returncode == code, stderr
    assert "Traceback" not in stderr and "interrupted after" in stderr
    assert [int(r["frame"]) for r in rows] == list(range(len(rows)))  # whole rows, streamed in order
    frames, size = count_frames(annotated)  # the video was closed: its index is written, it plays
    assert size == (240, 320)
    # A frame's row and its video frame are written as one, and the message says exactly what both hold.
    assert frames == len(rows), stderr
    assert told_frames(stderr, out, annotated) == {str(out): len(rows), str(annotated): frames}, stderr


def told_frames(message: str, *paths: Path) -> dict[str, int]:
    """``{path: frames}`` as the last message states them, in either of its two forms."""
    both = re.search(r"; (.+) and (.+) hold the (\d+) frames tracked before", message)
    if both:
        return {both.group(1): int(both.group(3)), both.group(2): int(both.group(3))}
    return {str(p): int(re.search(re.escape(str(p)) + r" holds (?:the )?(\d+) frames?", message).group(1))
            for p in paths}


def test_box_separators_are_documented_and_read_alike(tmp_path):
    """`--box "10;10;20;20"` and `--box "10 10 20 20"` were taken silently as 10,10,20,20: now --help says so."""
    video = tmp_path / "clip.avi"
    truth = write_clip(video, n_frames=5)
    x, y, w, h = (round(v) for v in truth[0])
    written = []
    for separator in (",", ";", " ", "\t", ", "):
        out = tmp_path / f"boxes{len(written)}.csv"
        result = run("track", str(video), "--box", separator.join(str(v) for v in (x, y, w, h)), "-o", str(out), "-q")
        assert result.exit_code == 0, result.output
        written.append(out.read_text())
    assert len(set(written)) == 1
    help_text = " ".join(run("track", "--help").output.split())
    assert "separated by commas (or semicolons, spaces or tabs, as in a box file: quote them)" in help_text


def test_a_box_partly_outside_the_frame_is_clipped_with_a_note(tmp_path):
    video = tmp_path / "clip.avi"
    write_clip(video, n_frames=5)  # 320x240
    out = tmp_path / "boxes.csv"
    result = run("track", str(video), "--box", "300,200,40,60", "-o", str(out))
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("note:")]
    assert notes == ["note: box 300,200,40,60 reaches outside the 320x240 frame: tracking the part inside it, "
                     "300,200,20,40"], result.output
    assert [float(read_rows(out)[0][k]) for k in "xywh"] == [300, 200, 20, 40]
    quiet = run("track", str(video), "--box", "300,200,40,60", "-o", str(out), "-q")
    assert quiet.exit_code == 0 and "note:" not in quiet.output
    inside = run("track", str(video), "--box", "100,100,40,60", "-o", str(out))
    assert inside.exit_code == 0 and "note:" not in inside.output


class _FakeWindow:
    """Stands in for OpenCV's window functions (no display here): Ctrl-C arrives while the window waits for
    a key after frame ``interrupt_after``, as it does when the user presses it in the terminal."""

    def __init__(self, interrupt_after: int):
        self.interrupt_after = interrupt_after
        self.shown = 0

    def install(self, patch) -> None:
        import meanshift.apps.live as live

        patch.setattr(live, "has_display", lambda: True)
        for name in ("namedWindow", "destroyWindow", "destroyAllWindows", "setWindowTitle"):
            patch.setattr(cv2, name, lambda *args: None)
        patch.setattr(cv2, "imshow", self.imshow)
        patch.setattr(cv2, "waitKey", self.wait_key)
        patch.setattr(cv2, "getWindowProperty", lambda *args: 1.0)

    def imshow(self, window, image) -> None:
        self.shown += 1

    def wait_key(self, delay=0) -> int:
        if self.shown >= self.interrupt_after:
            raise KeyboardInterrupt
        return -1


def test_ctrl_c_with_show_prints_the_same_last_line_as_without(tmp_path, monkeypatch):
    """With --show, Ctrl-C used to end the run without a word; now it says what the outputs hold, as without."""
    video = tmp_path / "long.avi"
    truth = write_clip(video, n_frames=60)
    out, annotated = tmp_path / "long.csv", tmp_path / "long_tracked.mp4"
    window = _FakeWindow(interrupt_after=21)
    with monkeypatch.context() as patch:
        window.install(patch)
        result = CliRunner().invoke(main, ["track", str(video), "--box", format_box(truth[0]), "-o", str(out),
                                           "--output-video", str(annotated), "--show", "--no-pace"])
    assert result.exit_code == 130, result.output
    rows = read_rows(out)
    frames, _ = count_frames(annotated)  # closed before the line was printed: the video plays
    assert len(rows) == frames == 21
    last = (result.output.strip().splitlines() or ["(nothing printed)"])[-1]
    assert last == f"interrupted after 21 frames; {out} and {annotated} hold the 21 frames tracked before"
    assert told_frames(last, out, annotated) == {str(out): 21, str(annotated): 21}


class _StoppingCamera:
    """Stands in for ``cv2.VideoCapture`` of a camera that delivers ``n`` frames, then nothing."""

    def __init__(self, n: int, size=(240, 320)):
        self.frames = [frame for frame, _ in moving_target_sequence(n, size)]

    def __call__(self, target):
        return self

    def isOpened(self):  # noqa: N802 (cv2's name)
        return True

    def read(self):
        return (True, self.frames.pop(0)) if self.frames else (False, None)

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else -1.0

    def set(self, prop, value):
        return True

    def release(self):
        pass


def test_a_camera_that_stops_delivering_fails_the_run_and_keeps_what_was_tracked(tmp_path, monkeypatch):
    out, annotated = tmp_path / "cam.csv", tmp_path / "cam.mp4"
    box = format_box(next(moving_target_sequence(1, (240, 320)))[1])
    with monkeypatch.context() as patch:
        patch.setattr(cv2, "VideoCapture", _StoppingCamera(25))
        result = CliRunner().invoke(main, ["track", "0", "--box", box, "-o", str(out), "--output-video",
                                           str(annotated)])
    assert result.exit_code == 1, result.output
    assert "camera 0 stopped delivering frames after 25" in result.output
    assert "hold the 25 frames tracked before" in result.output
    assert [int(r["frame"]) for r in read_rows(out)] == list(range(25))
    assert count_frames(annotated) == (25, (240, 320))


def test_a_frame_folder_changing_resolution_midway_fails_and_keeps_what_was_tracked(tmp_path):
    folder = tmp_path / "seq" / "img"
    folder.mkdir(parents=True)
    frames = list(moving_target_sequence(8, (120, 160), base_size=(30, 24)))
    for i, (frame, _) in enumerate(frames):
        cv2.imwrite(str(folder / f"{i + 1:04d}.png"), frame if i < 5 else cv2.resize(frame, (200, 150)))
    out, annotated = tmp_path / "b.csv", tmp_path / "b.mp4"
    result = run("track", str(tmp_path / "seq"), "--box", format_box(frames[0][1]), "-o", str(out),
                 "--output-video", str(annotated))
    assert result.exit_code == 1
    assert "0006.png is 200x150, the others are 160x120" in result.output
    assert len(read_rows(out)) == 5 and count_frames(annotated) == (5, (120, 160))


@pytest.mark.parametrize("damage", ["truncated", "corrupt-middle"])
def test_a_broken_file_is_tracked_as_far_as_it_decodes_then_fails(tmp_path, damage):
    video = tmp_path / "clip.avi"
    truth = write_clip(video, n_frames=100, size=(120, 160))
    data = bytearray(video.read_bytes())
    if damage == "truncated":
        del data[len(data) // 3 :]  # AVI keeps the frame count in its header
    else:
        start = len(data) // 3
        data[start : start + len(data) // 2] = np.random.default_rng(0).integers(0, 256, len(data) // 2,
                                                                                 np.uint8).tobytes()
    video.write_bytes(bytes(data))
    out = tmp_path / "b.csv"
    result = run("track", str(video), "--box", format_box(truth[0]), "-o", str(out), "-q")
    rows = read_rows(out)
    assert result.exit_code == 1, result.output
    assert 0 < len(rows) < 100 and f"read {len(rows)} of the 100 frames" in result.output
    assert f"holds the {len(rows)} frames tracked before" in result.output


# ------------------------------------------------------------------------------- bad input


def assert_one_line_error(process: subprocess.CompletedProcess, *fragments: str) -> None:
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    assert process.returncode != 0
    assert "Traceback" not in process.stderr
    assert len(lines) == 1, process.stderr
    assert lines[0].startswith("Error: ")
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def small_clip(tmp_path_factory) -> Path:
    video = tmp_path_factory.mktemp("clip") / "small.mp4"
    write_clip(video, n_frames=5)
    return video


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["track", "{tmp}/missing.mp4", "--box", "1,2,3,4"], ["no such file or folder", "missing.mp4"]),
        (["track", "{tmp}/missing.mp4"], ["no such file or folder"]),
        (["track", "93", "--box", "1,2,3,4"], ["cannot open camera 93"]),
        (["track", "{clip}", "--box", "10,20,30"], ["malformed box '10,20,30'", "x,y,w,h"]),
        (["track", "{clip}", "--box", "10,20,-3,4"], ["--box", "width or height"]),
        (["track", "{clip}", "--box", "400,300,20,20"], ["box 400,300,20,20 lies outside the 320x240 frame"]),
        (["track", "{clip}", "--box", "1,2,30,30", "--similarity", "nope"], ["unknown similarity 'nope'"]),
        (["track", "{clip}", "--box", "1,2,30,30", "-o", "{tmp}/no/b.csv"], ["cannot write", "not exist"]),
        (["track", "{tmp}/corrupt.mp4", "--box", "1,2,3,4"], ["cannot open video", "corrupt.mp4"]),
        (["track", "{tmp}/empty.mp4", "--box", "1,2,3,4"], ["cannot open video", "empty.mp4: empty file (0 bytes)"]),
        (["track", "{clip}"], ["no target box", "--box"]),
        (["track", "{clip}", "--box", "1,2,30,30", "--show"], ["--show needs a display"]),
        (["webcam", "--camera", "93"], ["cannot open camera 93"]),
        (["batch", "{tmp}/empty", "--out", "{tmp}/out"], ["no videos in"]),
    ],
    ids=["missing-file", "missing-file-no-box", "camera", "box-3-numbers", "box-negative", "box-outside",
         "similarity", "output-dir", "corrupt", "empty-file", "no-box-no-display", "show-no-display",
         "webcam-no-camera", "batch-empty"],
)
def test_bad_input_gives_one_line_and_non_zero_exit(tmp_path, small_clip, args, fragments):
    (tmp_path / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(3000))
    (tmp_path / "empty.mp4").write_bytes(b"")  # a copy that failed, a download that never started
    (tmp_path / "empty").mkdir()
    args = [a.format(tmp=tmp_path, clip=small_clip) for a in args]
    no_display = {"DISPLAY": "", "WAYLAND_DISPLAY": ""}
    assert_one_line_error(run_process(*args, env=no_display), *fragments)
