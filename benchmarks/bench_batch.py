"""Throughput of `meanshift batch` and `meanshift track` on the shared sequences, next to the cost of just decoding.

For every OTB/VOT folder in ../shared/data/sequences a manifest row ``folder,x,y,w,h`` (the first
ground-truth box) is written; then

* **decode only**: every frame read in one process and in N processes (one sequence per task, OpenCV
  limited to one thread per process as batch workers are), two ways: a plain ``cv2.imread`` loop, and
  the source the commands read (``open_source(folder, prefetch=True)``: a pool of decoding threads, as
  many as OpenCV may use; one per process when N > 1). The ceiling for any tracker reading JPEG files;
* **batch**: ``meanshift batch MANIFEST --out DIR --jobs N --force`` run as a user runs it (a new
  process: start-up, Numba cache loading and the summary included), for N = 1 and 2, with
  ``--no-prefetch`` (before: each frame decoded when the tracker asks for it) and with the default
  ``--prefetch`` (after: decoding overlaps tracking); ratio = whole command / decode only with the same
  number of processes;
* **track on a file**: one sequence played forward and back (``--file-loops`` times, so that the target
  moves continuously) written to an .mp4 (``mp4v``, with ``cv2.VideoWriter``); ``meanshift track FILE
  --box ... -o OUT.csv -q`` against decoding the file with a plain ``cv2.VideoCapture`` loop (one
  process), before and after; start-up (the same command with ``--max-frames 1``) is measured too;
* **Dask**: the batch with ``--scheduler local --jobs 2`` (a two-worker ``LocalCluster``, started by
  the command and included in its time), when the ``distributed`` extra is installed;
* **scheduling overhead per video**: batches of trivially small videos (3 frames of 48x64) run
  through ``run_batch`` with the local pool and with ``scheduler="local"``, 2 workers each, with
  N and 2N videos; (time(2N) - time(N)) / N is the wall time each further video costs, start-up
  cancelled out; the Dask figure minus the pool's is what the scheduler adds per video.

Every configuration is run once per round, the rounds repeated and the fastest run of each kept (the
machine may be shared: a burst of other work then slows one round of every configuration rather than
all runs of one). Results go to benchmarks/results/batch_throughput.md. Run it under ``nice`` on a shared
machine.

Usage::

    python benchmarks/bench_batch.py [--repeats 3] [--preset generalized] [--file-sequence Soccer]
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import json
import multiprocessing
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import cv2

ROOT = Path(__file__).resolve().parents[1]
SEQUENCES = ROOT.parent / "shared" / "data" / "sequences"
RESULTS = ROOT / "benchmarks" / "results" / "batch_throughput.md"
RAW = RESULTS.with_suffix(".json")  # the figures the table is made from
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def sequences() -> list[Path]:
    found = sorted(p for p in SEQUENCES.iterdir() if (p / "img").is_dir() and (p / "groundtruth_rect.txt").is_file())
    if not found:
        raise SystemExit(f"no sequences in {SEQUENCES}")
    return found


def first_box(folder: Path) -> list[str]:
    return (folder / "groundtruth_rect.txt").read_text().splitlines()[0].replace("\t", ",").split(",")[:4]


def write_manifest(folders: list[Path], path: Path, copies: int = 1) -> None:
    """One row per folder; with ``copies`` > 1 each folder is listed again through symlinks with
    other names (a longer batch over the same frames, so that start-up costs are spread thinner)."""
    with open(path, "w", newline="") as f:
        rows = csv.writer(f)
        rows.writerow(["video", "x", "y", "w", "h"])
        for copy in range(copies):
            for folder in folders:
                source = folder
                if copy:
                    source = path.parent / f"{folder.name}_{copy}"
                    source.symlink_to(folder, target_is_directory=True)
                rows.writerow([str(source), *first_box(folder)])


# ------------------------------------------------------------------------------- decoding only


def count_frames(path: Path) -> int:
    """Frames read through the commands' own source, decoding ahead (``open_source(prefetch=True)``)."""
    from meanshift.io import open_source

    with open_source(path, prefetch=True) as source:
        return sum(1 for _ in source)


