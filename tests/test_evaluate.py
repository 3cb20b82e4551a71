"""One-pass evaluation: protocol, tracker selection, OpenCV baselines, outputs, parallel runs, CLI."""

from __future__ import annotations

import csv
import json
import sys
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

import meanshift
from meanshift.evaluation import report as report_module
from meanshift.evaluation import trackers as evaluate_module
from meanshift.evaluation.baselines import (
    BaselineResult,
    OpenCVCamShift,
    OpenCVMeanShift,
    OpenCVTracker,
    create_baseline,
)
from meanshift.evaluation.datasets import load_dataset, load_sequence
from meanshift.evaluation.runner import (
    evaluate,
    make_tracker,
    our_tracker_names,
    resolve_trackers,
    run_tracker,
    tracker_names,
)
from meanshift.synthetic import moving_target_sequence

SHARED_SEQUENCES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sequences"


@pytest.fixture(scope="module")
def toy_dataset(tmp_path_factory) -> Path:
    """Two short synthetic sequences in OTB layout (1-based ground truth, as OTB writes it)."""
    root = tmp_path_factory.mktemp("toy")
    for name, seed, n in (("red_a", 0, 12), ("red_b", 1, 8)):
        seq = root / name
        (seq / "img").mkdir(parents=True)
        lines = []
        scene = moving_target_sequence(n_frames=60, frame_size=(120, 160), seed=seed)
        for i, (frame, box) in enumerate(scene):
            if i == n:
                break
            cv2.imwrite(str(seq / "img" / f"{i + 1:04d}.png"), frame)
            x, y, w, h = box
            lines.append(f"{x + 1:g},{y + 1:g},{w:g},{h:g}")
        (seq / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    return root


class Oracle:
    """Reports the ground truth: a perfect tracker, for checking the scoring end to end."""

    def __init__(self, gt):
        self.gt = gt
        self.i = 0

    def init(self, frame, box):
        self.i = 0

    def update(self, frame):
        self.i += 1
        return BaselineResult(True, tuple(self.gt[self.i]))


class Crasher:
    """Warns on every update, fails on its third."""

    def init(self, frame, box):
        self.n, self.box = 0, tuple(box)

    def update(self, frame):
        warnings.warn("wobbly", UserWarning, stacklevel=1)
        self.n += 1
        if self.n == 3:
            raise RuntimeError("boom")
        return BaselineResult(self.n != 2, self.box if self.n != 2 else (np.nan, 0.0, 1.0, 1.0))


# --------------------------------------------------------------------------- names


def test_tracker_names_cover_presets_and_baselines():
    ours = our_tracker_names()
    assert ours == tuple("meanshift-" + p for p in meanshift.PRESETS)
    names = tracker_names()
    for n in ("camshift", "meanshift", "mil", "kcf", "csrt", "mosse"):
        assert "opencv-" + n in names


def test_resolve_trackers_groups_aliases_and_order():
    ours = list(our_tracker_names())
    assert resolve_trackers("ours") == ours
    assert resolve_trackers(["generalized", "opencv-camshift,generalized"]) == [
        "meanshift-generalized", "opencv-camshift"]
    default = resolve_trackers(None, warn=lambda m: None)
    assert default[: len(ours)] == ours and "opencv-camshift" in default and "opencv-mil" in default
    with pytest.raises(ValueError, match="unknown tracker 'nope'.*groups default, ours, opencv, all"):
        resolve_trackers("nope")


def test_missing_opencv_trackers_are_skipped_with_a_message(monkeypatch):
    def fake_available(names=None):
        return {n: ("needs opencv-contrib-python" if n == "opencv-csrt" else None) for n in names}

    monkeypatch.setattr(evaluate_module, "available_baselines", fake_available)
    messages = []
    got = resolve_trackers("opencv-camshift,opencv-csrt", warn=messages.append)
    assert got == ["opencv-camshift"]
    assert messages == ["skipping opencv-csrt: needs opencv-contrib-python"]


def test_make_tracker_builds_ours_and_baselines():
    assert isinstance(make_tracker("meanshift-generalized"), meanshift.Tracker)
    assert isinstance(make_tracker("camshift"), meanshift.Tracker)
    assert isinstance(make_tracker("opencv-camshift"), OpenCVCamShift)
    assert isinstance(make_tracker("opencv-meanshift"), OpenCVMeanShift)
    assert isinstance(make_tracker("opencv-mil"), OpenCVTracker)
    with pytest.raises(LookupError, match="unknown baseline"):
        create_baseline("opencv-nothing")


# --------------------------------------------------------------------------- baselines


def red_square_frames(n=8, step=3):
    """A 20x20 red square moving right by ``step`` px a frame on a noisy blue background."""
    rng = np.random.default_rng(0)
    for i in range(n):
        frame = np.empty((100, 140, 3), np.uint8)
        frame[:] = (200, 90, 40)
        frame = np.clip(frame + rng.integers(-10, 11, frame.shape), 0, 255).astype(np.uint8)
        x = 20 + step * i
        frame[40:60, x:x + 20] = (30, 30, 220)
        yield frame, (float(x), 40.0, 20.0, 20.0)


def test_camshift_pipeline_follows_a_red_target_and_keeps_last_box_when_lost():
    frames = list(red_square_frames())
    for name in ("opencv-camshift", "opencv-meanshift"):
        t = create_baseline(name)
        t.init(*frames[0])
        for frame, (x, y, w, h) in frames[1:]:
            r = t.update(frame)
            assert r.ok, name
            rx, ry = r.box[0] + r.box[2] / 2, r.box[1] + r.box[3] / 2
            assert abs(rx - (x + w / 2)) <= 2 and abs(ry - (y + h / 2)) <= 2, (name, r.box)
        if name == "opencv-camshift":
            # cv2.CamShift's window: the rotated box's bounds plus 2 px, i.e. larger than the square.
            assert 20 < r.box[2] <= 26 and 20 < r.box[3] <= 26
        else:
            assert r.box[2:] == (20.0, 20.0)  # cv2.meanShift keeps the window's size
    last = r.box
    t = create_baseline("opencv-camshift")
    t.init(*frames[0])
    last = t.update(frames[1][0]).box
    # A frame with no saturated pixel: the back-projection is empty, CamShift reports an empty box.
    r = t.update(np.full_like(frames[0][0], 128))
    assert not r.ok and r.box == last


def test_opencv_tracker_reports_last_box_on_failure():
    frames = list(moving_target_sequence(n_frames=60, frame_size=(120, 160), seed=0))
    t = create_baseline("opencv-mil")
    t.init(frames[0][0], frames[0][1])
    r = t.update(frames[1][0])
    assert len(r.box) == 4 and all(np.isfinite(r.box))

    class Failing:
        def update(self, frame):
            return False, (0, 0, 0, 0)

    t._tracker = Failing()
    assert t.update(frames[2][0]) == BaselineResult(False, r.box)


def test_baselines_reject_bad_input():
    t = create_baseline("opencv-camshift")
    with pytest.raises(ValueError, match="before init"):
        t.update(np.zeros((10, 10, 3), np.uint8))
    with pytest.raises(ValueError, match="w > 0"):
        t.init(np.zeros((10, 10, 3), np.uint8), (1, 1, 0, 5))
    with pytest.raises(ValueError, match="outside"):
        t.init(np.zeros((10, 10, 3), np.uint8), (50, 50, 5, 5))


# --------------------------------------------------------------------------- protocol


def test_oracle_scores_perfectly(toy_dataset):
    seq = load_sequence(toy_dataset / "red_a")
    ev = evaluate([seq], {"oracle": lambda: Oracle(seq.groundtruth)}, progress=False)
    assert ev.mean_auc("oracle") == pytest.approx(20 / 21)
    assert ev.mean_precision_at_20("oracle") == 1.0
    run = ev.runs["red_a", "oracle"]
    np.testing.assert_array_equal(run.boxes, seq.groundtruth)
    assert run.n_updates == len(seq) - 1 and run.fps > 0


def test_run_tracker_records_first_frame_errors_and_nan(toy_dataset):
    seq = load_sequence(toy_dataset / "red_a")
    run = run_tracker(seq, "crasher", Crasher)
    np.testing.assert_array_equal(run.boxes[0], seq.groundtruth[0])  # frame 1 is the initial box
    assert run.ok.tolist()[:3] == [True, True, False]
    assert run.error == "frame 4: RuntimeError: boom"
    assert np.isnan(run.boxes[3:]).all() and np.isnan(run.update_seconds[3:]).all()
    assert run.nonfinite_frames.tolist() == [3]
    assert run.n_updates == 2
    assert run.warnings == ["UserWarning: wobbly (x3)"]


def test_a_sequence_started_on_another_box_is_scored_against_its_own_ground_truth(toy_dataset):
    seq = load_sequence(toy_dataset / "red_a")
    x, y, w, h = seq.init_box
    shifted = seq.started_on((x + 0.1 * w, y, w, h), name="red_a@right")
    given = []

    class Recorder(Oracle):
        def init(self, frame, box):
            given.append(tuple(box))
            super().init(frame, box)

    ev = evaluate([seq, shifted], {"oracle": lambda: Recorder(seq.groundtruth)}, progress=False)
    assert set(given) == {seq.init_box, (x + 0.1 * w, y, w, h)}  # (a warm-up may init once more)
    # worker processes load the sequence again: the variant's start and name must travel with it
    parallel = evaluate([seq, shifted], ["meanshift-generalized"], jobs=2, progress=False)
    serial = evaluate([seq, shifted], ["meanshift-generalized"], progress=False)
    for name in ("red_a", "red_a@right"):
        np.testing.assert_array_equal(parallel.runs[name, "meanshift-generalized"].boxes,
                                      serial.runs[name, "meanshift-generalized"].boxes)
    assert not np.array_equal(serial.runs["red_a", "meanshift-generalized"].boxes[0],
                              serial.runs["red_a@right", "meanshift-generalized"].boxes[0])
    # frame 1's answer is the box given; every later frame is the truth: only frame 1 scores less
    np.testing.assert_array_equal(ev.runs["red_a@right", "oracle"].boxes[0], shifted.init_box)
    np.testing.assert_array_equal(ev.runs["red_a@right", "oracle"].boxes[1:], seq.groundtruth[1:])
    assert ev.scores["red_a@right", "oracle"].auc < ev.scores["red_a", "oracle"].auc
    assert shifted.name == "red_a@right" and len(shifted) == len(seq)
    with pytest.raises(ValueError, match="positive width"):
        seq.started_on((x, y, 0, h))


def test_init_errors_are_reported_not_raised(toy_dataset):
    class BadInit:
        def init(self, frame, box):
            raise ValueError("no target")

    seq = load_sequence(toy_dataset / "red_b")
    ev = evaluate([seq], {"bad": BadInit}, progress=False)
    assert ev.runs["red_b", "bad"].error == "frame 1 (init): ValueError: no target"
    assert ev.mean_auc("bad") == 0.0
    assert ev.problems()[0].startswith("bad on red_b: frame 1 (init)")


def test_evaluate_writes_tables_plots_and_boxes(toy_dataset, tmp_path):
    out = tmp_path / "res"
    names = ["meanshift-generalized", "opencv-camshift", "opencv-meanshift"]
    ev = evaluate(toy_dataset, names, out=out, progress=False)
    assert ev.sequences == ["red_a", "red_b"] and set(ev.trackers) == set(names)
    for f in ("mean.md", "mean.csv", "per_sequence.md", "per_sequence.csv", "success.png", "precision.png",
              "curves.json"):
        assert (out / f).is_file(), f
    assert (out / "success.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with (out / "mean.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    assert {r["tracker"] for r in rows} == set(names)
    aucs = [float(r["auc"]) for r in rows]
    assert aucs == sorted(aucs, reverse=True)  # best first
    for r in rows:
        assert 0.0 <= float(r["auc"]) <= 1.0 and float(r["fps"]) > 0
        assert float(r["auc"]) == pytest.approx(ev.mean_auc(r["tracker"]), abs=1e-5)
    with (out / "per_sequence.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 2 * len(names)
    with (out / "boxes" / "opencv-camshift" / "red_a.csv").open() as fh:
        box_rows = list(csv.DictReader(fh))
    assert len(box_rows) == 12 and box_rows[0]["frame"] == "1"
    first_gt = load_sequence(toy_dataset / "red_a").groundtruth[0].tolist()
    assert [float(box_rows[0][k]) for k in "xywh"] == first_gt
    md = (out / "mean.md").read_text()
    assert "| tracker | AUC | P@20 |" in md and "opencv-camshift" in md
    assert "### AUC" in (out / "per_sequence.md").read_text()
    curves = json.loads((out / "curves.json").read_text())
    assert len(curves["mean"]["opencv-camshift"]["success"]) == 21
    assert len(curves["mean"]["opencv-camshift"]["precision"]) == 51


def test_trackers_follow_the_synthetic_target(toy_dataset):
    # The red target on a cool background is the easy case for every colour tracker here.
    ev = evaluate(toy_dataset, ["generalized", "opencv-camshift"], progress=False)
    for t in ev.trackers:
        assert ev.mean_precision_at_20(t) > 0.8, t
    assert not ev.problems()


def test_parallel_run_matches_serial(toy_dataset):
    names = ["opencv-camshift", "opencv-meanshift"]
    serial = evaluate(toy_dataset, names, progress=False)
    parallel = evaluate(toy_dataset, names, jobs=2, progress=False)
    for key, run in serial.runs.items():
        np.testing.assert_array_equal(run.boxes, parallel.runs[key].boxes)


def test_seeded_mil_is_reproducible(toy_dataset):
    # OpenCV's MIL draws random features; seeding makes a run independent of what ran before it.
    seq = load_sequence(toy_dataset / "red_a", max_frames=6)
    first = run_tracker(seq, "opencv-mil", seed=3)
    run_tracker(seq, "opencv-mil", seed=5)  # advance every random state in between
    again = run_tracker(seq, "opencv-mil", seed=3)
    np.testing.assert_array_equal(first.boxes, again.boxes)


def test_evaluate_argument_errors(toy_dataset):
    with pytest.raises(ValueError, match="jobs"):
        evaluate(toy_dataset, "opencv-camshift", jobs=0)
    with pytest.raises(ValueError, match="max_frames"):
        evaluate(toy_dataset, "opencv-camshift", max_frames=1)


def test_missing_matplotlib_names_the_extra(toy_dataset, tmp_path, monkeypatch):
    ev = evaluate(toy_dataset, "opencv-camshift", max_frames=3, progress=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install '\.\[plots\]'"):
        report_module.plot_curves(ev, tmp_path)


# --------------------------------------------------------------------------- CLI


def test_cli_eval_runs_and_prints_the_mean_table(toy_dataset, tmp_path):
    from meanshift.apps.commands.eval import command as eval_command

    out = tmp_path / "cli"
    result = CliRunner().invoke(
        eval_command,
        [str(toy_dataset), "--out", str(out), "-t", "opencv-camshift,generalized", "-s", "red_b",
         "--max-frames", "5", "--no-progress", "--no-plots"],
    )
    assert result.exit_code == 0, result.output
    assert "| tracker | AUC | P@20 |" in result.output and "meanshift-generalized" in result.output
    assert (out / "mean.csv").is_file() and not (out / "success.png").exists()
    assert sorted(p.name for p in (out / "boxes").iterdir()) == ["meanshift-generalized", "opencv-camshift"]


def test_cli_eval_errors_and_listing(toy_dataset, tmp_path):
    from meanshift.apps.commands.eval import command as eval_command

    runner = CliRunner()
    bad = runner.invoke(eval_command, [str(toy_dataset), "-t", "nope", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "unknown tracker 'nope'" in bad.output
    bad = runner.invoke(eval_command, [str(toy_dataset), "-s", "zzz", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "no sequence named zzz" in bad.output
    listing = runner.invoke(eval_command, [str(toy_dataset), "--list-trackers"])
    assert listing.exit_code == 0
    assert "opencv-csrt" in listing.output and "meanshift-camshift" in listing.output
    assert "Examples" in runner.invoke(eval_command, ["--help"]).output


# --------------------------------------------------------------------------- real footage


@pytest.mark.skipif(not SHARED_SEQUENCES.is_dir(), reason="shared sequences not present")
def test_default_trackers_run_on_real_sequences():
    seqs = load_dataset(SHARED_SEQUENCES, names=["Crossing", "vot2017_book"], max_frames=15)
    ev = evaluate(seqs, None, progress=False, warn=lambda m: None)
    assert set(our_tracker_names()) <= set(ev.trackers)
    assert not ev.problems(), ev.problems()
    for (s, t), run in ev.runs.items():
        assert np.isfinite(run.boxes).all(), (s, t)
    # Sanity of the baselines on easy starts: the hue pipeline holds the purple book, MIL the pedestrian
    # (the hue pipeline loses the dark, unsaturated pedestrian at once: its inRange mask drops him).
    assert ev.scores["vot2017_book", "opencv-camshift"].precision_at_20 > 0.5
    assert ev.scores["Crossing", "opencv-mil"].precision_at_20 > 0.5


def test_cli_eval_takes_video_sequences_mixed_with_image_folders_and_several_folders(toy_dataset, tmp_path):
    """`meanshift eval` on a folder mixing a video sequence with image sequences, and on two folders pooled."""
    from meanshift.apps.commands.eval import command as eval_command

    videos = tmp_path / "videos"
    clip = videos / "red_video"
    clip.mkdir(parents=True)
    writer = cv2.VideoWriter(str(clip / "video.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 10, (160, 120))
    lines = []
    for i, (frame, box) in enumerate(moving_target_sequence(n_frames=60, frame_size=(120, 160), seed=2)):
        if i == 8:
            break
        writer.write(frame)
        x, y, w, h = box
        lines.append(f"{x + 1:g},{y + 1:g},{w:g},{h:g}")
    writer.release()
    (clip / "groundtruth_rect.txt").write_text("\n".join(lines) + "\n")
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "red_video").symlink_to(clip, target_is_directory=True)
    (mixed / "red_a").symlink_to(toy_dataset / "red_a", target_is_directory=True)
    for args, want in (([str(mixed)], {"red_a", "red_video"}),
                       ([str(toy_dataset), str(videos)], {"red_a", "red_b", "red_video"})):
        out = tmp_path / f"out{len(want)}"
        result = CliRunner().invoke(eval_command, [*args, "--out", str(out), "-t", "generalized", "--max-frames",
                                                   "6", "--no-progress", "--no-plots"])
        assert result.exit_code == 0, result.output
        with open(out / "per_sequence.csv", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        assert {row["sequence"] for row in rows} == want
        assert all(float(row["auc"]) > 0.5 for row in rows), rows
