"""Nothing confusing: what the command line prints, accepts and writes (issue 13).

Formats tools read (JSON Lines, MOTChallenge, browser-playable video), the library's options by name,
help that lists what the code accepts, compilation kept out of the tracking loop and its speed,
warnings on their own line, Makefile targets that leave the committed results alone.
"""

from __future__ import annotations

import csv
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import cv2
import pytest
from click.testing import CliRunner

import meanshift
from meanshift.apps import cli
from meanshift.apps.cli import main
from meanshift.io import VideoWriter, format_box
from meanshift.synthetic import moving_target_sequence

ROOT = Path(__file__).resolve().parents[1]
N_FRAMES = 12


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("usability") / "clip.avi"
    boxes = []
    with VideoWriter(path, fps=30) as writer:
        for frame, box in moving_target_sequence(N_FRAMES, (120, 160), seed=2, base_size=(30, 24)):
            writer.write(frame)
            boxes.append(box)
    return path, format_box(boxes[0])


# ------------------------------------------------------------------------------- 22. formats tools read


def test_json_lines_by_option_or_by_name(clip, tmp_path):
    video, box = clip
    for args, path in ((["--format", "jsonl"], tmp_path / "a.out"), ([], tmp_path / "b.jsonl")):
        result = run("track", video, "--box", box, "-o", path, "-q", *args)
        assert result.exit_code == 0, result.output
        records = [json.loads(line) for line in path.read_text().splitlines()]
        assert len(records) == N_FRAMES and [r["frame"] for r in records] == list(range(N_FRAMES))
        assert set(records[1]) == {"frame", "target", "x", "y", "w", "h", "cx", "cy", "angle", "score", "ok"}
        assert records[0]["score"] is None and isinstance(records[1]["ok"], bool)


def test_motchallenge_rows_are_one_based(clip, tmp_path):
    video, box = clip
    out = tmp_path / "mot.txt"
    result = run("track", video, "--box", box, "--box", "100,10,20,20", "-o", out, "--format", "mot", "-q")
    assert result.exit_code == 0, result.output
    rows = [line.split(",") for line in out.read_text().splitlines()]
    assert len(rows) == 2 * N_FRAMES and all(len(r) == 10 and r[7:] == ["-1", "-1", "-1"] for r in rows)
    assert [int(r[0]) for r in rows[:4]] == [1, 1, 2, 2] and {r[1] for r in rows} == {"1", "2"}
    x, y, w, h = (float(v) for v in box.split(","))
    assert [float(v) for v in rows[0][2:6]] == [x, y, w, h] and float(rows[0][6]) == 1.0


def test_motchallenge_has_no_row_while_the_target_is_lost(tmp_path):
    """A lost target used to keep its frozen box in the MOT file, with conf = score: nothing told it from a
    trusted one. MOTChallenge's tracker output lists only the boxes the tracker stands by, so it has no row."""
    sequence = list(moving_target_sequence(8, (120, 160), seed=2, base_size=(30, 24)))
    frames = [frame for frame, _ in sequence]
    empty = frames[0].copy()
    empty[:] = frames[0][0, 0]  # the background's colour alone: the target is gone for four frames
    video = tmp_path / "gone.avi"
    with VideoWriter(video, fps=30) as writer:
        for frame in frames[:6] + [empty] * 4 + frames[6:]:
            writer.write(frame)
    box = format_box(sequence[0][1])
    csv_out, mot_out = tmp_path / "gone.csv", tmp_path / "gone.txt"
    for path, fmt in ((csv_out, "csv"), (mot_out, "mot")):
        result = run("track", video, "--box", box, "-o", path, "--format", fmt, "-q")
        assert result.exit_code == 0, result.output
    with open(csv_out, newline="") as f:
        table = list(csv.DictReader(f))
    lost = [int(r["frame"]) for r in table if r["ok"] == "0"]
    assert len(table) == 12 and lost, "the target was never lost: the test shows nothing"
    mot = [line.split(",") for line in mot_out.read_text().splitlines()]
    assert [int(r[0]) - 1 for r in mot] == [int(r["frame"]) for r in table if r["ok"] == "1"]
    # The rows it keeps are the CSV's, box for box.
    kept = [r for r in table if r["ok"] == "1"]
    assert [[float(v) for v in r[2:6]] for r in mot] == [[float(r[k]) for k in "xywh"] for r in kept]


