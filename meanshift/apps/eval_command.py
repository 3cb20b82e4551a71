"""``meanshift eval``: one-pass evaluation (OTB protocol) of our presets and OpenCV's trackers.

Registered on the main command group by ``meanshift.apps.cli`` (``main.add_command(eval_command)``).
Heavy imports (NumPy, OpenCV, Numba, matplotlib) happen inside the command, so ``--help`` is instant.
"""

from __future__ import annotations

import click

__all__ = ["eval_command"]


@click.command("eval")
@click.argument("dataset_dir", type=click.Path(exists=True, file_okay=False, dir_okay=True))
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
              help="Draw success.png and precision.png (needs matplotlib: pip install meanshift[plots]).")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Show a progress bar.")
@click.option("--list-trackers", is_flag=True,
              help="List the tracker names and whether each is available, then exit.")
def eval_command(dataset_dir, out_dir, trackers, sequences, jobs, max_frames, opencv_threads, seed, plots,
                 progress, list_trackers):
    """Evaluate trackers on an OTB-layout dataset, one pass, and write tables and plots.

    DATASET_DIR holds one folder per sequence, each with img/ frames and groundtruth_rect.txt
    (x,y,w,h per line). Every tracker starts on frame 1's ground truth and reports one box per
    frame; scores are the OTB/got10k ones: success AUC (mean of the IoU > t rates, t = 0..1 step
    0.05), precision at 20 px of centre error, and frames per second of update() alone.

    \b
    Examples:
      meanshift eval ../shared/data/sequences --out benchmarks/results
      meanshift eval DATA -t ours,opencv-csrt -s Crossing,Human7 --jobs 2
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

    def warn(msg: str) -> None:
        click.echo(f"warning: {msg}", err=True)

    seq_names = [s.strip() for part in sequences for s in part.split(",") if s.strip()] or None
    try:
        ev = evaluate(
            dataset_dir,
            list(trackers) or None,
            out=out_dir,
            jobs=jobs,
            sequences=seq_names,
            max_frames=max_frames,
            progress=progress,
            opencv_threads=opencv_threads,
            plots=plots,
            seed=seed,
            warn=warn,
        )
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
    click.echo(f"\nwrote tables, plots and per-frame boxes to {out_dir}")
