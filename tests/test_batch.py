"""Batch tracking: parallel, resumable, robust to bad videos, interrupts and kills; flat memory."""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from support import default_signals

from meanshift.apps.batch import (
    SUMMARY_COLUMNS,
    BatchJob,
    TrackerOptions,
    jobs_from_folder,
    jobs_from_manifest,
    load_jobs,
    run_batch,
    track_video,
)
from meanshift.apps.cli import main
from meanshift.io import FrameSource, VideoError, VideoWriter, format_box
from meanshift.synthetic import moving_target_sequence

ROOT = Path(__file__).resolve().parents[1]
SEQUENCES = ROOT.parent / "shared" / "data" / "sequences"
LINUX_PROC = Path("/proc/self/stat").exists()
LONG_FRAMES = 200


def write_clip(path: Path, n_frames: int, size=(120, 160), seed: int = 0) -> tuple[float, ...]:
    with VideoWriter(path, fps=30) as writer:
        frames = moving_target_sequence(n_frames, size, seed=seed, base_size=(30, 24))
        for i, (frame, box) in enumerate(frames):
            writer.write(frame)
            if i == 0:
                first = box
    return first


def rows_of(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def summary(out: Path) -> dict[str, dict]:
    return {Path(r["video"]).name: r for r in rows_of(out / "summary.csv")}


def partial_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if ".partial" in p.name)


@pytest.fixture(scope="module")
def short_clip(tmp_path_factory) -> tuple[Path, tuple]:
    path = tmp_path_factory.mktemp("short") / "short.mp4"
    return path, write_clip(path, 30)


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory) -> tuple[Path, tuple]:
    path = tmp_path_factory.mktemp("long") / "long.avi"
    return path, write_clip(path, LONG_FRAMES, size=(240, 320))