def test_mot_writer_counts_a_frame_whose_only_target_is_lost():
    import io

    from meanshift import TrackResult
    from meanshift.io import BoxMotWriter

    out = io.StringIO()
    writer = BoxMotWriter(out)
    writer.write_box(0, 0, (10, 20, 30, 40))
    writer.write_result(1, 0, TrackResult(True, (11, 21, 30, 40), ((25.5, 40.5), (30, 40), 0.0), 0.9, 3))
    writer.write_result(2, 0, TrackResult(False, (11, 21, 30, 40), ((25.5, 40.5), (30, 40), 0.0), 0.1, 3))
    assert out.getvalue().splitlines() == ["1,1,10.00,20.00,30.00,40.00,1.0000,-1,-1,-1",
                                           "2,1,11.00,21.00,30.00,40.00,0.9000,-1,-1,-1"]
    assert (writer.rows, writer.frames) == (2, 3)  # three frames tracked, two rows to show for them


def test_batch_writes_the_chosen_format(clip, tmp_path):
    video, box = clip
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.avi").write_bytes(video.read_bytes())
    (folder / "a.box").write_text(box + "\n")
    result = run("batch", folder, "--out", tmp_path / "out", "--format", "mot", "--jobs", "1", "-q")
    assert result.exit_code == 0, result.output
    assert len((tmp_path / "out" / "a.txt").read_text().splitlines()) == N_FRAMES