def decode_folder(folder: Path, single_thread: bool = False, prefetch: bool = False) -> int:
    """Frames decoded from a folder: a plain ``cv2.imread`` loop, or the commands' own source."""
    if single_thread:  # as batch workers do when several processes share the cores
        cv2.setNumThreads(1)
    if prefetch:
        return count_frames(folder)
    n = 0
    for image in sorted((folder / "img").iterdir()):
        # Keep the frame until the next one is decoded, as any real loop does: dropping it first
        # lets the allocator give the pages back and fault in fresh ones, twice as slow on 720p.
        frame = cv2.imread(str(image), cv2.IMREAD_COLOR)
        n += frame is not None
    return n


def time_decode(folders: list[Path], processes: int, prefetch: bool) -> tuple[int, float]:
    start = time.perf_counter()
    if processes == 1:
        frames = sum(decode_folder(f, prefetch=prefetch) for f in folders)
    else:
        # The longest first, as the batch orders its videos.
        ordered = sorted(folders, key=lambda f: -sum(p.stat().st_size for p in (f / "img").iterdir()))
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            frames = sum(pool.starmap(decode_folder, [(f, True, prefetch) for f in ordered], chunksize=1))
    return frames, time.perf_counter() - start


def decode_file(path: Path, prefetch: bool = False) -> int:
    """Frames decoded from a video file: a plain ``cv2.VideoCapture`` loop, or the commands' own source."""
    if prefetch:
        return count_frames(path)
    n = 0
    capture = cv2.VideoCapture(str(path))
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        n += 1
    capture.release()
    return n


def write_file(folder: Path, path: Path, loops: int) -> int:
    """The sequence forward then back, ``loops`` times, as an mp4v .mp4; returns its frame count."""
    frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted((folder / "img").iterdir())]
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30, (w, h))
    order = (frames + frames[-2:0:-1]) * loops
    for frame in order:
        writer.write(frame)
    writer.release()
    return len(order)


# ------------------------------------------------------------------------------- tracking only


def track_in_memory(name: str, frames: list, box: list[str], preset: str, csv_path: Path) -> float:
    """Seconds ``track_video`` takes over frames already decoded (with its box table): tracking's own ceiling."""
    import warnings

    from meanshift.apps.batch import TrackerOptions, track_video
    from meanshift.io import FrameSource

    class Frames(FrameSource):
        kind = "file"

        def __init__(self) -> None:
            self.name, self.fps, self.frame_count, self.index = name, 30.0, len(frames), 0

        def _read(self):  # noqa: ANN202
            self.index += 1
            return frames[self.index - 1] if self.index <= len(frames) else None

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. grey frames: the command warns about them too
        report = track_video(Frames(), [float(v) for v in box], options=TrackerOptions(preset), csv_path=csv_path)
    return report.seconds


def track_sequences_in_memory(folders: list[Path], preset: str, csv_path: Path) -> dict[str, float]:
    """Each sequence decoded first (not timed), then tracked from memory: ``{name: seconds}``."""
    seconds = {}
    for folder in folders:
        frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in sorted((folder / "img").iterdir())]
        seconds[folder.name] = track_in_memory(folder.name, frames, first_box(folder), preset, csv_path)
    return seconds