def make_folder(folder: Path, clip: tuple[Path, tuple], names: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source, box = clip
    for name in names:
        shutil.copy(source, folder / f"{name}{source.suffix}")
        (folder / f"{name}.box").write_text(format_box(box) + "\n")
    return folder


# ------------------------------------------------------------------------------- good and bad videos


def test_three_good_one_corrupt_then_rerun_skips(tmp_path, short_clip):
    folder = make_folder(tmp_path / "in", short_clip, ["a", "b", "c"])
    (folder / "d.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + os.urandom(4000))
    (folder / "d.box").write_text("10,10,20,20\n")
    out = tmp_path / "out"
    args = ["batch", str(folder), "--out", str(out), "--jobs", "2"]

    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1, result.output
    assert "failed: " in result.output and "d.mp4" in result.output
    for name in "abc":
        assert len(rows_of(out / f"{name}.csv")) == 30
    assert not (out / "d.csv").exists() and partial_files(out) == []
    table = summary(out)
    assert list(rows_of(out / "summary.csv")[0]) == list(SUMMARY_COLUMNS)
    assert {n: r["status"] for n, r in table.items()} == {"a.mp4": "ok", "b.mp4": "ok", "c.mp4": "ok",
                                                           "d.mp4": "failed"}
    assert "cannot open video" in table["d.mp4"]["error"] and "\n" not in table["d.mp4"]["error"]
    assert table["a.mp4"]["frames"] == "30" and float(table["a.mp4"]["fps"]) > 0
    assert [table[f"{n}.mp4"]["attempts"] for n in "abcd"] == ["1", "1", "1", "1"]

    stamps = {n: (out / f"{n}.csv").stat().st_mtime_ns for n in "abc"}
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 1
    table = summary(out)
    assert [table[f"{n}.mp4"]["status"] for n in "abc"] == ["skipped"] * 3
    assert table["a.mp4"]["frames"] == "30" and table["d.mp4"]["status"] == "failed"
    assert table["a.mp4"]["attempts"] == "0"  # not started in this run
    assert stamps == {n: (out / f"{n}.csv").stat().st_mtime_ns for n in "abc"}

    forced = CliRunner().invoke(main, [*args, "--force", "--video", "--jobs", "1"])
    assert forced.exit_code == 1
    assert [summary(out)[f"{n}.mp4"]["status"] for n in "abc"] == ["ok"] * 3
    assert all((out / f"{n}.mp4").stat().st_size > 0 for n in "abc")


def test_scheduler_without_the_distributed_extra_is_a_one_line_error(tmp_path, short_clip, monkeypatch):
    folder = make_folder(tmp_path / "in", short_clip, ["a"])
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed: importing it fails
    result = CliRunner().invoke(main, ["batch", str(folder), "--out", str(tmp_path / "out"), "--scheduler", "local"])
    assert result.exit_code == 1, result.output
    assert "Error: a Dask scheduler needs the distributed extra: pip install '.[distributed]'" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "out").exists()


def test_all_good_exits_zero_and_reports_frames(tmp_path, short_clip):
    folder = make_folder(tmp_path / "in", short_clip, ["x", "y"])
    reports = run_batch(load_jobs(folder), tmp_path / "out", n_jobs=1, progress=False)
    assert [(r.status, r.frames, r.lost) for r in reports] == [("ok", 30, 0), ("ok", 30, 0)]
    assert CliRunner().invoke(main, ["batch", str(folder), "--out", str(tmp_path / "out")]).exit_code == 0


def test_manifest_with_header_presets_and_relative_paths(tmp_path, short_clip):
    make_folder(tmp_path / "videos", short_clip, ["one", "two", "three"])
    box = format_box(short_clip[1])
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        "video,x,y,w,h,preset\n"
        f"videos/one.mp4,{box},camshift\n"
        "# a comment\n\n"
        f"videos/two.mp4,{box},\n"
        f"{tmp_path / 'videos' / 'three.mp4'},{box},no-such-preset\n"
    )
    jobs = jobs_from_manifest(manifest)
    assert [j.preset for j in jobs] == ["camshift", None, "no-such-preset"]
    assert jobs[0].source == str(tmp_path / "videos" / "one.mp4")
    reports = run_batch(jobs, tmp_path / "out", n_jobs=2, progress=False)
    assert [r.status for r in reports] == ["ok", "ok", "failed"]
    assert "unknown preset 'no-such-preset'" in reports[2].error
    # Without a header the columns are positional.
    plain = tmp_path / "plain.csv"
    plain.write_text(f"videos/one.mp4,{box}\n")
    assert jobs_from_manifest(plain)[0].box == short_clip[1]