@pytest.mark.parametrize(("codec", "name", "decoder"), [("h264", "t.mp4", "h264"), ("vp9", "t.webm", "vp9")])
def test_browser_playable_video(clip, tmp_path, codec, name, decoder):
    av = pytest.importorskip("av", reason="PyAV is the web-video extra (pip install '.[web-video]')")
    video, box = clip
    out = tmp_path / name
    result = run("track", video, "--box", box, "--output-video", out, "--codec", codec, "-q")
    assert result.exit_code == 0, result.output
    with av.open(str(out)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == decoder
        frames = [f for f in container.decode(stream)]
    assert len(frames) == N_FRAMES and (frames[0].width, frames[0].height) == (160, 120)


def test_a_codec_in_the_wrong_container_is_a_usage_error(clip, tmp_path):
    video, box = clip
    result = run("track", video, "--box", box, "--output-video", tmp_path / "x.avi", "--codec", "h264")
    assert result.exit_code == 2 and "codec h264 goes in a .mp4" in result.output
    assert not (tmp_path / "x.avi").exists()


# ------------------------------------------------------------------------------- 14 and 23. options by name


def test_option_names_are_the_registries():
    """The names spelled in cli.py (so that --help needs no engine) are exactly what the engine registers."""
    code = ("import json, meanshift as m; print(json.dumps([list(m.PRESETS), m.similarities(), m.feature_spaces(), "
            "m.kernels(), m.scale_rules(), m.motion_models()]))")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    presets, sims, features, kernels, scales, motions = json.loads(
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout)
    assert list(cli.PRESET_NAMES) == presets
    assert sorted(cli.SIMILARITY_NAMES) == sorted(sims)
    assert sorted(cli.FEATURE_NAMES) == sorted({*features, "auto"})  # "auto": chosen at init by the Tracker
    assert sorted(cli.KERNEL_NAMES) == sorted(kernels)
    assert sorted(cli.SCALE_NAMES) == sorted(scales)
    assert sorted(cli.MOTION_NAMES) == sorted(motions)


def test_help_names_every_accepted_value_and_needs_no_numba():
    # click wraps long help at hyphens too ("hsv-" at a line's end, "full" on the next): undo that.
    text = " ".join(run("track", "--help").output.split()).replace("- ", "-")
    for name in (*cli.SIMILARITY_NAMES, *cli.FEATURE_NAMES, *cli.KERNEL_NAMES, *cli.SCALE_NAMES, *cli.MOTION_NAMES):
        assert name in text, name
    for option in ("--scale", "--motion", "--recovery / --no-recovery", "--plugin", "--format", "--codec"):
        assert option in text, option
    code = ("import sys\nfrom meanshift.apps.cli import main\nfor c in ('track', 'webcam', 'batch', 'eval'):\n"
            "    try:\n        main([c, '--help'])\n    except SystemExit:\n        pass\n"
            "print('numba' in sys.modules, 'cv2' in sys.modules)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert done.stdout.split()[-2:] == ["False", "False"]


@pytest.mark.parametrize("args", [["--similarity", "background-ratio"], ["--features", "auto"],
                                  ["--scale", "fixed", "--no-recovery"], ["--motion", "constant-velocity"],
                                  ["--recovery", "--preset", "camshift"]])
def test_library_options_reach_the_tracker(clip, tmp_path, args):
    video, box = clip
    out = tmp_path / "o.csv"
    result = run("track", video, "--box", box, "-o", out, "-q", *args)
    assert result.exit_code == 0, result.output
    rows = out.read_text().splitlines()[1:]
    assert len(rows) == N_FRAMES
    if "fixed" in args:  # the window keeps its size
        assert {tuple(r.split(",")[4:6]) for r in rows} == {tuple(f"{float(v):.2f}" for v in box.split(",")[2:])}


def test_a_bad_name_lists_the_good_ones(clip):
    video, box = clip
    result = run("track", video, "--box", box, "--scale", "huge")
    assert result.exit_code == 2 and "huge" in result.output and "moments" in result.output


PLUGIN = '''
import numpy as np
import meanshift


def value(p, q):
    return float(np.sum(np.sqrt(p * q))) ** 2


def weights(p, q):
    return np.sqrt(np.divide(q, p, out=np.zeros_like(q), where=p > 0))


meanshift.register_similarity("squared-bhattacharyya", value=value, weights=weights, replace=True)
'''


def test_a_plugin_registers_a_similarity_by_name(clip, tmp_path, monkeypatch):
    video, box = clip
    (tmp_path / "my_similarity.py").write_text(PLUGIN)
    monkeypatch.chdir(tmp_path)  # a module name is looked up in the current folder, as python -m does
    out = tmp_path / "p.csv"
    result = run("track", video, "--box", box, "-o", out, "-q", "--plugin", "my_similarity",
                 "--similarity", "squared-bhattacharyya")
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == N_FRAMES + 1
    # Batch workers are fresh processes: they import the plugin themselves.
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b"):
        (folder / f"{name}.avi").write_bytes(video.read_bytes())
        (folder / f"{name}.box").write_text(box + "\n")
    result = run("batch", folder, "--out", tmp_path / "out", "--jobs", "2", "-q", "--plugin",
                 str(tmp_path / "my_similarity.py"), "--similarity", "squared-bhattacharyya")
    assert result.exit_code == 0, result.output
    assert "2 tracked" in result.output
    bad = run("track", video, "--box", box, "--plugin", "no_such_plugin_module")
    assert bad.exit_code == 2 and "cannot import plugin 'no_such_plugin_module'" in bad.output


# ------------------------------------------------------------------------------- 11. compilation before the loop


def test_compilation_happens_before_the_loop_and_is_not_in_the_speed(clip, monkeypatch):
    """A first update that takes 1.5 s (as compiling does) must not count as tracking time."""
    from meanshift.apps import warmup
    from meanshift.apps.batch import tracking

    create = tracking.TrackerOptions.create
    compiled = []

    class Compiling:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def update(self, *args, **kwargs):
            if not compiled:
                time.sleep(1.5)
                compiled.append(True)
            return self.inner.update(*args, **kwargs)

    monkeypatch.setattr(tracking.TrackerOptions, "create", lambda self: Compiling(create(self)))
    monkeypatch.setattr(warmup, "cache_is_cold", lambda *tracker: True)
    video, box = clip
    result = run("track", video, "--box", box)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("compiling the tracking kernels") and re.match(r"compiled in [\d.]+ s", lines[1])
    seconds = float(re.search(r"tracked \d+ frames in ([\d.]+) s", result.output).group(1))
    assert seconds < 1.0, result.output


def test_a_warm_cache_is_told_by_the_kernels_of_the_chosen_engine(tmp_path):
    """After a default tracker's run, the next start loads its kernels and says nothing of compiling; a preset of
    the other engine still compiles. (The check read a kernel the default tracker never compiles: every start
    announced a compilation.)"""
    first_run = """
import meanshift
from meanshift.apps.warmup import cache_is_cold
from meanshift.synthetic import moving_target_sequence
print(cache_is_cold(meanshift.Tracker()), cache_is_cold())
(frame, box), (later, _) = list(moving_target_sequence(n_frames=2, frame_size=(120, 160), base_size=(30, 24)))
tracker = meanshift.Tracker()
tracker.init(frame, box)
tracker.update(later)
"""
    next_run = "import meanshift; from meanshift.apps.warmup import cache_is_cold; " \
               "print(cache_is_cold(meanshift.Tracker()), cache_is_cold(), cache_is_cold(meanshift.camshift()))"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "MEANSHIFT_NUMBA_CACHE": "1"}
    said = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, check=True,
                           env=env).stdout.split() for code in (first_run, next_run)]
    assert said == [["True", "True"], ["False", "False", "True"]], said


