"""Speed, side by side with OpenCV in the same run; writes benchmarks/results/speed.md and speed_vs_frame_size.png.

What it measures, single-threaded on both sides (``cv2.setNumThreads(1)``; the Numba kernels are serial):

1. Cost against frame size: each preset's ``update`` and OpenCV's canonical CAMSHIFT pipeline
   (``cvtColor`` to HSV, ``inRange`` mask, ``calcBackProject``, ``CamShift``) on the same synthetic
   frames at 320x240 ... 3840x2160, the target 1/8 of the frame's width.
2. Ten targets in one 1080p frame (ten trackers on the same frames) against the pipeline's one.
3. Real footage: the first frames of every shared sequence (when ``../shared`` is there).
4. The drop-ins: ``meanshift.mean_shift`` / ``cam_shift`` against ``cv2.meanShift`` / ``cv2.CamShift``.
5. Start-up: seconds from starting ``meanshift track`` to its first tracked frame's CSV row, with a
   cold Numba cache (a fresh ``NUMBA_CACHE_DIR``) and a warm one.

Timings are interleaved (A, B, A, B, ...) and summarised by their median, so that the machine's
noise hits both sides alike; the ratio is what to read, not the absolute times.

Usage: ``python benchmarks/speed.py [--frames N] [--repeats N] [--quick]``
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import meanshift
from meanshift.evaluation.baselines import OpenCVCamShift  # the canonical pipeline, as `meanshift eval` runs it
from meanshift.synthetic import COOL_BACKGROUND_PALETTE, RED_TARGET_PALETTE, TargetPose, block_texture

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
SEQUENCES = ROOT.parent / "shared" / "data" / "sequences"
CRITERIA = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 1.0)
FRAME_SIZES = ((320, 240), (640, 480), (1280, 720), (1920, 1080), (3840, 2160))
OPENCV = "OpenCV CAMSHIFT pipeline"
# Ten target colours (BGR) far from the cool background palette and from one another in hue.
TARGET_COLOURS = np.array([[0, 0, 230], [0, 140, 255], [0, 230, 230], [40, 200, 40], [200, 40, 200],
                           [120, 0, 200], [0, 90, 160], [160, 160, 0], [90, 255, 170], [230, 60, 120]], np.uint8)


def trackers_to_time() -> dict:
    """Factories of the trackers compared: the OpenCV pipeline first, then every preset."""
    trackers = {OPENCV: OpenCVCamShift}
    trackers.update({name: (lambda name=name: meanshift.create_tracker(name)) for name in meanshift.PRESETS})
    return trackers


def time_trackers(trackers: dict, frames, box, repeats: int) -> dict[str, float]:
    """Median milliseconds per ``update``, trackers interleaved frame by frame."""
    samples: dict[str, list[float]] = {name: [] for name in trackers}
    for _ in range(repeats):
        instances = {name: factory() for name, factory in trackers.items()}
        for tracker in instances.values():
            tracker.init(frames[0], box)
        for frame in frames[1:]:
            for name, tracker in instances.items():
                start = time.perf_counter()
                tracker.update(frame)
                samples[name].append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(values) for name, values in samples.items()}


#: Backgrounds of the synthetic scenes: ``palette``, blocks of a few cool colours (the target's red is in
#: none of them); ``textured``, a blurred random image with every colour, red included, so that the
#: back-projection and the weights are busy everywhere (the scene that cannot flatter us).
BACKGROUNDS = ("palette", "textured")


def synthetic_background(width: int, height: int, kind: str, rng: np.random.Generator) -> np.ndarray:
    """The ``kind`` background (see :data:`BACKGROUNDS`) of a ``width x height`` scene."""
    if kind == "textured":
        # Random colours at 1/8 of the resolution, enlarged and blurred: smooth, colourful blobs.
        small = rng.integers(0, 256, size=(max(height // 8, 2), max(width // 8, 2), 3), dtype=np.uint8)
        big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
        return cv2.GaussianBlur(big, (0, 0), 3)
    background = block_texture((height, width), COOL_BACKGROUND_PALETTE, rng=rng, block=max(8, width // 80))
    return np.clip(background + rng.normal(0, 3, size=background.shape), 0, 255).astype(np.uint8)


def synthetic_frames(width: int, height: int, n_frames: int, background_kind: str = "palette"):
    """A target 1/8 of the frame's width (an ellipse, aspect 4:3) moving and scaling a little over a background.

    Drawn only inside the target's bounding box over one background (:data:`BACKGROUNDS`), so that 4K
    frames are cheap to make; the first frame's box is returned with the frames.
    """
    rng = np.random.default_rng(1)
    background = synthetic_background(width, height, background_kind, rng)
    base_w, base_h = width / 8, width / 8 * 0.75
    frames, first_box = [], None
    for t in range(n_frames):
        phase = 2 * np.pi * t / max(n_frames, 1)
        scale = 1 + 0.1 * np.sin(phase)
        pose = TargetPose(width / 2 + 0.05 * width * np.sin(phase), height / 2 + 0.025 * height * np.sin(2 * phase),
                          base_w * scale, base_h * scale)
        x0, y0 = int(pose.cx - pose.width / 2) - 1, int(pose.cy - pose.height / 2) - 1
        x1, y1 = int(pose.cx + pose.width / 2) + 2, int(pose.cy + pose.height / 2) + 2
        local = TargetPose(pose.cx - x0, pose.cy - y0, pose.width, pose.height).mask((y1 - y0, x1 - x0))
        frame = background.copy()
        patch = frame[y0:y1, x0:x1]
        colours = RED_TARGET_PALETTE[rng.integers(0, len(RED_TARGET_PALETTE), size=int(local.sum()))]
        patch[local] = np.clip(colours + rng.normal(0, 3, size=colours.shape), 0, 255).astype(np.uint8)
        frames.append(frame)
        if first_box is None:
            ys, xs = np.nonzero(local)
            first_box = (float(x0 + xs.min()), float(y0 + ys.min()), float(np.ptp(xs) + 1), float(np.ptp(ys) + 1))
    return frames, first_box


def frame_size_sweep(n_frames: int, repeats: int, sizes=FRAME_SIZES,
                     background_kind: str = "palette") -> list[tuple[int, int, dict[str, float]]]:
    rows = []
    for width, height in sizes:
        frames, box = synthetic_frames(width, height, n_frames, background_kind)
        rows.append((width, height, time_trackers(trackers_to_time(), frames, box, repeats)))
        print(f"{background_kind} {width}x{height}: " + ", ".join(f"{k} {v:.3f} ms" for k, v in rows[-1][2].items()),
              flush=True)
    return rows


def machine_report() -> list[str]:
    """Markdown lines: the CPU, its SIMD features, and what OpenCV and Numba compiled for."""
    import llvmlite.binding as llvm
    import numba

    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and ":" in line:
                model = line.split(":", 1)[1].strip()
            elif line.startswith(("flags", "Features")) and ":" in line:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    simd = [f for f in ("sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "asimd", "neon", "sve")
            if f in flags]
    # cv::CpuFeatures (core/cvdef.h); OpenCV 5's Python module no longer exports the CPU_* names.
    ids = {"SSE4_2": 7, "AVX": 10, "AVX2": 11, "FMA3": 12, "AVX_512F": 13, "NEON": 100}
    features = {name: getattr(cv2, f"CPU_{name}", code) for name, code in ids.items()}
    used = ", ".join(name for name, code in features.items() if cv2.checkHardwareSupport(code)) or "none"
    build = cv2.getBuildInformation().splitlines()
    dispatch = [line.strip() for line in build if line.strip().startswith(("Baseline:", "Dispatched code generation:"))]
    return [
        f"- CPU: {model} ({os.cpu_count()} cores); SIMD flags: {', '.join(simd) or 'none listed'}",
        f"- OpenCV {cv2.__version__}: `checkHardwareSupport` finds {used}; build: "
        + ("; ".join(" ".join(line.split()) for line in dispatch) if dispatch else "no CPU lines in its build report"),
        f"- Numba {numba.__version__}: compiles for the host CPU `{llvm.get_host_cpu_name()}`",
    ]


def multi_target_frames(n_targets: int, n_frames: int, width: int = 1920, height: int = 1080):
    """Frames with ``n_targets`` ellipses of distinct colours drifting over one background; their first boxes."""
    rng = np.random.default_rng(7)
    background = block_texture((height, width), COOL_BACKGROUND_PALETTE, rng=rng, block=16)
    centres = [(width * (0.1 + 0.8 * (i % 5) / 4), height * (0.3 + 0.4 * (i // 5))) for i in range(n_targets)]
    size = (width / 16, width / 16 * 0.75)
    frames, boxes = [], []
    for t in range(n_frames):
        frame = background.copy()
        for i, (cx, cy) in enumerate(centres):
            pose = TargetPose(cx + 2.0 * t, cy + 1.0 * t * (-1) ** i, *size)
            x, y, w, h = (int(v) for v in pose.box((height, width)))
            local = TargetPose(pose.cx - x, pose.cy - y, *size).mask((h, w))
            patch = frame[y:y + h, x:x + w]
            patch[local] = TARGET_COLOURS[i % len(TARGET_COLOURS)]
            if t == 0:
                boxes.append((x, y, w, h))
        noise = rng.normal(0, 3, size=frame.shape)
        frames.append(np.clip(frame + noise, 0, 255).astype(np.uint8))
    return frames, boxes


def time_multi_target(n_targets: int, n_frames: int, repeats: int) -> dict[str, float]:
    """Median milliseconds per frame: ``n_targets`` trackers of each preset vs the OpenCV pipeline with one."""
    frames, boxes = multi_target_frames(n_targets, n_frames)
    samples: dict[str, list[float]] = {}
    for _ in range(repeats):
        groups = {"OpenCV pipeline, 1 target": [OpenCVCamShift()]}
        groups.update({f"{name}, {n_targets} targets": [meanshift.create_tracker(name) for _ in boxes]
                       for name in meanshift.PRESETS})
        for group in groups.values():
            for tracker, box in zip(group, boxes, strict=False):
                tracker.init(frames[0], box)
        for frame in frames[1:]:
            for name, group in groups.items():
                start = time.perf_counter()
                for tracker in group:
                    tracker.update(frame)
                samples.setdefault(name, []).append(time.perf_counter() - start)
    return {name: 1000 * statistics.median(values) for name, values in samples.items()}


def load_sequences(n_frames: int) -> list[tuple[str, list[np.ndarray], tuple[float, float, float, float]]]:
    """The first frames of every shared colour sequence (empty when ../shared is absent)."""
    found = []
    if SEQUENCES.is_dir():
        for folder in sorted(p for p in SEQUENCES.iterdir() if (p / "img").is_dir()):
            paths = sorted((folder / "img").glob("*.jpg"))[:n_frames]
            frames = [cv2.imread(str(p), cv2.IMREAD_COLOR) for p in paths]
            first = (folder / "groundtruth_rect.txt").read_text().splitlines()[0]
            box = tuple(float(v) for v in first.replace("\t", ",").replace(" ", ",").split(",")[:4])
            found.append((folder.name, frames, box))
    return found


def time_drop_ins(size: int, repeats: int) -> dict[str, float]:
    """Median microseconds per call of each drop-in and its OpenCV twin on one 640x480 weight image."""
    prob = np.zeros((480, 640), np.uint8)
    cv2.ellipse(prob, (330, 250), (size // 2, size // 3), 20, 0, 360, 255, -1)
    prob = cv2.GaussianBlur(prob, (0, 0), 3)
    window = (330 - size // 2 - 7, 250 - size // 3 + 5, size, size * 2 // 3)
    calls = {
        "cv2.meanShift": lambda: cv2.meanShift(prob, window, CRITERIA),
        "meanshift.mean_shift": lambda: meanshift.mean_shift(prob, window, CRITERIA),
        "cv2.CamShift": lambda: cv2.CamShift(prob, window, CRITERIA),
        "meanshift.cam_shift": lambda: meanshift.cam_shift(prob, window, CRITERIA),
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: 1e6 * statistics.median(values) for name, values in samples.items()}


def _first_tracked_frame(command: list[str], env: dict, csv_path: Path) -> float:
    """Seconds from starting ``command`` until its CSV holds the row of frame 1 (rows are flushed as written)."""
    csv_path.unlink(missing_ok=True)
    start = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = None
    while seen is None:
        if csv_path.exists() and any(line.startswith("1,") for line in csv_path.read_text().splitlines()):
            seen = time.perf_counter() - start
        elif process.poll() is not None:
            raise RuntimeError(f"{' '.join(command)} exited ({process.returncode}) before tracking a frame")
        else:
            time.sleep(0.005)
    process.wait()
    return seen


def time_startup(runs: int) -> dict[str, float]:
    """Seconds from process start to ``meanshift track``'s first tracked frame, with a cold and a warm Numba cache.

    The clock stops when the CSV row of frame 1 appears (the CLI flushes every row).
    """
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "clip.avi"
        frames, box = synthetic_frames(640, 480, 30)
        writer = cv2.VideoWriter(str(clip), cv2.VideoWriter_fourcc(*"MJPG"), 30, (640, 480))
        for frame in frames:
            writer.write(frame)
        writer.release()
        csv_path = Path(tmp) / "boxes.csv"
        command = [sys.executable, "-m", "meanshift", "track", str(clip), "--box",
                   ",".join(f"{v:g}" for v in box), "--output", str(csv_path)]
        result: dict[str, list[float]] = {"cold": [], "warm": []}
        for run in range(runs):
            env = dict(os.environ, NUMBA_CACHE_DIR=str(Path(tmp) / f"cache{run}"))
            for kind in ("cold", "warm"):
                result[kind].append(_first_tracked_frame(command, env, csv_path))
    return {kind: statistics.median(values) for kind, values in result.items()}


def plot_sweep(rows, path: Path) -> bool:
    """Log-log plot of milliseconds per frame against pixels per frame; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    pixels = [w * h / 1e6 for w, h, _ in rows]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    for name in rows[0][2]:
        ax.plot(pixels, [times[name] for _, _, times in rows], marker="o",
                label=name if name == OPENCV else f"meanshift {name}", linewidth=2 if name == OPENCV else 1.5)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(pixels, [f"{w}x{h}" for w, h, _ in rows], rotation=20)
    ax.minorticks_off()
    ax.set_xlabel("frame size (target 1/8 of the width)")
    ax.set_ylabel("ms per frame (median, one core)")
    ax.set_title("Per-frame cost against frame size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=60, help="frames per sequence and frame size")
    parser.add_argument("--repeats", type=int, default=3, help="passes over the frames (medians over all)")
    parser.add_argument("--quick", action="store_true", help="fewer frames and repeats; no start-up or drop-ins")
    parser.add_argument("--out", type=Path, default=RESULTS / "speed.md")
    args = parser.parse_args()
    if args.quick:
        args.frames, args.repeats = 20, 1
    cv2.setNumThreads(1)  # one core on both sides: Numba's kernels are serial

    presets = list(meanshift.PRESETS)
    # Compile the Numba kernels (or load them from the cache) before timing.
    warm_frames, warm_box = synthetic_frames(320, 240, 3)
    time_trackers(trackers_to_time(), warm_frames, warm_box, 1)

    command = "python benchmarks/speed.py" + (" --quick" if args.quick else "")
    lines = [
        "# Speed, side by side with OpenCV",
        "",
        f"Made by `{command}` (meanshift {meanshift.__version__}, OpenCV {cv2.__version__}, "
        f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores; both sides on one "
        "thread). Medians of interleaved runs; the machine is shared and noisy, so read the ratios.",
        "",
        *machine_report(),
    ]
    for kind in BACKGROUNDS:
        lines += [
            "",
            f"## Cost against frame size, {kind} background",
            "",
            f"Synthetic frames, the target 1/8 of the frame's width, over a {kind} background "
            "(palette: a few cool colours; textured: a blurred random image holding every colour); milliseconds "
            f"per `update`, median of {args.frames - 1} frames x {args.repeats}. (x) = how many times faster than "
            "OpenCV's pipeline on the same frames.",
            "",
            "| frame | " + OPENCV + " | " + " | ".join(presets) + " |",
            "|---|---:|" + "---:|" * len(presets),
        ]
        sweep = frame_size_sweep(args.frames, args.repeats, background_kind=kind)
        for width, height, times in sweep:
            reference = times[OPENCV]
            cells = [f"{times[p]:.3f} ({reference / times[p]:.1f}x)" for p in presets]
            lines.append(f"| {width}x{height} | {reference:.3f} | " + " | ".join(cells) + " |")
        suffix = "" if kind == "palette" else f"_{kind}"
        if plot_sweep(sweep, RESULTS / f"speed_vs_frame_size{suffix}.png"):
            lines += ["", f"![cost against frame size, {kind} background](speed_vs_frame_size{suffix}.png)"]

    multi = time_multi_target(10, args.frames, args.repeats)
    reference = multi["OpenCV pipeline, 1 target"]
    lines += ["", "## Ten targets in one 1920x1080 frame", "",
              "Ten trackers of a preset on the same frames (each target 1/16 of the width) against OpenCV's "
              "pipeline tracking one of them; milliseconds per frame.", "",
              "| trackers | ms per frame | ratio OpenCV (1 target) / ours |", "|---|---:|---:|"]
    for name, value in multi.items():
        lines.append(f"| {name} | {value:.3f} | {reference / value:.2f}x |")

    sequences = load_sequences(args.frames)
    if sequences:
        lines += ["", f"## Real footage: the first {args.frames} frames of each shared sequence", "",
                  "| sequence | frame | target | " + OPENCV + " | " + " | ".join(presets) + " |",
                  "|---|---|---|---:|" + "---:|" * len(presets)]
        ratios: dict[str, list[float]] = {p: [] for p in presets}
        for label, frames, box in sequences:
            times = time_trackers(trackers_to_time(), frames, box, args.repeats)
            reference = times[OPENCV]
            for p in presets:
                ratios[p].append(reference / times[p])
            height, width = frames[0].shape[:2]
            cells = [f"{times[p]:.3f} ({reference / times[p]:.1f}x)" for p in presets]
            lines.append(f"| {label} | {width}x{height} | {box[2]:.0f}x{box[3]:.0f} | {reference:.3f} | "
                         + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
        lines.append("| **geometric mean of the ratios** | | | 1x | "
                     + " | ".join(f"{statistics.geometric_mean(r):.1f}x" for r in ratios.values()) + " |")
        lines.append("| **slowest sequence's ratio** | | | 1x | "
                     + " | ".join(f"{min(r):.1f}x" for r in ratios.values()) + " |")

    if not args.quick:
        lines += ["", "## Drop-ins on one 640x480 weight image", "",
                  "| window | cv2.meanShift µs | mean_shift µs | ratio | cv2.CamShift µs | cam_shift µs | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for size in (40, 120, 300):
            t = time_drop_ins(size, repeats=300)
            lines.append(
                f"| {size}x{size * 2 // 3} | {t['cv2.meanShift']:.1f} | {t['meanshift.mean_shift']:.1f} | "
                f"{t['cv2.meanShift'] / t['meanshift.mean_shift']:.2f}x | {t['cv2.CamShift']:.1f} | "
                f"{t['meanshift.cam_shift']:.1f} | {t['cv2.CamShift'] / t['meanshift.cam_shift']:.2f}x |")
        lines += ["", "A ratio above 1 means meanshift is faster."]
        startup = time_startup(runs=3)
        lines += ["", "## Start-up", "",
                  "`meanshift track` on a 640x480 clip: seconds from process start until the CSV row of the first "
                  "tracked frame is written (median of 3):", "",
                  "| Numba cache | seconds |", "|---|---:|",
                  f"| cold (fresh `NUMBA_CACHE_DIR`: every kernel compiles) | {startup['cold']:.2f} |",
                  f"| warm (second run, kernels loaded from the cache) | {startup['warm']:.2f} |"]
    lines.append("")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