@pytest.mark.skipif(not (SEQUENCES / "Crossing").is_dir(), reason="shared sequences absent (../shared/data)")
def test_manifest_of_otb_folders(tmp_path):
    truth = (SEQUENCES / "Crossing" / "groundtruth_rect.txt").read_text().splitlines()[0]
    manifest = tmp_path / "otb.csv"
    manifest.write_text(f"{SEQUENCES / 'Crossing'},{truth}\n")
    [report] = run_batch(jobs_from_manifest(manifest), tmp_path / "out", n_jobs=1, progress=False)
    assert report.status == "ok" and report.frames == 120
    assert len(rows_of(tmp_path / "out" / "Crossing.csv")) == 120


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("video,x,y,width,height\n", "header lacks column"),
        ("# nothing\n", "lists no videos"),
    ],
)
def test_a_manifest_no_row_can_be_read_from_is_refused(tmp_path, text, message):
    manifest = tmp_path / "list.csv"
    manifest.write_text(text)
    with pytest.raises((ValueError, VideoError), match=message):
        jobs_from_manifest(manifest)
    result = CliRunner().invoke(main, ["batch", str(manifest), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1 and message.split(":")[-1].strip() in result.output


def test_each_bad_manifest_row_fails_alone_named_in_the_summary(tmp_path, short_clip):
    """One rule for a manifest's bad rows: a malformed box used to refuse the whole batch before anything ran,
    while an unknown preset or a missing video failed only its row. Now each fails alone, named by file and line
    in summary.csv, and the good rows run."""
    make_folder(tmp_path / "videos", short_clip, ["good", "badbox", "short", "preset"])
    box = format_box(short_clip[1])
    manifest = tmp_path / "list.csv"
    manifest.write_text(
        f"videos/good.mp4,{box}\n"
        "videos/badbox.mp4,1,2,3,x\n"
        "videos/short.mp4,1,2,3\n"
        f",{box}\n"
        f"videos/preset.mp4,{box},no-such-preset\n"
        f"videos/missing.mp4,{box}\n"
    )
    result = CliRunner().invoke(main, ["batch", str(manifest), "--out", str(tmp_path / "out"), "--jobs", "1", "-q"])
    assert result.exit_code == 1, result.output
    rows = rows_of(tmp_path / "out" / "summary.csv")
    assert [(Path(r["video"]).name, r["status"]) for r in rows] == [
        ("good.mp4", "ok"), ("badbox.mp4", "failed"), ("short.mp4", "failed"), ("list.csv:4", "failed"),
        ("preset.mp4", "failed"), ("missing.mp4", "failed")]
    assert rows[0]["frames"] == "30" and len(rows_of(tmp_path / "out" / "good.csv")) == 30
    assert f"{manifest}:2: malformed box '1,2,3,x'" in rows[1]["error"]
    assert f"{manifest}:3: expected video,x,y,w,h" in rows[2]["error"]
    assert f"{manifest}:4: no video" in rows[3]["error"]
    assert "unknown preset 'no-such-preset'" in rows[4]["error"]
    assert "1 tracked, 0 skipped (already done with the same settings), 5 failed" in result.output


def test_folder_jobs_sidecars_otb_subfolders_and_missing_boxes(tmp_path, short_clip):
    folder = make_folder(tmp_path / "in", short_clip, ["clip"])
    shutil.copy(short_clip[0], folder / "nobox.mp4")
    (folder / ".clip.partial.mp4").write_bytes(b"")  # left over from a killed run: not a video
    (folder / "notes.txt").write_text("not a video")
    seq = folder / "Seq"
    (seq / "img").mkdir(parents=True)
    (seq / "img" / "0001.jpg").write_bytes(b"")
    (seq / "groundtruth_rect.txt").write_text("5,6,7,8\n")
    jobs = {j.name: j for j in jobs_from_folder(folder)}
    assert sorted(jobs) == ["Seq", "clip", "nobox"]
    assert jobs["clip"].box == short_clip[1] and jobs["Seq"].box == (5, 6, 7, 8)
    assert "create" in jobs["nobox"].problem and "nobox.box" in jobs["nobox"].problem
    with pytest.raises(ValueError, match="would write summary.csv"):
        run_batch([BatchJob("summary.mp4", (1, 1, 5, 5), "summary")], tmp_path / "o")
    with pytest.raises(ValueError, match="would both write"):
        twins = [BatchJob("a/x.mp4", (1, 1, 5, 5), "x"), BatchJob("b/x.mp4", (1, 1, 5, 5), "x")]
        run_batch(twins, tmp_path / "o")


def test_truncated_file_is_tracked_as_far_as_it_goes_with_a_warning(tmp_path, long_clip):
    truncated = tmp_path / "cut.avi"
    data = long_clip[0].read_bytes()
    truncated.write_bytes(data[: len(data) // 3])  # AVI keeps its frame count in the header
    report = track_video(truncated, long_clip[1], csv_path=tmp_path / "cut.csv")
    assert report.status == "ok" and 0 < report.frames < LONG_FRAMES
    assert "warning: read" in report.error and str(LONG_FRAMES) in report.error
    assert len(rows_of(tmp_path / "cut.csv")) == report.frames


# ------------------------------------------------------------------------------- atomic outputs


class _Frames(FrameSource):
    """A synthetic source made on the fly: nothing is stored, whatever its length."""

    kind = "file"

    def __init__(self, n_frames: int, fail_at: int | None = None, error: type[BaseException] = VideoError):
        self.name = f"synthetic-{n_frames}"
        self.fps, self.frame_count = 30.0, n_frames
        self._frames = moving_target_sequence(n_frames, (240, 320))
        self._fail_at, self._error, self._index = fail_at, error, 0

    def _read(self):
        if self._index == self._fail_at:
            raise self._error("decoder failed")
        self._index += 1
        frame = next(self._frames, None)
        return None if frame is None else frame[0]


FIRST_BOX = next(moving_target_sequence(1, (240, 320)))[1]


@pytest.mark.parametrize("error", [VideoError, KeyboardInterrupt])
def test_a_failure_midway_leaves_no_file_behind(tmp_path, error):
    outputs = {"csv_path": tmp_path / "v.csv", "video_path": tmp_path / "v.mp4"}
    with pytest.raises(error):
        track_video(_Frames(20, fail_at=10, error=error), FIRST_BOX, atomic=True, **outputs)
    assert list(tmp_path.iterdir()) == []
    report = track_video(_Frames(20), FIRST_BOX, atomic=True, **outputs)
    assert report.frames == 20 and sorted(p.name for p in tmp_path.iterdir()) == ["v.csv", "v.mp4"]


def test_memory_stays_flat_however_long_the_video(tmp_path):
    def peak(n_frames: int) -> int:
        tracemalloc.start()
        track_video(_Frames(n_frames), FIRST_BOX, csv_path=tmp_path / "b.csv", video_path=tmp_path / "v.avi")
        peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak_bytes

    peak(5)  # compile and cache whatever is lazily set up, outside the measurement
    short, long = peak(30), peak(300)
    frame_bytes = 240 * 320 * 3
    # Ten times the frames, about the same peak: a few frames in flight, never the whole video.
    # (Most of the peak is the synthetic renderer's float64 temporaries, not the tracking loop.)
    assert long < short + 4 * frame_bytes, (short, long)
    assert long < 300 * frame_bytes / 5


# ------------------------------------------------------------------------------- interrupts and kills


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


def wait_until(condition, timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


@pytest.fixture
def batch_process():
    """Start `meanshift batch` in its own process group; whatever is left is killed at the end."""
    started: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        process = subprocess.Popen(
            [sys.executable, "-m", "meanshift", "batch", *args, "-q"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
            preexec_fn=default_signals,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if group_members(process.pid):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def finished_csvs(out: Path) -> list[str]:
    return sorted(p.name for p in out.glob("*.csv") if p.name != "summary.csv" and not p.name.startswith("."))


@pytest.mark.skipif(not LINUX_PROC, reason="needs /proc to watch the process group")
@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"])
def test_a_batch_killed_midway_then_rerun_completes_everything(tmp_path, long_clip, batch_process, how):
    # Eight videos on two workers: when the first is done, six still wait, however fast tracking gets.
    names = [f"v{i}" for i in range(1, 9)]
    folder = make_folder(tmp_path / "in", long_clip, names)
    out = tmp_path / "out"
    args = (str(folder), "--out", str(out), "--jobs", "2", "--video")
    # Kernels in Numba's on-disk cache first, so that the workers start tracking at once: on a fresh
    # checkout the first run compiles for ~30 s, and the test is about the interruption, not that.
    track_video(long_clip[0], long_clip[1], max_frames=2)
    process = batch_process(*args)
    assert wait_until(lambda: out.is_dir() and finished_csvs(out), timeout=60), process.stderr.read()
    if how == signal.SIGTERM:
        os.kill(process.pid, how)  # `kill PID`, or a supervisor stopping the command: the parent only
    else:
        os.killpg(process.pid, how)  # as Ctrl-C in a terminal, or a power cut, reaches every process
    try:
        _, stderr = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        left = [(pid, Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:120])
                for pid in group_members(process.pid)]
        raise AssertionError(f"batch still running 120 s after {how!r}; processes left: {left}") from None
    done_before = finished_csvs(out)
    assert len(done_before) < len(names), "the batch finished before it could be interrupted"
    assert wait_until(lambda: not group_members(process.pid), timeout=20), "stray processes left behind"
    if how in (signal.SIGINT, signal.SIGTERM):
        assert process.returncode == (130 if how == signal.SIGINT else 143) and "Traceback" not in stderr, stderr
        assert "interrupted" in stderr and partial_files(out) == []
        assert "interrupted" in {r["status"] for r in summary(out).values()}
    else:
        assert process.returncode == -signal.SIGKILL
    for name in done_before:  # whatever looks finished is complete
        assert len(rows_of(out / name)) == LONG_FRAMES

    rerun = batch_process(*args)
    _, stderr = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, stderr
    assert finished_csvs(out) == [f"{n}.csv" for n in names]
    assert partial_files(out) == []
    for name in names:
        assert len(rows_of(out / f"{name}.csv")) == LONG_FRAMES
        assert (out / f"{name}.mp4").stat().st_size > 0
    statuses = {Path(n).stem: r["status"] for n, r in summary(out).items()}
    assert {n for n, s in statuses.items() if s == "skipped"} == {Path(n).stem for n in done_before}


def worker_pids(parent: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError):
                continue
            if int(fields[1]) == parent and b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
                pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not LINUX_PROC, reason="needs /proc to find the worker processes")
def test_a_worker_that_dies_fails_its_video_only(tmp_path, long_clip):
    folder = make_folder(tmp_path / "in", long_clip, ["w1", "w2", "w3"])
    out = tmp_path / "out"
    killed: list[int] = []

    def kill_one_worker():
        # Wait until both workers are tracking (their partial files exist), then kill one, as a
        # decoder crashing on a corrupt file would.
        if wait_until(lambda: out.is_dir() and len(partial_files(out)) >= 2 and worker_pids(os.getpid()), 60):
            pid = worker_pids(os.getpid())[0]
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    reports = run_batch(load_jobs(folder), out, n_jobs=2, progress=False)
    killer.join()
    assert killed
    failed = [r for r in reports if r.status == "failed"]
    assert len(failed) == 1 and "worker process died (signal 9)" in failed[0].error
    assert [r.attempts for r in reports] == [1, 1, 1]  # the local pool does not retry
    assert sorted(r.status for r in reports) == ["failed", "ok", "ok"]
    assert partial_files(out) == []
    for report in reports:
        if report.status == "ok":
            assert len(rows_of(Path(report.outputs[0]))) == LONG_FRAMES
    assert not worker_pids(os.getpid())


def test_tracker_options_are_checked_by_the_engine():
    with pytest.raises(ValueError, match="unknown kernel"):
        TrackerOptions(kernel="nope").create()
    tracker = TrackerOptions("camshift", bins=8).create()
    frame = np.zeros((50, 60, 3), np.uint8)
    frame[10:30, 10:30] = (0, 0, 255)
    tracker.init(frame, (10, 10, 20, 20))
    assert tracker.update(frame).ok


def test_a_box_reaching_outside_the_frame_is_said_in_the_report(tmp_path):
    # As `meanshift track` says it on the console: the target tracked is the part of the box inside the frame.
    x, y, w, h = FIRST_BOX
    report = track_video(_Frames(5), (-10.0, y, w + 10.0, h), csv_path=tmp_path / "v.csv")
    assert report.status == "ok" and report.frames == 5
    assert "reaches outside the 320x240 frame: tracking the part inside it" in report.error
    assert track_video(_Frames(5), FIRST_BOX, csv_path=tmp_path / "w.csv").error == ""