def test_the_compile_helper_starts_only_where_it_can_help_and_is_ended(monkeypatch):
    """Issue 27, first start: a forked copy of the process compiles the posterior engine's frame kernels beside
    the warm-up, only with the cache on, two cores and that engine; it is ended (and reaped) when asked."""
    from meanshift import _jit
    from meanshift.apps import warmup

    monkeypatch.delenv("MEANSHIFT_COMPILE_HELPER", raising=False)
    monkeypatch.setattr(_jit, "CACHE_ENABLED", False)
    assert warmup.start_helper(meanshift.Tracker()) is None  # caching off: nothing to share
    monkeypatch.setattr(_jit, "CACHE_ENABLED", True)
    monkeypatch.setattr(warmup, "_cores", lambda: 1)
    assert warmup.start_helper(meanshift.Tracker()) is None  # one core: it would only take turns
    monkeypatch.setattr(warmup, "_cores", lambda: 2)
    assert warmup.start_helper(meanshift.camshift()) is None  # the classic engine: not its kernels
    helper = warmup.start_helper(meanshift.Tracker())
    assert helper is not None
    warmup.stop_helper(helper)
    assert helper.poll() is not None
    with pytest.raises(ChildProcessError):  # reaped: no zombie left behind
        os.waitpid(helper.pid, os.WNOHANG)
    warmup.stop_helper(None)  # (nothing to end)
    monkeypatch.setenv("MEANSHIFT_COMPILE_HELPER", "0")  # never
    assert warmup.start_helper(meanshift.Tracker()) is None


