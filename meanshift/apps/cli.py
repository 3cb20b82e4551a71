"""The ``meanshift`` command line: ``track``, ``webcam``, ``batch`` (and ``eval``).

Each subcommand is a thin layer over the library: :mod:`meanshift.io` (sources, writers),
:mod:`meanshift.apps.live` (the live window) and :mod:`meanshift.apps.batch` (tracking files, many at
once), which use the public ``Tracker`` API only. Heavy imports (OpenCV, Numba, the engine) happen
inside the commands so that ``meanshift --help`` answers at once. Errors a user can fix are printed as one line,
``Error: <what is wrong and what to pass>``, with a non-zero exit code and never a traceback:
1 for a failure (unreadable video, failed batch item, a video that broke off midway), 2 for bad usage,
130 when interrupted by Ctrl-C and 143 when stopped by SIGTERM (a supervisor or ``kill``). Either way
the outputs written so far are closed properly: every row of the CSV, a playable video.

Subcommands from other modules
------------------------------
``meanshift eval`` lives in ``meanshift/apps/eval_command.py``. The group :data:`main` lists every
name in :data:`LAZY_SUBCOMMANDS` whose module exists, and imports the module only when that subcommand is
used or listed. The module either exposes a click command as ``command`` (or ``eval_command`` /
``eval``), or registers itself with ``@main.command("eval")`` after ``from meanshift.apps.cli import main``.
To add another subcommand in its own module, add one entry to :data:`LAZY_SUBCOMMANDS`.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import signal
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

__all__ = ["main", "LAZY_SUBCOMMANDS", "PRESET_NAMES"]

#: Subcommand name -> module defining it; loaded on first use (see the module docstring).
LAZY_SUBCOMMANDS: dict[str, str] = {"eval": "meanshift.apps.eval_command"}

#: ``--preset`` choices, spelled here so that ``--help`` needs no engine import (a test keeps
#: them equal to ``meanshift.PRESETS``).
PRESET_NAMES = ("camshift", "comaniciu-meer", "generalized")

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so that the same clean-up runs (outputs closed, summary written)."""


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`_Terminated` while tracking.

    A service manager or ``kill`` stops a long run with SIGTERM, whose default action ends the process
    at once: the annotated video's index would never be written and the file would not play.
    """

    def handler(_signum: int, _frame: Any) -> None:
        raise _Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. a test runner's worker thread): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupted_exit(exc: KeyboardInterrupt) -> int:
    return EXIT_TERMINATED if isinstance(exc, _Terminated) else EXIT_INTERRUPTED


def _kept(outputs: list[str], frames: int) -> str:
    """What a failed or interrupted run leaves behind, for its last message."""
    if not outputs:
        return ""
    files = " and ".join(outputs)
    return f"; {files} {'holds' if len(outputs) == 1 else 'hold'} the {frames} frames tracked before"


class _LazyGroup(click.Group):
    """A click group that also offers subcommands defined in modules imported on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        names.update(name for name, module in LAZY_SUBCOMMANDS.items() if _module_exists(module))
        return sorted(names)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_SUBCOMMANDS and _module_exists(LAZY_SUBCOMMANDS[name]):
            command = self._load(name, LAZY_SUBCOMMANDS[name])
        return command

    def _load(self, name: str, module_name: str) -> click.Command:
        module = importlib.import_module(module_name)
        if name in self.commands:  # the module registered itself with @main.command(name)
            return self.commands[name]
        for attribute in ("command", f"{name}_command", name, "cli"):
            candidate = getattr(module, attribute, None)
            if isinstance(candidate, click.Command):
                self.add_command(candidate, name)
                return candidate
        raise RuntimeError(f"{module_name} defines no click command for 'meanshift {name}'")


def _module_exists(module_name: str) -> bool:
    try:
        return importlib.util.find_spec(module_name) is not None
    except ImportError:
        return False


