"""``meanshift batch``: many videos (a folder with sidecar boxes, or a CSV manifest), in parallel, resumably."""

from __future__ import annotations

import os
import sys

import click

from meanshift.apps.cli import EXIT_FAILED, fail, interrupted_exit, prepare, sigterm_as_interrupt, tracker_options
from meanshift.apps.commands.track import BOX_FORMAT_NAMES, CODEC_NAMES, prefetch_option

__all__ = ["command"]


@click.command("batch")
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.option(
    "-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
    help="Folder for NAME.csv (and NAME.mp4 with --video), NAME.run.json per video, and summary.csv.",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None,
    help="Videos tracked in parallel, one process each.  [default: number of cores]",
)
@click.option(
    "--force", is_flag=True, help="Redo every video, even those already done with the same settings."
)
@click.option("--video/--no-video", "write_video", default=False, show_default=True,
              help="Also write an annotated video per input.")
@click.option("--format", "box_format", type=click.Choice(BOX_FORMAT_NAMES), default="csv", show_default=True,
              help="Box tables as NAME.csv, NAME.jsonl (JSON Lines) or NAME.txt (MOTChallenge: no row while "
                   "the target is lost).")
@click.option("--codec", type=click.Choice(CODEC_NAMES), default="mp4v", show_default=True,
              help="Codec of the --video files (h264 plays in browsers; needs pip install '.[web-video]' in the "
                   "checkout).")
@click.option(
    "--scheduler", metavar="ADDRESS|local", default=None,
    help="Run one task per video on a Dask cluster: its scheduler's address (tcp://HOST:PORT), or 'local' "
         "for a LocalCluster of --jobs worker processes. Needs pip install '.[distributed]' in the checkout; "
         "--out must be reachable by every worker.",
)
@tracker_options
@prefetch_option
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def command(
    ctx: click.Context, input_path: str, out_dir: str, jobs: int | None, force: bool, write_video: bool,
    box_format: str, codec: str, scheduler: str | None, tracker: dict, prefetch: bool, quiet: bool,
) -> None:
    """Track many videos: a folder of videos with sidecar boxes, or a CSV manifest.

    \b
    INPUT is either
      - a folder: clip.mp4 with clip.box (one line: x,y,w,h) beside it; sub-folders of
        frames in OTB layout (Seq/img/*.jpg + Seq/groundtruth_rect.txt) count as videos too;
      - a CSV manifest, one video per row: video,x,y,w,h[,preset] (a header line is
        optional; paths are relative to the manifest; a video may be a frame folder).

    Each video's outputs are written under a temporary name and renamed when complete, so an
    interrupted batch leaves no truncated file that looks finished. NAME.run.json records the
    settings each video was tracked with: running the same command again skips the videos already
    done with the same settings (summary.csv repeats their figures) and tracks again, saying so,
    those done with other settings (--force redoes all). No output may replace an input (a video,
    a box file, the manifest) or go inside a frame folder; that is refused before anything starts.
    A video that cannot be read, and a manifest row that cannot be used (a malformed box, too few
    fields, an unknown preset), is reported in summary.csv
    (video,status,frames,lost,fps,seconds,error,attempts) without stopping the others; the exit
    code is 1 when any video failed, 130 when interrupted (143 on SIGTERM).

    With --scheduler the videos run as Dask tasks, on a cluster or a LocalCluster, with the same
    outputs; a video whose worker dies is run again on another worker (attempts > 1).

    \b
    Examples:
      meanshift batch clips/ --out tracked/
      meanshift batch manifest.csv --out tracked/ --jobs 4 --video --codec h264
      meanshift batch clips/ --out tracked/ --preset camshift --format mot
      meanshift batch clips/ --out /shared/tracked/ --scheduler tcp://10.0.0.5:8786
      meanshift batch clips/ --out tracked/ --scheduler local --jobs 2
    """
    prepare(ctx)
    from meanshift.apps.batch import SchedulerError, load_jobs, run_batch
    from meanshift.apps.cli import build_tracker_options
    from meanshift.io import VideoError, check_video_codec

    if scheduler is not None and scheduler != "local" and jobs is not None:
        raise click.UsageError("--jobs sets the number of local workers; a cluster's workers are set where it "
                               "is started (use --scheduler local --jobs N for a local cluster)")
    if write_video:
        try:
            check_video_codec("x.mp4", codec)
        except ValueError as exc:
            raise click.UsageError(f"--codec: {exc}") from None

    options = build_tracker_options(tracker)
    try:
        job_list = load_jobs(input_path)
    except (VideoError, ValueError) as exc:
        raise fail(str(exc)) from None
    manifest = input_path if os.path.isfile(input_path) else None
    verbose = (ctx.find_root().obj or {}).get("verbose")
    try:
        with sigterm_as_interrupt():
            reports = run_batch(job_list, out_dir, options=options, n_jobs=jobs, force=force,
                                write_video=write_video, progress=not quiet, quiet=not verbose, scheduler=scheduler,
                                log=lambda message: click.echo(message, err=True), box_format=box_format,
                                codec=codec, manifest=manifest, prefetch=prefetch)
    except (ValueError, SchedulerError) as exc:
        raise fail(str(exc)) from None
    except KeyboardInterrupt as exc:
        click.echo(f"interrupted; finished videos are kept, see {os.path.join(out_dir, 'summary.csv')}; "
                   f"run the same command again to do the rest", err=True)
        sys.exit(interrupted_exit(exc))
    counts = {status: sum(r.status == status for r in reports) for status in ("ok", "skipped", "failed")}
    for report in reports:
        if report.status == "failed":
            where = "" if report.video in report.error else f"{report.video}: "
            click.echo(f"failed: {where}{report.error}", err=True)
        elif report.error and report.status == "ok":
            click.echo(f"{report.video}: {report.error}", err=True)
    tracked = [r for r in reports if r.status == "ok"]
    frames = sum(r.frames for r in tracked)
    seconds = sum(r.seconds for r in tracked)
    speed = f"; {frames} frames at {frames / seconds:.0f} fps per process" if seconds > 0 else ""
    videos = f"{len(reports)} video{'' if len(reports) == 1 else 's'}"
    retried = sum(r.attempts > 1 for r in reports)
    retries = f", {retried} run again after a worker died" if retried else ""
    click.echo(
        f"{videos}: {counts['ok']} tracked, {counts['skipped']} skipped (already done with the same settings), "
        f"{counts['failed']} failed{retries}{speed}; summary in {os.path.join(out_dir, 'summary.csv')}",
        err=True,
    )
    if counts["failed"]:
        ctx.exit(EXIT_FAILED)