def test_the_helpers_share_is_compiled_once_and_loaded_by_the_tracker(tmp_path):
    """Fresh interpreter, empty cache: the forked helper compiles its share and exits cleanly; the process that
    forked it compiles none of that share, loads it from the cache, and compiles only its own share and the
    quantiser (each kernel once)."""
    script = """
import meanshift
from meanshift._kernels import posterior
from meanshift.apps.warmup import start_helper
from meanshift.synthetic import moving_target_sequence
helper = start_helper(meanshift.Tracker())
print(helper.wait(300), helper.returncode)
frames = list(moving_target_sequence(n_frames=3, frame_size=(120, 160), base_size=(30, 24)))
tracker = meanshift.Tracker()
tracker.init(*frames[0])
for frame, _ in frames[1:]:
    tracker.update(frame)
for name in ("zeroth_moment_ratio", "best_window", "posterior_table", "rect_match", "map_mean_shift"):
    kernel = getattr(posterior, name)
    print(name, len(kernel.signatures), sum(kernel.stats.cache_hits.values()))
"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "MEANSHIFT_COMPILE_HELPER": "1",
           "MEANSHIFT_NUMBA_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True,
                          env=env)
    lines = done.stdout.split("\n")
    assert lines[0] == "True 0", done.stdout + done.stderr
    said = {name: (int(n), int(hits)) for name, n, hits in (line.split() for line in lines[1:] if line)}
    assert said["zeroth_moment_ratio"] == (1, 1) and said["best_window"] == (1, 1), said  # the helper's: loaded
    # Compiled before the fork (posterior_table) or after it by this process: not in the cache when first called.
    assert said["posterior_table"] == (1, 0) and said["rect_match"] == (1, 0) and said["map_mean_shift"] == (1, 0), said


needs_helper = pytest.mark.skipif(not (sys.platform.startswith("linux") and len(os.sched_getaffinity(0)) >= 2),
                                  reason="the compile helper is a fork on Linux with two cores")


@needs_helper
def test_the_warm_up_with_the_helper_compiles_each_kernel_once(tmp_path):
    """As ``meanshift track`` runs it on an empty cache: the helper forked first, then the warm-up on the first
    frame. The helper's share is loaded, not compiled, by the warm-up (it waits for it), the tracker's own share
    compiled by the warm-up, and the helper has been reaped."""
    script = """
import meanshift
from meanshift._kernels import posterior
from meanshift.apps.warmup import compile_kernels, start_helper_if_cold
from meanshift.synthetic import moving_target_sequence
helper = start_helper_if_cold(meanshift.Tracker)
frame, box = next(iter(moving_target_sequence(n_frames=1, frame_size=(120, 160), base_size=(30, 24))))
compile_kernels(meanshift.Tracker, frame, [box], quiet=True, helper=helper)
print(helper.returncode)
for name in ("best_window", "zeroth_moment_ratio", "rect_match", "map_mean_shift"):
    stats = getattr(posterior, name).stats
    print(name, sum(stats.cache_hits.values()), sum(stats.cache_misses.values()))
"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "MEANSHIFT_COMPILE_HELPER": "1",
           "MEANSHIFT_NUMBA_CACHE": "1"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True,
                          env=env)
    lines = done.stdout.split("\n")
    assert lines[0] == "0", done.stdout + done.stderr  # finished its share and exited cleanly
    said = {name: (int(hits), int(misses)) for name, hits, misses in (line.split() for line in lines[1:] if line)}
    assert said["best_window"] == (1, 0) and said["zeroth_moment_ratio"] == (1, 0), said  # the helper's: loaded
    assert said["rect_match"] == (0, 1) and said["map_mean_shift"] == (0, 1), said  # the warm-up's: compiled


def test_a_stuck_helper_costs_the_warm_up_a_bounded_wait_and_is_ended(monkeypatch):
    """A helper that never finishes (starved or stuck) is waited for at most HELPER_WAIT_SECONDS; the warm-up then
    compiles what it needs itself and ends the helper."""
    from meanshift.apps import warmup

    stuck = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    helper = warmup.CompileHelper(stuck.pid)
    monkeypatch.setattr(warmup, "HELPER_WAIT_SECONDS", 0.5)
    frame, box = next(iter(moving_target_sequence(n_frames=1, frame_size=(120, 160), base_size=(30, 24))))
    start = time.perf_counter()
    warmup.compile_kernels(meanshift.Tracker, frame, [box], quiet=True, helper=helper)
    assert time.perf_counter() - start < 20
    assert helper.poll() is not None  # ended and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(stuck.pid, os.WNOHANG)