class _BadValue(click.UsageError):
    """A wrong option value, shown as the single line ``Error: ...`` (exit code 2)."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def _fail(message: str) -> click.ClickException:
    """A failure to report as one line (exit code 1); messages are kept to a single line."""
    return click.ClickException(" ".join(str(message).split()))


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    # meanshift.__version__ is the one place the version is written; the package metadata takes it from
    # there at build time (pyproject.toml's dynamic version), so an installed copy reports the same.
    from meanshift import __version__

    click.echo(f"meanshift {__version__}")
    ctx.exit()


def _quiet_opencv() -> None:
    # OpenCV, FFmpeg and Qt write their own warnings to the console (a corrupt file gives a dozen
    # lines from the decoder); our one-line errors say what went wrong. --verbose keeps them.
    # This is a command-line process: silence them for its whole life.
    os.environ.setdefault("QT_LOGGING_RULES", "default.warning=false")
    from meanshift.io import silence_opencv

    silence_opencv()


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
    help="Show the version and exit.",
)
@click.option("-v", "--verbose", is_flag=True, help="Keep OpenCV's and FFmpeg's own console messages.")
@click.pass_context
def main(ctx: click.Context, verbose: bool) -> None:
    """Track objects in video by generalized mean shift (CAMSHIFT and Comaniciu/Meer are presets).

    \b
    Examples:
      meanshift track clip.mp4 --box 120,80,40,60 --output boxes.csv
      meanshift track clip.mp4 --show            # draw the target with the mouse
      meanshift webcam
      meanshift batch clips/ --out tracked/ --jobs 2
    """
    ctx.obj = {"verbose": verbose}
    # The engine's warnings (e.g. a box the colour mask rejects) read best as one plain line.
    warnings.formatwarning = _format_warning


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


# --------------------------------------------------------------------------------------------
# Shared options
# --------------------------------------------------------------------------------------------


def _parse_boxes(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[tuple]:
    from meanshift.io import parse_box  # light: the video module does not import the engine

    try:
        return [parse_box(v) for v in values]
    except ValueError as exc:
        raise _BadValue(f"--box: {exc}") from None


def tracker_options(function: Callable) -> Callable:
    """The options that choose and tune the tracker, shared by every tracking subcommand."""
    options = [
        click.option(
            "--preset", type=click.Choice(PRESET_NAMES), default="generalized", show_default=True,
            help="Tracker to start from: classic CAMSHIFT, Comaniciu/Meer's kernel tracker, or ours.",
        ),
        click.option(
            "--similarity", metavar="NAME",
            help="Similarity measure, replacing the preset's (bhattacharyya, kl, intersection, chi-square, "
            "l2, log-likelihood, backprojection).",
        ),
        click.option(
            "--kernel", metavar="NAME", help="Kernel profile (epanechnikov, flat, gaussian, biweight)."
        ),
        click.option("--features", metavar="NAME", help="Colour features (hue, hue-sat, bgr, gray)."),
        click.option("--bins", type=click.IntRange(2, 256), help="Histogram bins per colour channel."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _tracker_options(preset: str, similarity, kernel, features, bins):
    """Build and check the tracker options once, so that a bad name fails before any video opens."""
    from meanshift.apps.batch import TrackerOptions

    options = TrackerOptions(preset, similarity=similarity, kernel=kernel, features=features, bins=bins)
    try:
        options.create()
    except ValueError as exc:
        raise _BadValue(str(exc)) from None
    return options


def _prepare(ctx: click.Context) -> None:
    if not (ctx.obj or {}).get("verbose"):
        _quiet_opencv()


def _open_source(source: str, **kwargs: Any):
    from meanshift.io import VideoError, open_source

    try:
        return open_source(source, **kwargs)
    except VideoError as exc:
        raise _fail(str(exc)) from None


def _summary_line(frames: int, seconds: float, lost: int, targets: int = 1) -> str:
    fps = frames / seconds if seconds > 0 else 0.0
    what = "target lost" if targets == 1 else "a target lost"
    return f"tracked {frames} frames in {seconds:.1f} s ({fps:.1f} fps); {what} in {lost} frames"


# --------------------------------------------------------------------------------------------
# track
# --------------------------------------------------------------------------------------------


@main.command()
@click.argument("source")
@click.option(
    "--box", "boxes", multiple=True, metavar="X,Y,W,H", callback=_parse_boxes,
    help="Target in the first frame: top-left corner, width, height in pixels. Repeat for several targets.",
)
@click.option(
    "--box-file", type=click.Path(dir_okay=False),
    help="Read the box from the first line of a file (a sidecar clip.box, or OTB's groundtruth_rect.txt).",
)
@tracker_options
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False),
    help="CSV of boxes: frame,target,x,y,w,h,cx,cy,angle,score,ok; one row per frame, written as it goes.",
)
@click.option("--output-video", type=click.Path(dir_okay=False), help="Annotated video (.mp4 or .avi).")
@click.option("--show", is_flag=True, help="Open the live window (needs a display).")
@click.option(
    "--pace/--no-pace", default=True, show_default=True,
    help="With --show, play files at their own frame rate rather than as fast as tracking goes.",
)
@click.option("--max-frames", type=click.IntRange(min=1), help="Stop after this many frames.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
@click.pass_context
def track(
    ctx: click.Context, source: str, boxes: list, box_file: str | None, preset: str, similarity, kernel,
    features, bins, output: str | None, output_video: str | None, show: bool, pace: bool,
    max_frames: int | None, quiet: bool,
) -> None:
    """Track a target through a video file, camera, folder of frames or stream.

    SOURCE is a video file (clip.mp4), a camera index (0), a folder of frames (OTB layout:
    Seq/img/0001.jpg...) or a stream URL (rtsp://...).

    The target's box comes from --box or --box-file, else from the source's own box file
    (clip.box next to clip.mp4, groundtruth_rect.txt in an OTB folder); failing those, and with a
    display, you draw it with the mouse on the first frame (drag, then Enter).

    Ctrl-C (or SIGTERM) stops the run with every frame tracked so far in the CSV and the video closed
    so that it plays (exit code 130, or 143). A source that breaks off (a camera that stops, a
    truncated or corrupt file, frames that change size) ends the run the same way with exit code 1.

    \b
    Keys in the live window (--show):
      space   pause / resume
      r       re-select the target
      a       add another target (each has its own colour)
      q, Esc  quit

    \b
    Examples:
      meanshift track clip.mp4 --box 120,80,40,60 --output boxes.csv
      meanshift track clip.mp4 --box-file clip.box --output-video tracked.mp4
      meanshift track ../shared/data/sequences/Crossing --preset camshift --output crossing.csv
      meanshift track clip.mp4 --show --box 10,20,30,40 --box 200,50,30,30
      meanshift track 0 --show
    """
    _prepare(ctx)
    from meanshift.apps.live import has_display
    from meanshift.io import check_box

    options = _tracker_options(preset, similarity, kernel, features, bins)
    if show and not has_display():
        raise _fail(
            "--show needs a display and none is set (DISPLAY is empty): drop --show and use --output or "
            "--output-video, or run under X/Xvfb"
        )
    for path in (output, output_video):
        _check_writable(path)
    src = _open_source(source)  # first: a missing file is the problem to report, whatever else is
    with src:
        boxes = _initial_boxes(source, boxes, box_file, quiet)
        first = src.peek()
        if first is None:
            raise _fail(f"{source}: no frames to track")
        try:
            boxes = [check_box(b, first.shape) for b in boxes]
        except ValueError as exc:
            raise _BadValue(str(exc)) from None
        _warn_if_compiling(quiet)
        if show:
            stats = _track_live(src, boxes, options, output, output_video, pace, max_frames)
        else:
            if not boxes:
                boxes = _select_on_first_frame(src, first)
            stats = _track_headless(src, boxes, options, output, output_video, max_frames, quiet)
    if not quiet:
        click.echo(_summary_line(stats["frames"], stats["seconds"], stats["lost"], len(boxes) or 1), err=True)


def _initial_boxes(source: str, boxes: list, box_file: str | None, quiet: bool) -> list:
    """--box, else --box-file, else the source's own box file; empty when the user is to draw one."""
    from meanshift.apps.live import has_display
    from meanshift.io import VideoError, initial_box_for, read_box_file

    boxes = list(boxes)
    if not boxes and box_file:
        try:
            boxes = [read_box_file(box_file)]
        except (VideoError, ValueError) as exc:
            raise _BadValue(f"--box-file: {exc}") from None
    if not boxes:
        try:
            found = initial_box_for(source)
        except (VideoError, ValueError) as exc:
            raise _fail(str(exc)) from None
        if found is not None:
            boxes = [found[0]]
            if not quiet:
                text = ",".join(f"{v:g}" for v in found[0])
                click.echo(f"using the initial box {text} from {found[1]}", err=True)
    if not boxes and not has_display():
        raise _fail(
            "no target box: pass --box X,Y,W,H (or --box-file PATH); there is no display to draw it on"
        )
    return boxes


def _check_writable(path: str | None) -> None:
    # Fail before tracking starts rather than after the first frame.
    if path and not os.path.isdir(os.path.dirname(os.path.abspath(path))):
        raise _fail(f"cannot write {path}: folder {os.path.dirname(path) or '.'} does not exist")


def _select_on_first_frame(src, first) -> list:
    import cv2

    from meanshift.apps.live import select_box

    window = f"meanshift: draw the target on {src.name}, then press Enter"
    try:
        box = select_box(window, first)
    finally:
        cv2.destroyAllWindows()
        cv2.waitKey(1)
    if box is None:
        raise _fail("no target selected (selection cancelled)")
    return [box]


def _warn_if_compiling(quiet: bool) -> None:
    """Say why the first frames of the first run after installing are slow (Numba compiles, once)."""
    from meanshift import _kernels
    from meanshift._jit import CACHE_ENABLED, cache_is_warm

    if not quiet and (not CACHE_ENABLED or cache_is_warm(_kernels.converge) is False):
        click.echo("compiling the tracking kernels (first run after installing: about 20 s, then cached)"
                   if CACHE_ENABLED else "compiling the tracking kernels (MEANSHIFT_NUMBA_CACHE=0: every run)",
                   err=True)


def _track_headless(src, boxes, options, output, output_video, max_frames, quiet) -> dict[str, Any]:
    from tqdm import tqdm

    from meanshift.apps.batch import track_video
    from meanshift.io import VideoError

    # A bar for sources with an end; cameras and streams run until Ctrl-C (or --max-frames).
    total = src.frame_count if max_frames is None else min(max_frames, src.frame_count or max_frames)
    bar = tqdm(total=total, unit="frame", desc=os.path.basename(src.name.rstrip("/")) or src.name,
               disable=quiet or src.kind in ("camera", "stream") and max_frames is None, leave=False)
    done = [0]  # frames tracked and written (the bar does not count when it is disabled)

    def on_frame(n: int) -> None:
        done[0] += n
        bar.update(n)

    outputs = [path for path in (output, output_video) if path]
    try:
        with _sigterm_as_interrupt():
            report = track_video(src, boxes, options=options, csv_path=output, video_path=output_video,
                                 max_frames=max_frames, on_frame=on_frame)
    except KeyboardInterrupt as exc:
        bar.close()
        click.echo(f"interrupted after {done[0]} frames{_kept(outputs, done[0])}", err=True)
        sys.exit(_interrupted_exit(exc))
    except (VideoError, ValueError, OSError) as exc:
        bar.close()
        raise _fail(f"{_describe(exc)}{_kept(outputs, done[0])}") from None
    bar.close()
    if report.error:
        # The file ended well before the frame count in its header: truncated or corrupt. Every frame it
        # had is tracked and written, but the run did not cover the video, so it must not pass as done.
        raise _fail(f"{src.name}: {report.error.removeprefix('warning: ')}{_kept(outputs, done[0])}")
    return {"frames": report.frames, "lost": report.lost, "seconds": report.seconds}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot write {exc.filename}: {exc.strerror}"
    return str(exc)


def _track_live(src, boxes, options, output, output_video, pace, max_frames) -> dict[str, Any]:
    from meanshift.apps.live import LiveTracker
    from meanshift.io import BoxCsvWriter, VideoError, VideoWriter

    csv_out = writer = live = None
    try:
        csv_out = BoxCsvWriter(output) if output else None
        writer = VideoWriter(output_video, src.fps or 30.0) if output_video else None
        live = LiveTracker(src, options.create, boxes=boxes, csv=csv_out, writer=writer,
                           window=f"meanshift - {os.path.basename(src.name.rstrip('/')) or src.name}",
                           pace=pace, max_frames=max_frames)
        with _sigterm_as_interrupt():
            return live.run()
    except KeyboardInterrupt as exc:
        sys.exit(_interrupted_exit(exc))
    except (VideoError, ValueError, OSError) as exc:
        frames = live.frames if live is not None else 0
        raise _fail(f"{_describe(exc)}{_kept([p for p in (output, output_video) if p], frames)}") from None
    finally:
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()


# --------------------------------------------------------------------------------------------
# webcam
# --------------------------------------------------------------------------------------------


def _parse_size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        w, h = (int(v) for v in value.lower().split("x"))
        if w <= 0 or h <= 0:
            raise ValueError
    except ValueError:
        raise _BadValue(f"--size: expected WIDTHxHEIGHT such as 640x480, got {value!r}") from None
    return w, h


@main.command()
@click.option(
    "-c", "--camera", type=click.IntRange(min=0), default=0, show_default=True, help="Camera index."
)
@click.option(
    "--size", default="640x480", show_default=True, callback=_parse_size,
    help="Resolution to ask the camera for (it may pick the nearest it supports).",
)
@click.option(
    "--box", "boxes", multiple=True, metavar="X,Y,W,H", callback=_parse_boxes,
    help="Start with this target instead of drawing one.",
)
@tracker_options
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="CSV of boxes, as for `track`.")
@click.option("--output-video", type=click.Path(dir_okay=False), help="Record the annotated video.")
@click.pass_context
def webcam(
    ctx: click.Context, camera: int, size, boxes: list, preset: str, similarity, kernel, features, bins,
    output: str | None, output_video: str | None,
) -> None:
    """Track live from a camera: the short way to `meanshift track 0 --show`.

    Opens the camera at 640x480, shows the first frame and lets you draw the target (drag, then
    Enter); then tracks it live. Keys: space pauses, r re-selects, a adds a target, q or Esc quits.

    \b
    Examples:
      meanshift webcam
      meanshift webcam --camera 1 --preset camshift
      meanshift webcam --output-video session.mp4
    """
    _prepare(ctx)
    from meanshift.apps.live import has_display
    from meanshift.io import check_box

    options = _tracker_options(preset, similarity, kernel, features, bins)
    for path in (output, output_video):
        _check_writable(path)
    width, height = size or (None, None)
    src = _open_source(camera, width=width, height=height)
    with src:
        if not has_display():
            raise _fail(
                f"camera {camera} opened, but there is no display for the live window (DISPLAY is empty); "
                f"to track without one: meanshift track {camera} --box X,Y,W,H --output boxes.csv"
            )
        first = src.peek()
        try:
            boxes = [check_box(b, first.shape) for b in boxes]
        except ValueError as exc:
            raise _BadValue(str(exc)) from None
        _warn_if_compiling(False)
        stats = _track_live(src, boxes, options, output, output_video, pace=False, max_frames=None)
    click.echo(_summary_line(stats["frames"], stats["seconds"], stats["lost"]), err=True)


