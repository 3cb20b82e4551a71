"""Nothing lost: outputs never replace inputs, unwritable outputs fail before any work, reruns redo
videos whose settings changed, and an evaluation is never lost to a late error (issue 13)."""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import sys
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

from meanshift.apps.cli import main
from meanshift.io import VideoWriter, format_box
from meanshift.synthetic import moving_target_sequence


def write_clip(path: Path, n_frames: int = 12, size=(120, 160), seed: int = 0) -> tuple:
    boxes = []
    with VideoWriter(path, fps=30) as writer:
        for frame, box in moving_target_sequence(n_frames, size, seed=seed, base_size=(30, 24)):
            writer.write(frame)
            boxes.append(box)
    return boxes[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in result.output, result.output
    return errors[0]


@pytest.fixture
def clip(tmp_path) -> tuple[Path, tuple]:
    path = tmp_path / "book.avi"
    return path, write_clip(path)


# ------------------------------------------------------------------------------- 1. inputs are never outputs


@pytest.mark.parametrize("option", ["-o", "--output-video"])
def test_track_refuses_to_write_over_its_input(clip, option):
    video, box = clip
    before = digest(video)
    result = run("track", video, "--box", format_box(box), option, video)
    assert result.exit_code == 1
    assert "would destroy the input" in one_error_line(result)
    assert digest(video) == before


def test_track_sees_through_symlinks_and_dots_and_refuses_two_equal_outputs(clip, tmp_path):
    video, box = clip
    before = digest(video)
    link = tmp_path / "link.avi"
    link.symlink_to(video)
    (tmp_path / "sub").mkdir()
    for target in (link, tmp_path / "sub" / ".." / video.name):
        result = run("track", video, "--box", format_box(box), "--output-video", target)
        assert result.exit_code == 1 and "destroy the input" in one_error_line(result)
    result = run("track", video, "--box", format_box(box), "-o", tmp_path / "x.mp4", "--output-video",
                 tmp_path / "x.mp4")
    assert result.exit_code == 1 and "are the same file" in one_error_line(result)
    assert not (tmp_path / "x.mp4").exists()
    box_file = tmp_path / "book.box"
    box_file.write_text(format_box(box) + "\n")
    result = run("track", video, "-o", box_file)  # the sidecar the box is read from
    assert result.exit_code == 1 and "destroy the input" in one_error_line(result)
    assert digest(video) == before


def test_track_refuses_outputs_inside_the_frame_folder(tmp_path):
    import cv2

    seq = tmp_path / "Seq"
    (seq / "img").mkdir(parents=True)
    frames = list(moving_target_sequence(4, (120, 160), base_size=(30, 24)))
    for i, (frame, _) in enumerate(frames):
        cv2.imwrite(str(seq / "img" / f"{i + 1:04d}.png"), frame)
    result = run("track", seq, "--box", format_box(frames[0][1]), "-o", seq / "img" / "0005.png")
    assert result.exit_code == 1 and "inside the input frame folder" in one_error_line(result)
    assert not (seq / "img" / "0005.png").exists()


def test_batch_refuses_outputs_that_replace_inputs(clip, tmp_path):
    video, box = clip
    folder = tmp_path / "clips"
    folder.mkdir()
    mp4 = folder / "a.mp4"
    write_clip(mp4)
    (folder / "a.box").write_text(format_box(box) + "\n")
    before = digest(mp4)
    result = run("batch", folder, "--out", folder, "--video")  # a.mp4 annotated over a.mp4
    assert result.exit_code == 1 and "destroy the input" in one_error_line(result)
    assert digest(mp4) == before and not (folder / "summary.csv").exists()
    # A manifest beside its videos: a video named like the manifest would write over it.
    manifest = tmp_path / "m.csv"
    shutil.copy(mp4, tmp_path / "m.mp4")
    manifest.write_text(f"m.mp4,{format_box(box)}\n")
    text = manifest.read_text()
    result = run("batch", manifest, "--out", tmp_path)
    assert result.exit_code == 1 and "destroy the input" in one_error_line(result)
    assert manifest.read_text() == text


def test_eval_refuses_an_output_inside_the_dataset(toy_dataset, tmp_path):
    result = run("eval", toy_dataset, "--out", toy_dataset / "red_a" / "ev", "--no-progress")
    assert result.exit_code == 1 and "inside the dataset" in one_error_line(result)
    assert not (toy_dataset / "red_a" / "ev").exists()


# ------------------------------------------------------------------------------- 2 and 5. unwritable outputs


@pytest.fixture
def not_a_folder(tmp_path) -> Path:
    """A path under a regular file: nothing can be created there, even as root."""
    blocker = tmp_path / "file.txt"
    blocker.write_text("I am a file\n")
    return blocker / "sub"


def test_track_to_an_unwritable_place_says_what_really_failed(clip, not_a_folder):
    video, box = clip
    result = run("track", video, "--box", format_box(box), "-o", not_a_folder / "x.csv")
    line = one_error_line(result)
    assert result.exit_code == 1 and "cannot write --output" in line and "is a file, not a folder" in line
    assert "holds" not in line  # no file was written, so none holds any frames
    result = run("track", video, "--box", format_box(box), "--output-video", not_a_folder / "x.mp4")
    line = one_error_line(result)
    assert result.exit_code == 1 and "cannot write --output-video" in line and "try a .mp4" not in line


def test_video_writer_names_the_folder_not_the_codec(not_a_folder):
    import numpy as np

    from meanshift.io import VideoError

    with pytest.raises(VideoError, match="not a folder|does not exist") as info:
        VideoWriter(not_a_folder / "x.mp4").write(np.zeros((8, 8, 3), np.uint8))
    assert "try a .mp4" not in str(info.value)


def test_kept_names_only_files_that_exist(tmp_path):
    from meanshift.apps.commands.track import kept

    real = tmp_path / "real.csv"
    real.write_text("frame\n")
    assert kept({str(tmp_path / "missing.csv"): 0}) == ""
    assert kept({str(real): 3, str(tmp_path / "gone.mp4"): 3}) == f"; {real} holds the 3 frames tracked before"


def test_batch_to_an_unwritable_place_fails_at_once(clip, tmp_path, not_a_folder):
    video, box = clip
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(video, folder / "a.avi")
    (folder / "a.box").write_text(format_box(box) + "\n")
    for out in (not_a_folder / "tracked", not_a_folder):
        result = run("batch", folder, "--out", out)
        assert result.exit_code == 1 and "cannot write --out" in one_error_line(result)


def test_eval_to_an_unwritable_place_fails_before_evaluating(toy_dataset, not_a_folder):
    result = run("eval", toy_dataset, "--out", not_a_folder / "ev", "-t", "opencv-camshift", "--no-progress")
    assert result.exit_code == 1 and "cannot write --out" in one_error_line(result)
    assert "One-pass evaluation" not in result.output  # nothing ran


def test_a_late_write_error_loses_no_evaluation(toy_dataset, tmp_path, monkeypatch):
    from meanshift.evaluation import report

    real = report.write_results
    calls = []

    def fail_first(ev, out, **kwargs):
        calls.append(out)
        if len(calls) == 1:
            raise OSError(28, "No space left on device", str(Path(out) / "mean.csv"))
        return real(ev, out, **kwargs)

    monkeypatch.setattr(report, "write_results", fail_first)
    result = run("eval", toy_dataset, "--out", tmp_path / "ev", "-t", "opencv-camshift", "-s", "red_b",
                 "--max-frames", "4", "--no-progress", "--no-plots")
    assert result.exit_code == 1
    assert "| opencv-camshift |" in result.output  # the table was printed
    line = one_error_line(result)
    assert "No space left on device" in line and "they are in" in line
    fallback = Path(line.rsplit("they are in ", 1)[1].split()[0])
    assert (fallback / "mean.csv").is_file()
    shutil.rmtree(fallback)


# ------------------------------------------------------------------------------- 3 and 6. eval


def test_eval_without_matplotlib_writes_tables_and_says_how_to_get_plots(toy_dataset, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    out = tmp_path / "ev"
    result = run("eval", toy_dataset, "--out", out, "-t", "opencv-camshift", "-s", "red_b", "--max-frames", "4",
                 "--no-progress")
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if "matplotlib is not installed" in line]
    assert len(notes) == 1 and "pip install '.[plots]'" in notes[0]
    assert "| opencv-camshift |" in result.output
    assert (out / "mean.csv").is_file() and not (out / "success.png").exists()


def test_eval_without_opencv_contrib_says_so_in_one_line(toy_dataset, tmp_path, monkeypatch):
    """Without OpenCV's contrib build, KCF, CSRT and MOSSE gave three long warnings with the same advice."""
    from meanshift.evaluation import trackers

    def without_contrib(names=None):  # what baselines.available_baselines says on opencv-python
        return {n: None if n in ("opencv-camshift", "opencv-meanshift", "opencv-mil") else
                f"{n} is not in the installed OpenCV 5.1.0 (needs opencv-contrib-python; pip uninstall "
                f"opencv-python && pip install opencv-contrib-python)" for n in names}

    monkeypatch.setattr(trackers, "available_baselines", without_contrib)
    result = run("eval", toy_dataset, "--out", tmp_path / "ev", "-t", "opencv-camshift,opencv-kcf,opencv-csrt",
                 "-t", "opencv-mosse", "-s", "red_b", "--max-frames", "4", "--no-progress", "--no-plots")
    assert result.exit_code == 0, result.output
    said = [line for line in result.output.splitlines() if "opencv-kcf" in line or "skipping" in line]
    assert said == ["note: skipping opencv-kcf, opencv-csrt, opencv-mosse: not in this OpenCV "
                    f"{cv2.__version__}, which is not the contrib build (opencv-contrib-python has them; "
                    "`make results` sets one up in .venv-eval)"], result.output
    assert "warning" not in result.output and "| opencv-camshift |" in result.output


def test_eval_list_trackers_needs_no_dataset():
    result = run("eval", "--list-trackers")
    assert result.exit_code == 0, result.output
    assert "meanshift-generalized" in result.output and "opencv-camshift" in result.output
    missing = run("eval")
    assert missing.exit_code == 2 and "Missing argument 'DATASET_DIR'" in missing.output


# ------------------------------------------------------------------------------- 4. batch reruns


def summary(out: Path) -> dict[str, dict]:
    with open(out / "summary.csv", newline="") as f:
        return {Path(r["video"]).name: r for r in csv.DictReader(f)}


def test_batch_rerun_with_other_settings_redoes_and_skipped_rows_keep_their_figures(clip, tmp_path):
    video, box = clip
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(video, folder / "a.avi")
    (folder / "a.box").write_text(format_box((2, 2, 150, 110)) + "\n")  # most of the frame: some frames lost
    out = tmp_path / "tracked"
    first = run("batch", folder, "--out", out, "--jobs", "1", "-q")
    assert first.exit_code == 0, first.output
    row = summary(out)["a.avi"]
    record = json.loads((out / "a.run.json").read_text())
    assert record["settings"]["preset"] == "generalized" and record["frames"] == int(row["frames"]) == 12
    same = run("batch", folder, "--out", out, "--jobs", "1", "-q")
    again = summary(out)["a.avi"]
    assert again["status"] == "skipped", same.output
    assert (again["frames"], again["lost"]) == (row["frames"], row["lost"])  # the first run's figures
    before = (out / "a.csv").read_text()
    changed = run("batch", folder, "--out", out, "--jobs", "1", "-q", "--preset", "camshift")
    assert changed.exit_code == 0, changed.output
    assert "settings changed" in changed.output and "'generalized' -> 'camshift'" in changed.output
    assert summary(out)["a.avi"]["status"] == "ok"
    assert json.loads((out / "a.run.json").read_text())["settings"]["preset"] == "camshift"
    assert (out / "a.csv").read_text() != before


# ------------------------------------------------------------------------------- 18. a folder of videos


def test_track_on_a_folder_of_videos_points_to_batch(clip, tmp_path):
    video, _ = clip
    folder = tmp_path / "clips"
    folder.mkdir()
    shutil.copy(video, folder / "a.avi")
    result = run("track", folder, "--box", "1,1,10,10")
    line = one_error_line(result)
    assert result.exit_code == 1 and "folder of videos" in line and "meanshift batch" in line


@pytest.fixture(scope="module")
def toy_dataset(tmp_path_factory) -> Path:
    """One short synthetic sequence in OTB layout."""
    import cv2

    root = tmp_path_factory.mktemp("toy")
    for name in ("red_a", "red_b"):
        seq = root / name
        (seq / "img").mkdir(parents=True)
        lines = []
        for i, (frame, box) in enumerate(moving_target_sequence(6, (120, 160), seed=1)):
            cv2.imwrite(str(seq / "img" / f"{i + 1:04d}.png"), frame)
            lines.append(",".join(f"{v:g}" for v in box))
        (seq / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    return root




def test_output_checks_resolve_each_path_once(tmp_path, monkeypatch):
    """A batch of hundreds of videos checks its outputs in time linear in their number: each path is
    resolved once, not once per pair (300 trivial videos took 7.6 s, mostly this check, before)."""
    import os

    from meanshift.apps import outputs as outputs_module

    inputs = []
    for i in range(60):
        path = tmp_path / f"in{i}.avi"
        path.write_bytes(b"x")
        inputs.append(path)
    os.link(inputs[7], tmp_path / "hard.csv")
    calls = []
    real = os.path.realpath
    monkeypatch.setattr(outputs_module.os.path, "realpath", lambda p: calls.append(p) or real(p))
    pairs = [(f"out {i}", tmp_path / f"out{i}.csv") for i in range(60)]
    outputs_module.check_output_paths(pairs, inputs, need_parent=False)
    assert len(calls) <= 3 * (len(pairs) + len(inputs))
    # and the collisions are still found: a hard link to an input, two outputs on one file
    with pytest.raises(outputs_module.OutputError, match="is the input"):
        outputs_module.check_output_paths(pairs + [("hard", tmp_path / "hard.csv")], inputs, need_parent=False)
    with pytest.raises(outputs_module.OutputError, match="out 3 and again are the same file"):
        outputs_module.check_output_paths(pairs + [("again", tmp_path / "sub" / ".." / "out3.csv")], inputs,
                                          need_parent=False)