def test_a_cache_left_by_an_older_source_counts_as_cold(tmp_path):
    """An upgrade in place leaves the old index files, which Numba ignores: the cold check must too, or a fresh
    install's start compiles with no helper and no word."""
    module = tmp_path / "kernel_module.py"
    module.write_text("from meanshift._jit import jit\n\n@jit\ndef twice(x):\n    return 2 * x\n")
    script = ("import sys; sys.path.insert(0, sys.argv[1]); import kernel_module\n"
              "from meanshift._jit import cache_is_warm\n"
              "before = cache_is_warm(kernel_module.twice); kernel_module.twice(1.0)\n"
              "print(before, cache_is_warm(kernel_module.twice))\n")
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), "MEANSHIFT_NUMBA_CACHE": "1"}

    def run_script() -> list[str]:
        return subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True,
                              timeout=300, check=True, env=env).stdout.split()

    assert run_script() == ["False", "True"]  # empty, then compiled and cached
    assert run_script() == ["True", "True"]  # the next start finds it
    with module.open("a") as source:  # the source replaced (a new version installed over the old)
        source.write("# version 2\n")
    assert run_script() == ["False", "True"]


def test_the_shares_compile_what_the_default_tracker_then_loads(tmp_path):
    """The shares' calls have the types the engine passes: after them, a tracker's frames compile none of them
    again (fresh interpreter, empty cache), and the shares together are all of them."""
    script = """
from meanshift._kernels import posterior
from meanshift._kernels.posterior import compile_frame_kernels
import meanshift
from meanshift.synthetic import moving_target_sequence
for share in ("first", "helper", "tracker"):
    compile_frame_kernels(share)
names = ["zeroth_moment_ratio", "rect_match", "map_mean_shift", "best_window", "posterior_table", "blend_histogram"]
helped = {name: list(getattr(posterior, name).signatures) for name in names}
frames = list(moving_target_sequence(n_frames=3, frame_size=(120, 160), base_size=(30, 24)))
tracker = meanshift.Tracker()
tracker.init(*frames[0])
for frame, _ in frames[1:]:
    tracker.update(frame)
print(all(len(helped[name]) == 1 and getattr(posterior, name).signatures == helped[name] for name in names))
"""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, check=True,
                          env=env)
    assert done.stdout.strip() == "True", done.stdout + done.stderr
    from meanshift._kernels.posterior import compile_frame_kernels

    with pytest.raises(ValueError, match="share must be"):
        compile_frame_kernels("half")


def test_the_first_starts_compile_runs_without_collections_and_turns_them_back_on(monkeypatch):
    """Issue 27, first start: the collector's passes over the compiler's objects took a tenth of the compile time;
    the cold warm-up turns collection off and back on after, with what it left frozen (no full pass later to
    stall a tracked frame), once per process (what is frozen is never freed), and only with the cache on. A warm
    start leaves the collector alone."""
    import gc

    from meanshift import _jit
    from meanshift.apps import warmup

    monkeypatch.setattr(warmup, "_FROZEN", False)
    monkeypatch.setattr(_jit, "CACHE_ENABLED", True)

    frame, box = next(iter(moving_target_sequence(n_frames=1, frame_size=(120, 160), base_size=(30, 24))))
    seen = []

    class Watching:
        def __init__(self):
            self.inner = meanshift.Tracker()

        def init(self, *args):
            seen.append(gc.isenabled())
            return self.inner.init(*args)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    gc.unfreeze()
    try:
        for cold, froze in ((False, False), (True, True), (True, False)):  # the second cold start: not again
            monkeypatch.setattr(warmup, "cache_is_cold", lambda *tracker, cold=cold: cold)
            warmup.compile_kernels(Watching, frame, [box], quiet=True)
            assert gc.isenabled() and (gc.get_freeze_count() > 0) == froze
            gc.unfreeze()
        monkeypatch.setattr(warmup, "_FROZEN", False)
        monkeypatch.setattr(_jit, "CACHE_ENABLED", False)  # every run compiles: nothing frozen, ever
        warmup.compile_kernels(Watching, frame, [box], quiet=True)
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.unfreeze()
        gc.enable()
    assert seen == [True, False, True, True]