# --------------------------------------------------------------------------------------------
# batch
# --------------------------------------------------------------------------------------------


@main.command()
@click.argument("input_path", metavar="INPUT", type=click.Path(exists=True))
@click.option(
    "-o", "--out", "out_dir", required=True, type=click.Path(file_okay=False),
    help="Folder for NAME.csv (and NAME.mp4 with --video) per video, and summary.csv.",
)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=None,
    help="Videos tracked in parallel, one process each.  [default: number of cores]",
)
@click.option(
    "--force", is_flag=True, help="Redo videos whose outputs already exist (they are skipped otherwise)."
)
@click.option("--video/--no-video", "write_video", default=False, show_default=True,
              help="Also write an annotated video per input.")
@click.option(
    "--scheduler", metavar="ADDRESS|local", default=None,
    help="Run one task per video on a Dask cluster: its scheduler's address (tcp://HOST:PORT), or 'local' "
         "for a LocalCluster of --jobs worker processes. Needs pip install 'meanshift[distributed]'; --out must "
         "be reachable by every worker.",
)
@tracker_options
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.pass_context
def batch(
    ctx: click.Context, input_path: str, out_dir: str, jobs: int | None, force: bool, write_video: bool,
    scheduler: str | None, preset: str, similarity, kernel, features, bins, quiet: bool,
) -> None:
    """Track many videos: a folder of videos with sidecar boxes, or a CSV manifest.

    \b
    INPUT is either
      - a folder: clip.mp4 with clip.box (one line: x,y,w,h) beside it; sub-folders of
        frames in OTB layout (Seq/img/*.jpg + Seq/groundtruth_rect.txt) count as videos too;
      - a CSV manifest, one video per row: video,x,y,w,h[,preset] (a header line is
        optional; paths are relative to the manifest; a video may be a frame folder).

    Each video's outputs are written under a temporary name and renamed when complete, so an
    interrupted batch leaves no truncated file that looks finished; running the same command
    again skips the videos already done (--force redoes them). A video that cannot be read is
    reported in summary.csv (video,status,frames,lost,fps,seconds,error,attempts) without
    stopping the others; the exit code is 1 when any video failed, 130 when interrupted (143 on
    SIGTERM).

    With --scheduler the videos run as Dask tasks, on a cluster or a LocalCluster, with the same
    outputs; a video whose worker dies is run again on another worker (attempts > 1).

    \b
    Examples:
      meanshift batch clips/ --out tracked/
      meanshift batch manifest.csv --out tracked/ --jobs 4 --video
      meanshift batch clips/ --out tracked/ --preset camshift --force
      meanshift batch clips/ --out /shared/tracked/ --scheduler tcp://10.0.0.5:8786
      meanshift batch clips/ --out tracked/ --scheduler local --jobs 2
    """
    _prepare(ctx)
    from meanshift.apps.batch import SchedulerError, load_jobs, run_batch
    from meanshift.io import VideoError

    if scheduler is not None and scheduler != "local" and jobs is not None:
        raise click.UsageError("--jobs sets the number of local workers; a cluster's workers are set where it "
                               "is started (use --scheduler local --jobs N for a local cluster)")

    options = _tracker_options(preset, similarity, kernel, features, bins)
    try:
        job_list = load_jobs(input_path)
    except (VideoError, ValueError) as exc:
        raise _fail(str(exc)) from None
    try:
        with _sigterm_as_interrupt():
            reports = run_batch(job_list, out_dir, options=options, n_jobs=jobs, force=force,
                                write_video=write_video, progress=not quiet,
                                quiet=not (ctx.obj or {}).get("verbose"), scheduler=scheduler,
                                log=lambda message: click.echo(message, err=True))
    except (ValueError, SchedulerError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:
        click.echo(f"interrupted; finished videos are kept, see {os.path.join(out_dir, 'summary.csv')}; "
                   f"run the same command again to do the rest", err=True)
        sys.exit(_interrupted_exit(exc))
    counts = {status: sum(r.status == status for r in reports) for status in ("ok", "skipped", "failed")}
    for report in reports:
        if report.status == "failed":
            where = "" if report.video in report.error else f"{report.video}: "
            click.echo(f"failed: {where}{report.error}", err=True)
        elif report.error:
            click.echo(f"{report.video}: {report.error}", err=True)
    tracked = [r for r in reports if r.status == "ok"]
    frames = sum(r.frames for r in tracked)
    seconds = sum(r.seconds for r in tracked)
    speed = f"; {frames} frames at {frames / seconds:.0f} fps per process" if seconds > 0 else ""
    videos = f"{len(reports)} video{'' if len(reports) == 1 else 's'}"
    retried = sum(r.attempts > 1 for r in reports)
    retries = f", {retried} run again after a worker died" if retried else ""
    click.echo(
        f"{videos}: {counts['ok']} tracked, {counts['skipped']} skipped (already done), "
        f"{counts['failed']} failed{retries}{speed}; summary in {os.path.join(out_dir, 'summary.csv')}",
        err=True,
    )
    if counts["failed"]:
        ctx.exit(EXIT_FAILED)