def track_file_in_memory(video: Path, box: list[str], preset: str, csv_path: Path, loops: int) -> float:
    """The file's first pass (forward and back) decoded, then tracked ``loops`` times over from memory."""
    capture = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    one_pass = frames[: len(frames) // loops]
    del frames
    return track_in_memory(video.name, one_pass * loops, box, preset, csv_path)  # the same arrays, repeated


# ------------------------------------------------------------------------------- the commands


def time_batch(
    manifest: Path, out: Path, jobs: int, preset: str, scheduler: str | None = None, prefetch: bool = True
) -> tuple[int, float, float, list[dict]]:
    command = [sys.executable, "-m", "meanshift", "batch", str(manifest), "--out", str(out), "--jobs", str(jobs),
               "--force", "-q", "--preset", preset, "--prefetch" if prefetch else "--no-prefetch"]
    if scheduler is not None:
        command += ["--scheduler", scheduler]
    start = time.perf_counter()
    process = subprocess.run(command, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"batch failed: {process.stderr}")
    with open(out / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    frames = sum(int(r["frames"]) for r in rows)
    busy = sum(float(r["seconds"]) for r in rows)  # time inside track_video, summed over videos
    return frames, wall, busy, rows


def time_track(video: Path, box: list[str], out: Path, preset: str, prefetch: bool,
               max_frames: int | None = None) -> float:
    command = [sys.executable, "-m", "meanshift", "track", str(video), "--box", ",".join(box), "-o", str(out),
               "-q", "--preset", preset, "--prefetch" if prefetch else "--no-prefetch"]
    if max_frames is not None:
        command += ["--max-frames", str(max_frames)]
    start = time.perf_counter()
    process = subprocess.run(command, env=ENV, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if process.returncode != 0:
        raise SystemExit(f"track failed: {process.stderr}")
    return wall


def trivial_jobs(folder: Path, n: int) -> list:
    """``n`` jobs reading one 3-frame 48x64 clip under different names: next to no tracking work."""
    import numpy as np

    from meanshift.apps.batch import BatchJob

    clip = folder / "tiny.avi"
    if not clip.exists():
        writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
        for shift in range(3):
            frame = np.full((48, 64, 3), 40, np.uint8)
            frame[10:30, 10 + shift:30 + shift] = (0, 0, 230)
            writer.write(frame)
        writer.release()
    return [BatchJob(str(clip), (10.0, 10.0, 20.0, 20.0), f"t{i}") for i in range(n)]


def time_trivial(folder: Path, n: int, scheduler: str | None) -> float:
    from meanshift.apps.batch import run_batch

    jobs = trivial_jobs(folder, n)
    start = time.perf_counter()
    reports = run_batch(jobs, folder / "out", n_jobs=2, force=True, progress=False, scheduler=scheduler,
                        log=lambda message: None)
    wall = time.perf_counter() - start
    if any(r.status != "ok" for r in reports):
        raise SystemExit(f"trivial batch failed: {[r.error for r in reports if r.error]}")
    return wall


def _timed(function: Callable, *args: object) -> float:
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def fastest(runs: list) -> object:
    """The run with the shortest wall time (the second field of a tuple, or the number itself)."""
    return min(runs, key=lambda r: r[1] if isinstance(r, tuple) else r)


# ------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--preset", default="generalized")
    parser.add_argument("--trivial", type=int, default=150, help="N for the scheduling overhead (N and 2N videos)")
    parser.add_argument("--file-sequence", default="Soccer", help="the sequence made into a video file for track")
    parser.add_argument("--file-loops", type=int, default=8, help="forward-and-back passes in that file")
    parser.add_argument("--render", action="store_true",
                        help=f"only write the table again from the last run's figures ({RAW.name})")
    args = parser.parse_args()
    if args.render:
        render(RAW)
        return
    sys.path.insert(0, str(ROOT))  # run_batch in this process, for the overhead measurement
    has_dask = importlib.util.find_spec("distributed") is not None
    folders = sequences()
    loads = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory() as tmp:
        manifest = Path(tmp) / "sequences.csv"
        write_manifest(folders, manifest)
        longer = Path(tmp) / "longer" / "sequences_x4.csv"
        longer.parent.mkdir()
        write_manifest(folders, longer, copies=4)
        file_folder = SEQUENCES / args.file_sequence
        video = Path(tmp) / f"{args.file_sequence}.mp4"
        file_frames = write_file(file_folder, video, args.file_loops)
        box = first_box(file_folder)
        # Warm the disk cache and Numba's on-disk cache, so that no run pays for them alone.
        time_decode(folders, 1, False)
        decode_file(video)
        time_batch(manifest, Path(tmp) / "warm", 1, args.preset)
        time_track(video, box, Path(tmp) / "warm.csv", args.preset, True, max_frames=10)
        track_sequences_in_memory(folders[:1], args.preset, Path(tmp) / "warm-memory.csv")

        # Decoding and the commands, before (no prefetch) and after, interleaved round by round.
        measures: dict[str, Callable[[], object]] = {}
        for n in (1, 2):
            for prefetch in (False, True):
                measures[f"decode {n} {prefetch}"] = lambda n=n, p=prefetch: time_decode(folders, n, p)
                measures[f"batch {n} {prefetch}"] = lambda n=n, p=prefetch: time_batch(
                    manifest, Path(tmp) / f"x1-{n}-{p}", n, args.preset, prefetch=p)
        for prefetch in (False, True):
            measures[f"file decode {prefetch}"] = lambda p=prefetch: _timed(decode_file, video, p)
            measures[f"track {prefetch}"] = lambda p=prefetch: time_track(video, box, Path(tmp) / "track.csv",
                                                                          args.preset, p)
        measures["track start-up"] = lambda: time_track(video, box, Path(tmp) / "one.csv", args.preset, True,
                                                        max_frames=1)
        measures["track only sequences"] = lambda: track_sequences_in_memory(folders, args.preset,
                                                                             Path(tmp) / "memory.csv")
        measures["track only file"] = lambda: track_file_in_memory(video, box, args.preset, Path(tmp) / "memory.csv",
                                                                   args.file_loops)
        runs: dict[str, list] = {name: [] for name in measures}
        for _ in range(args.repeats):
            for name, measure in measures.items():
                runs[name].append(measure())
            loads.append(os.getloadavg()[0])
        by_sequence = runs["track only sequences"]
        track_only = {name: min(r[name] for r in by_sequence) for name in by_sequence[0]}
        runs["track only sequences"] = [sum(r.values()) for r in by_sequence]
        best = {name: fastest(found) for name, found in runs.items()}

        # The longer batch and Dask, with the default (prefetch).
        configs = [("x4", n, None) for n in (1, 2)]
        if has_dask:
            configs += [("x1", 2, "local"), ("x4", 2, "local")]
        more: dict[tuple, list] = {c: [] for c in configs}
        for round_ in range(args.repeats):
            for config in configs:
                size, n, scheduler = config
                if size == "x4" and round_ >= max(args.repeats - 1, 1):
                    continue  # the long batch is run one time fewer
                source = manifest if size == "x1" else longer
                out = Path(tmp) / f"{size}-{n}-{scheduler}"
                more[config].append(time_batch(source, out, n, args.preset, scheduler))
        best_more = {config: fastest(found) for config, found in more.items()}
        loads.append(os.getloadavg()[0])

        overhead: dict[str, dict[int, float]] = {}
        trivial = Path(tmp) / "trivial"
        trivial.mkdir()
        backends = [("local pool", None)] + ([("Dask LocalCluster", "local")] if has_dask else [])
        timings: dict[tuple, list[float]] = {}
        for _ in range(args.repeats):
            for name, scheduler in backends:
                for n in (args.trivial, 2 * args.trivial):
                    timings.setdefault((name, n), []).append(time_trivial(trivial, n, scheduler))
        for (name, n), found in timings.items():
            overhead.setdefault(name, {})[n] = min(found)

        per_sequence = []
        for row in best["batch 1 True"][3]:
            folder = Path(row["video"])
            plain = min(_timed(decode_folder, folder) for _ in range(args.repeats))
            ahead = min(_timed(decode_folder, folder, False, True) for _ in range(args.repeats))
            per_sequence.append((folder.name, int(row["frames"]), float(row["fps"]), track_only[folder.name], plain,
                                 ahead))
        loads.append(os.getloadavg()[0])

    raw = {"best": best, "best_more": {"|".join(map(str, k)): v for k, v in best_more.items()},
           "overhead": overhead, "per_sequence": per_sequence, "file_frames": file_frames, "loads": loads,
           "has_dask": has_dask, "args": vars(args)}
    RAW.write_text(json.dumps(raw, indent=1) + "\n")
    write_results(args, folders, best, best_more, overhead, per_sequence, file_frames, loads, has_dask)


def render(path: Path) -> None:
    """Write the table again from the raw figures of a run (after a change to the wording only)."""
    raw = json.loads(path.read_text())
    args = argparse.Namespace(**raw["args"])
    best_more = {tuple(None if x == "None" else int(x) if x.isdigit() else x for x in k.split("|")): v
                 for k, v in raw["best_more"].items()}
    overhead = {name: {int(n): s for n, s in times.items()} for name, times in raw["overhead"].items()}
    write_results(args, sequences(), raw["best"], best_more, overhead, raw["per_sequence"], raw["file_frames"],
                  raw["loads"], raw["has_dask"])


def verdict(best: dict, frames: int, file_frames: int, startup: float) -> list[str]:
    """What the figures say about the target (whole command within 25 % of decode-only), in words."""
    decode1 = frames / best["decode 1 False"][1]
    decode2 = frames / best["decode 2 False"][1]
    tracking = frames / best["track only sequences"]
    lines = []
    for n, decode in ((1, decode1), (2, decode2)):
        f, wall, _, _ = best[f"batch {n} True"]
        before = best[f"batch {n} False"]
        ratio = (f / wall) / decode
        lines.append(
            f"- `meanshift batch --jobs {n}`: {f / wall:.0f} frames/s against {decode:.0f} for decoding alone in "
            f"{n} process{'es' if n > 1 else ''}: **{ratio:.2f}**, target 0.75 "
            f"**{'met' if ratio >= 0.75 else 'missed'}** (before, without reading ahead: "
            f"{(f / before[1]) / decode:.2f}).")
    t_dec, t_trk, t_dec2 = best["decode 1 False"][1], best["track only sequences"], best["decode 2 False"][1]
    # One process: tracking runs in one thread, and decoding + tracking share two cores; both start up first.
    bound1 = t_dec / (max(t_trk, (t_dec + t_trk) / 2) + startup)
    bound2 = t_dec2 / ((t_dec + t_trk) / 2 + startup)
    lines.append(
        f"- Why: tracking alone, with no decoding at all, takes {t_trk:.1f} s in one process ({tracking:.0f} "
        f"frames/s), against {t_dec:.1f} s for decoding alone. Reading ahead can only hide one behind the other: "
        f"one process needs at least the longer of tracking and half of (decoding + tracking) with both cores "
        f"busy, plus start-up ({startup:.1f} s), which puts *whole / decode* near {bound1:.2f} at most. Two "
        f"processes share the same two cores, which decoding alone already fills, so tracking's work comes on "
        f"top: about {t_dec2:.1f} / (({t_dec:.1f} + {t_trk:.1f}) / 2 + {startup:.1f}) = {bound2:.2f} (an "
        f"estimate from the one-process times; decoding in two processes does not scale perfectly, so the "
        f"measured ratio can come out a little above it). Both caps hold only when no other work takes the "
        f"cores (the load averages below say how busy the machine was).")
    file_decode_s = best["file decode False"]
    file_decode = file_frames / file_decode_s
    file_tracking = file_frames / best["track only file"]
    ratio = (file_frames / best["track True"]) / file_decode
    loop = (file_frames / (best["track True"] - startup)) / file_decode
    lines.append(
        f"- `meanshift track` on the file: {file_frames / best['track True']:.0f} frames/s against {file_decode:.0f} "
        f"for decoding it: **{ratio:.2f}**, target **{'met' if ratio >= 0.75 else 'missed'}** (before: "
        f"{(file_frames / best['track False']) / file_decode:.2f}; less the {startup:.1f} s of start-up, {loop:.2f}). "
        f"Tracking this file's frames from memory runs at {file_tracking:.0f} frames/s, "
        f"{file_tracking / file_decode:.2f} of decoding's speed" + (
            ": the command cannot track faster than that, start-up aside." if file_tracking < file_decode else
            f", so decoding is the bound: with decoding and tracking perfectly overlapped the command would take "
            f"the decoding time plus start-up, {file_decode_s:.1f} + {startup:.1f} s, "
            f"{file_decode_s / (file_decode_s + startup):.2f} of decode-only at best; the rest of the shortfall is "
            f"the two threads (and FFmpeg's own) not getting both cores to themselves."))
    return lines


def write_results(args, folders, best, best_more, overhead, per_sequence, file_frames, loads, has_dask) -> None:
    frames = best["decode 1 False"][0]
    command = "nice python benchmarks/bench_batch.py" + (f" --repeats {args.repeats}" if args.repeats != 3 else "")
    sizes = sorted({cv2.imread(str(next(iter(sorted((f / "img").iterdir())))), cv2.IMREAD_COLOR).shape[1::-1]
                    for f in folders})
    lines = [
        "# `meanshift batch` and `meanshift track` throughput on the shared sequences",
        "",
        f"{len(folders)} sequences, {frames} JPEG frames from {sizes[0][0]}x{sizes[0][1]} to "
        f"{sizes[-1][0]}x{sizes[-1][1]}; preset `{args.preset}`; every configuration run once per round, "
        f"{args.repeats} rounds, the fastest run of each kept. Produced by `{command}`.",
        "",
        "## Decoding against the whole command",
        "",
        "*Before* is `--no-prefetch` (each frame decoded when the tracker asks for it), *after* the default "
        "`--prefetch` (a frame folder decoded ahead in a pool of threads, as many as OpenCV may use: 2 in one "
        "process here, 1 per process in a batch of several; a video file read on a background thread), in the "
        "same run. Decode only is the same work with no tracking, in the same number of processes: a plain "
        "`cv2.imread` loop, and the source the commands read (`open_source(folder, prefetch=True)`). "
        "*Whole / decode* is the command's frames/s over decode-only frames/s (plain loop; in brackets, over "
        "the prefetched source); the target is at least 0.75.",
        "",
        "| what | processes | frames | wall time (s) | frames/s | whole / decode |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    fps = {}
    for n in (1, 2):
        for prefetch, how in ((False, "plain `cv2.imread` loop"), (True, "`open_source(prefetch=True)`")):
            f, s = best[f"decode {n} {prefetch}"]
            fps[("decode", n, prefetch)] = f / s
            lines.append(f"| decode only, {how} | {n} | {f} | {s:.2f} | {f / s:.0f} | |")
    tracking = best["track only sequences"]
    lines.append(f"| tracking only: `track_video` over frames already in memory, box table included (no decoding) "
                 f"| 1 | {frames} | {tracking:.2f} | {frames / tracking:.0f} | |")
    for n in (1, 2):
        for prefetch, how in ((False, "before (`--no-prefetch`)"), (True, "after (`--prefetch`)")):
            f, wall, _, _ = best[f"batch {n} {prefetch}"]
            ratio = (f / wall) / fps[("decode", n, False)]
            ratio_ahead = (f / wall) / fps[("decode", n, True)]
            lines.append(f"| `meanshift batch --jobs {n}`, whole command, {how} | {n} | {f} | {wall:.2f} | "
                         f"{f / wall:.0f} | **{ratio:.2f}** ({ratio_ahead:.2f}) |")
    for n in (1, 2):
        for prefetch, how in ((False, "before"), (True, "after")):
            f, _, busy, _ = best[f"batch {n} {prefetch}"]
            lines.append(f"| same, inside the per-video loops only, {how} | {n} | {f} | {busy / n:.2f} | "
                         f"{n * f / busy:.0f} | {(n * f / busy) / fps[('decode', n, False)]:.2f} "
                         f"({(n * f / busy) / fps[('decode', n, True)]:.2f}) |")
    startup = best["track start-up"]
    file_fps = file_frames / best["file decode False"]
    lines += [
        "",
        f"`meanshift track` on a video file: {args.file_sequence} played forward and back {args.file_loops} times "
        f"({file_frames} frames), written as an `mp4v` .mp4 with `cv2.VideoWriter`; `meanshift track FILE --box "
        f"... -o OUT.csv -q`, one process. Decode only is a plain `cv2.VideoCapture` loop over the file (FFmpeg "
        f"with OpenCV's default threads), and the commands' source (`open_source(file, prefetch=True)`). "
        f"Start-up (interpreter, imports, Numba's cache, the first frame): the same command with `--max-frames 1`, "
        f"{startup:.2f} s.",
        "",
        "| what | frames | wall time (s) | frames/s | whole / decode |",
        "|---|---:|---:|---:|---:|",
    ]
    for prefetch, how in ((False, "plain `cv2.VideoCapture` loop"), (True, "`open_source(prefetch=True)`")):
        s = best[f"file decode {prefetch}"]
        lines.append(f"| decode only, {how} | {file_frames} | {s:.2f} | {file_frames / s:.0f} | |")
    s = best["track only file"]
    lines.append(f"| tracking only (the file's frames already in memory; no decoding, no start-up) | {file_frames} | "
                 f"{s:.2f} | {file_frames / s:.0f} | |")
    for prefetch, how in ((False, "before (`--no-prefetch`)"), (True, "after (`--prefetch`)")):
        s = best[f"track {prefetch}"]
        lines.append(f"| `meanshift track FILE`, whole command, {how} | {file_frames} | {s:.2f} | "
                     f"{file_frames / s:.0f} | **{file_frames / s / file_fps:.2f}** |")
    for prefetch, how in ((False, "before"), (True, "after")):
        s = best[f"track {prefetch}"] - startup
        lines.append(f"| same, less the start-up, {how} | {file_frames} | {s:.2f} | {file_frames / s:.0f} | "
                     f"{file_frames / s / file_fps:.2f} |")

    lines += ["", "### Against the target", ""] + verdict(best, frames, file_frames, startup)
    lines += [
        "",
        "## Longer batches, Dask, and the cost of scheduling",
        "",
        "With the default `--prefetch`.",
        "",
        "| what | processes | frames | wall time (s) | frames/s |",
        "|---|---:|---:|---:|---:|",
    ]
    for n in (1, 2):
        f, wall, _, _ = best_more[("x4", n, None)]
        lines.append(f"| `meanshift batch --jobs {n}`, each sequence 4 times ({4 * len(folders)} videos) | {n} | "
                     f"{f} | {wall:.2f} | {f / wall:.0f} |")
    if has_dask:
        f, wall, busy, _ = best_more[("x1", 2, "local")]
        lines.append(f"| `meanshift batch --scheduler local --jobs 2` (whole command, cluster start included) | 2 | "
                     f"{f} | {wall:.2f} | {f / wall:.0f} |")
        lines.append(f"| same, inside the per-video loops only | 2 | {f} | {busy / 2:.2f} | {2 * f / busy:.0f} |")
        f, wall, busy, _ = best_more[("x4", 2, "local")]
        lines.append(f"| `meanshift batch --scheduler local --jobs 2`, each sequence 4 times ({4 * len(folders)} "
                     f"videos) | 2 | {f} | {wall:.2f} | {f / wall:.0f} |")
    else:
        lines += ["", "(Dask rows left out: the `distributed` extra is not installed.)"]
    n = args.trivial
    lines += [
        "",
        f"Scheduling overhead: batches of {n} and {2 * n} trivially small videos (3 frames of 48x64 each), 2 "
        "workers, `run_batch` called in this process, best of "
        f"{args.repeats}; the marginal cost of a video is (time({2 * n}) - time({n})) / {n}, start-up cancelled out:",
        "",
        f"| workers | {n} videos (s) | {2 * n} videos (s) | start-up and fixed costs (s) | "
        "wall time per further video (ms) |",
        "|---|---:|---:|---:|---:|",
    ]
    marginal = {}
    for name, times in overhead.items():
        marginal[name] = (times[2 * n] - times[n]) / n
        fixed = times[n] - n * marginal[name]
        lines.append(f"| {name} | {times[n]:.2f} | {times[2 * n]:.2f} | {fixed:.2f} | {1000 * marginal[name]:.1f} |")
    if any(times[n] - n * marginal[name] < 0 for name, times in overhead.items()):
        lines += ["", "A negative fixed cost means the time did not grow in proportion to the number of videos (other "
                      "work on the machine, or a cost per video that grows with the batch): this run's overhead "
                      "figures are not usable."]
    if len(marginal) == 2:
        extra = marginal["Dask LocalCluster"] - marginal["local pool"]
        lines += ["", f"Dask adds {1000 * extra:.1f} ms of wall time per video over the local pool (2 workers)."]
    f1, wall1, busy1, _ = best["batch 1 True"]
    lines += [
        "",
        "Time per frame, one process: decoding "
        f"{1000 * best['decode 1 False'][1] / frames:.2f} ms (plain loop); the whole batch command "
        f"{1000 * wall1 / f1:.2f} ms, of which {1000 * busy1 / f1:.2f} ms inside the per-video loop (decode + track "
        "+ CSV, overlapped) and the rest start-up (interpreter, imports, Numba cache) and bookkeeping.",
        "",
        "Per sequence, `--jobs 1` with `--prefetch` (fps measured inside the per-video loop, decoding included; "
        "the first video's includes loading the kernels from Numba's cache), against tracking alone from memory "
        "and decoding alone, in one process:",
        "",
        "| sequence | frames | batch fps | tracking-only fps | decode-only fps, plain loop | "
        "decode-only fps, prefetched |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, count, batch_fps, track_s, plain, ahead in per_sequence:
        lines.append(f"| {name} | {count} | {batch_fps:.0f} | {count / track_s:.0f} | {count / plain:.0f} | "
                     f"{count / ahead:.0f} |")
    lines += [
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"OpenCV {cv2.__version__}; 1-minute load average {', '.join(f'{x:.1f}' for x in loads)} (before, after "
        "each round of the first part, then after the longer batches and after the per-sequence table); the "
        "machine was shared with other work, which the load above 0 shows.",
        "",
    ]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