def test_the_program_skips_the_last_garbage_collections_and_keeps_its_exit_status():
    """Issue 27, first start: the interpreter's last collections over Numba's objects took a quarter of a second
    of every run's end; the program freezes them once the command is done, whatever its exit status."""
    code = ("import atexit, gc, sys\nfrom meanshift.apps.cli import run\n"
            "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
            "sys.argv = ['meanshift'] + sys.argv[1:]\nrun()\n")
    fine = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True, timeout=120)
    assert fine.returncode == 0 and fine.stdout.split()[-2:] == ["frozen", "True"], fine.stdout + fine.stderr
    bad = subprocess.run([sys.executable, "-c", code, "track", "no-such-clip.mp4", "--box", "1,1,5,5"],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "no-such-clip.mp4" in bad.stderr and "frozen True" in bad.stdout, bad


def test_the_compile_time_is_said_once_and_the_same_everywhere():
    from meanshift.apps.warmup import COMPILE_SECONDS

    # The README is the front door; the docs say the rest: every page that names the time names the same.
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    said = set(re.findall(r"(\d+) s when every kernel must first", " ".join(p.read_text() for p in pages)))
    assert said == {str(COMPILE_SECONDS)}


# ------------------------------------------------------------------------------- 15. warnings on their own line


def test_warnings_do_not_glue_onto_the_progress_bar(tmp_path):
    video = tmp_path / "gray"  # frames without compression noise: three exactly equal channels
    (video / "img").mkdir(parents=True)
    scene = list(moving_target_sequence(N_FRAMES, (120, 160), seed=2, base_size=(30, 24)))
    for i, (frame, _) in enumerate(scene):
        gray = cv2.cvtColor(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), cv2.COLOR_GRAY2BGR)
        cv2.imwrite(str(video / "img" / f"{i + 1:04d}.png"), gray)
    result = run("track", video, "--box", format_box(scene[0][1]), "--features", "bgr")
    assert result.exit_code == 0, result.output
    assert "warning: grayscale" in result.output
    assert not re.search(r"[^\r\n]warning: ", result.output), repr(result.output)


# ------------------------------------------------------------------------------- 16 and 25. make targets


def make_dry_run(target: str) -> str:
    done = subprocess.run(["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.skipif(not os.path.exists("/usr/bin/make"), reason="make is not installed")
def test_make_eval_leaves_the_committed_results_alone_and_make_results_regenerates_them():
    eval_lines = [line for line in make_dry_run("eval").splitlines() if "meanshift eval" in line]
    assert eval_lines and all("--out out/eval" in line for line in eval_lines)
    results = make_dry_run("results")
    assert "opencv-contrib-python-headless" in results and ".venv-eval" in results
    assert "--out benchmarks/results" in results
    readme = (ROOT / "README.md").read_text()
    assert "--out benchmarks/results" not in readme and "make results" in readme


# ------------------------------------------------------------------------------- 18. the webcam example


def test_the_webcam_example_keeps_opencvs_own_lines_off_the_console():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "examples" / "webcam.py"), "7"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert done.returncode != 0 and "cannot open camera 7" in done.stderr
    assert "[ERROR" not in done.stderr and "[ WARN" not in done.stderr, done.stderr
