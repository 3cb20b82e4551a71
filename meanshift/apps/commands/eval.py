"""``meanshift eval``: one-pass evaluation (OTB protocol) of our presets and OpenCV's trackers.

Heavy imports (NumPy, OpenCV, Numba, matplotlib) happen inside the command, so ``--help`` is instant.
Everything that could stop the run late is decided at the start: the output folder must be
writable and outside the dataset, and without matplotlib the run writes tables only. A write error
at the end still loses nothing: the table is printed first and the files go to a temporary folder.
"""

from __future__ import annotations

import importlib.util
import os
import re
from pathlib import Path

import click

__all__ = ["command"]

PLOTS_EXTRA = "pip install '.[plots]' in the meanshift checkout"
#: OpenCV's build with KCF, CSRT, MOSSE and the legacy trackers; it replaces opencv-python (both are the cv2 package).
CONTRIB_PACKAGE = "opencv-contrib-python"


def have_matplotlib() -> bool:
    """Whether matplotlib can be imported (without importing it)."""
    try:
        return importlib.util.find_spec("matplotlib") is not None
    except (ImportError, ValueError):
        return False


@click.command("eval")
@click.argument("dataset_dirs", nargs=-1, metavar="DATASET_DIR...",
                type=click.Path(exists=True, file_okay=False, dir_okay=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default="out/eval", show_default=True,
              help="Folder for the tables (Markdown, CSV), plots (PNG) and per-frame boxes.")
@click.option("--trackers", "-t", multiple=True, metavar="NAMES",
              help="Comma-separated tracker names or groups (default, ours, opencv, all); repeatable. "
                   "Default: every preset of ours and every OpenCV baseline available.")
@click.option("--sequences", "-s", multiple=True, metavar="NAMES",
              help="Comma-separated sequence names (default: every sequence in DATASET_DIR); repeatable.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes; sequences run in parallel. Use 1 for clean speed measurements.")
@click.option("--max-frames", type=click.IntRange(min=2), default=None,
              help="Evaluate only the first N frames of each sequence (quick checks).")
@click.option("--opencv-threads", type=click.IntRange(min=0), default=None,
              help="cv2.setNumThreads in each worker [default: 1 with --jobs > 1, else OpenCV's default].")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of OpenCV's random generators before every run (MIL is randomised).")
@click.option("--plots/--no-plots", default=True, show_default=True,
              help=f"Draw success.png and precision.png (needs matplotlib: {PLOTS_EXTRA}; without it, "
                   f"tables only).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
@click.option("--list-trackers", is_flag=True,
              help="List the tracker names and whether each is available, then exit (no DATASET_DIR needed).")
def command(dataset_dirs, out_dir, trackers, sequences, jobs, max_frames, opencv_threads, seed, plots,
            progress, list_trackers):
    """Evaluate trackers on OTB-layout datasets, one pass, and write tables and plots.

    Each DATASET_DIR holds one folder per sequence, each with groundtruth_rect.txt (x,y,w,h per
    line) and its frames as img/ or as one video (video.mp4, .avi, .mkv, .mov, .m4v or .webm);
    several folders are pooled into one evaluation. Every tracker starts on frame 1's ground
    truth and reports one box per frame; scores are the OTB/got10k ones: success AUC (mean of
    the IoU > t rates, t = 0..1 step 0.05), precision at 20 px of centre error, and frames per second of update() alone.

    The results go to --out (default out/eval); `make results` regenerates the committed
    benchmarks/results with OpenCV's contrib trackers (KCF, CSRT, MOSSE) in its own venv.

    \b
    Examples:
      meanshift eval ../shared/data/sequences
      meanshift eval ../shared/data/sequences ../shared/data/videos
      meanshift eval DATA -t ours,opencv-csrt -s Crossing,Human7 --jobs 2 --out out/quick
      meanshift eval --list-trackers
    """
    from meanshift.evaluation.baselines import available_baselines
    from meanshift.evaluation.datasets import DatasetError
    from meanshift.evaluation.runner import OURS_PREFIX, evaluate, tracker_names

    if list_trackers:
        avail = available_baselines([n for n in tracker_names() if not n.startswith(OURS_PREFIX)])
        for name in tracker_names():
            reason = avail.get(name)
            click.echo(f"{name:24s} {'available' if reason is None else 'missing: ' + reason}")
        return
    if not dataset_dirs:
        raise click.UsageError("Missing argument 'DATASET_DIR' (a folder of OTB-layout sequences, e.g. "
                               "../shared/data/sequences)")
    for dataset_dir in dataset_dirs:
        _check_out(out_dir, dataset_dir)
    if plots and not have_matplotlib():
        click.echo(f"note: matplotlib is not installed, so no plots: writing the tables only ({PLOTS_EXTRA} "
                   f"for success.png and precision.png)", err=True)
        plots = False

    def warn(msg: str) -> None:
        click.echo(f"warning: {msg}", err=True)

    names = _available_trackers(list(trackers) or None)
    seq_names = [s.strip() for part in sequences for s in part.split(",") if s.strip()] or None
    try:
        ev = evaluate(list(dataset_dirs), names, out=None, jobs=jobs, sequences=seq_names,
                      max_frames=max_frames, progress=progress, opencv_threads=opencv_threads, plots=plots,
                      seed=seed, warn=warn)
    except (DatasetError, ValueError) as exc:
        raise click.UsageError(str(exc)) from exc
    except ImportError as exc:
        raise click.ClickException(str(exc)) from exc

    for line in ev.warning_lines():
        click.echo(f"tracker warning: {line}", err=True)
    for problem in ev.problems():
        warn(problem)
    n_frames = sum(ev.frames.values())
    click.echo(f"\nOne-pass evaluation: {len(ev.sequences)} sequences, {n_frames} frames "
               f"(mean over sequences; fps of update() alone, {jobs} job(s))\n")
    click.echo(ev.mean_table_markdown())
    _write(ev, out_dir, plots)


def _available_trackers(spec: list[str] | None) -> list[str]:
    """The trackers to run; those this OpenCV lacks are said in one line (not a warning each) and left out.

    Without OpenCV's contrib build, KCF, CSRT and MOSSE are missing by default: one line names them and
    the package, where a warning each repeated the same long advice three times.
    """
    from meanshift.evaluation.trackers import resolve_trackers

    skipped: list[str] = []
    try:
        names = resolve_trackers(spec, warn=skipped.append)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    # resolve_trackers says "skipping NAME: NAME is not in the installed OpenCV X (needs PACKAGE; ...)".
    found = [re.match(r"skipping (\S+): .*\(needs ([\w-]+);", message) for message in skipped]
    contrib = [m.group(1) for m in found if m and m.group(2) == CONTRIB_PACKAGE]
    if contrib:
        import cv2

        click.echo(f"note: skipping {', '.join(contrib)}: not in this OpenCV {cv2.__version__}, which is not the "
                   f"contrib build ({CONTRIB_PACKAGE} has them; `make results` sets one up in .venv-eval)", err=True)
    for message, match in zip(skipped, found, strict=True):
        if not (match and match.group(2) == CONTRIB_PACKAGE):
            click.echo(f"warning: {message}", err=True)
    if not names:
        raise click.UsageError("no tracker to evaluate (all selected trackers are unavailable)")
    return names


def _check_out(out_dir: str, dataset_dir: str) -> None:
    """Before the evaluation runs: --out outside the dataset, and writable."""
    from meanshift.apps.outputs import OutputError, check_writable_folder, is_inside

    if is_inside(out_dir, dataset_dir):
        raise click.ClickException(
            f"--out {out_dir} lies inside the dataset {dataset_dir}: its files would mix with the sequences' "
            f"frames (and show up as a sequence next time); write it elsewhere, e.g. --out out/eval")
    try:
        check_writable_folder(out_dir, what=f"--out {out_dir}")
    except OutputError as exc:
        raise click.ClickException(str(exc)) from None


def _write(ev, out_dir: str, plots: bool) -> None:
    """Write the results; if that fails now, write them to a temporary folder and say where (exit 1)."""
    import tempfile

    from meanshift.evaluation.report import write_results

    try:
        write_results(ev, out_dir, plots=plots)
    except OSError as exc:
        fallback = Path(tempfile.mkdtemp(prefix="meanshift-eval-"))
        write_results(ev, fallback, plots=plots)
        reason = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        raise click.ClickException(f"could not write the results to {out_dir} ({reason}); they are in "
                                   f"{fallback} instead") from None
    what = "tables, plots and per-frame boxes" if plots else "tables and per-frame boxes"
    click.echo(f"\nwrote {what} to {os.path.normpath(out_dir)}")
