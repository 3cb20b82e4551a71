"""``meanshift track``: one video file, camera, frame folder or stream, with or without a window."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from meanshift.apps.cli import (
    BadValue,
    check_outputs,
    fail,
    interrupted_exit,
    open_source,
    parse_boxes,
    prepare,
    sigterm_as_interrupt,
    summary_line,
    tracker_options,
)

__all__ = ["command", "output_options", "prefetch_option", "first_frame_and_boxes", "run_live", "kept",
           "interrupted_line"]

BOX_FORMAT_NAMES = ("csv", "jsonl", "mot")
CODEC_NAMES = ("mp4v", "h264", "vp9")


def output_options(function: Any) -> Any:
    """``-o/--output``, ``--format``, ``--output-video`` and ``--codec``, shared by ``track`` and ``webcam``."""
    options = [
        click.option(
            "-o", "--output", type=click.Path(dir_okay=False),
            help="Box table, one row per frame and target, written as it goes (CSV columns: "
                 "frame,target,x,y,w,h,cx,cy,angle,score,ok).",
        ),
        click.option(
            "--format", "box_format", type=click.Choice(BOX_FORMAT_NAMES), default=None,
            help="Format of --output: csv; jsonl (JSON Lines, one object per row); mot (MOTChallenge: "
                 "frame,id,x,y,w,h,conf,-1,-1,-1, frames and ids from 1, no row while a target is lost).  "
                 "[default: jsonl for a .jsonl name, else csv]",
        ),
        click.option("--output-video", type=click.Path(dir_okay=False),
                     help="Annotated video (.mp4 or .avi; .webm with --codec vp9)."),
        click.option(
            "--codec", type=click.Choice(CODEC_NAMES), default="mp4v", show_default=True,
            help="Codec of --output-video: mp4v (OpenCV's, desktop players), or h264 (.mp4) / vp9 (.webm) "
                 "which browsers play (needs pip install '.[web-video]' in the checkout).",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def prefetch_option(function: Any) -> Any:
    """``--prefetch/--no-prefetch``, shared by ``track`` and ``batch``."""
    return click.option(
        "--prefetch/--no-prefetch", default=True, show_default=True,
        help="Decode frames ahead on other threads while tracking (a video file on a reading thread, a folder "
             "of frames in a small pool of decoders). The outputs are the same either way; cameras and streams "
             "are always read as they come.",
    )(function)


@click.command("track")
@click.argument("source")
@click.option(
    "--box", "boxes", multiple=True, metavar="X,Y,W,H", callback=parse_boxes,
    help="Target in the first frame: top-left corner, width, height in pixels, separated by commas (or "
         "semicolons, spaces or tabs, as in a box file: quote them). Repeat for several targets.",
)
@click.option(
    "--box-file", type=click.Path(dir_okay=False),
    help="Read the box from the first line of a file (a sidecar clip.box, or OTB's groundtruth_rect.txt).",
)
@tracker_options
@output_options
@prefetch_option
@click.option("--show", is_flag=True, help="Open the live window (needs a display).")
@click.option(
    "--pace/--no-pace", default=True, show_default=True,
    help="With --show, play files at their own frame rate rather than as fast as tracking goes.",
)
@click.option("--max-frames", type=click.IntRange(min=1), help="Stop after this many frames.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar and no summary line.")
@click.pass_context
def command(
    ctx: click.Context, source: str, boxes: list, box_file: str | None, tracker: dict, output: str | None,
    box_format: str | None, output_video: str | None, codec: str, prefetch: bool, show: bool, pace: bool,
    max_frames: int | None, quiet: bool,
) -> None:
    """Track a target through a video file, camera, folder of frames or stream.

    SOURCE is a video file (clip.mp4), a camera index (0), a folder of frames (OTB layout:
    Seq/img/0001.jpg...) or a stream URL (rtsp://...). For a folder of videos, use `meanshift batch`.

    The target's box comes from --box or --box-file, else from the source's own box file
    (clip.box next to clip.mp4, groundtruth_rect.txt in an OTB folder); failing those, and with a
    display, you draw it with the mouse on the first frame (drag, then Enter; Esc cancels).

    No output ever replaces an input: an --output or --output-video naming the video, its box file
    or a file inside the frame folder is refused before anything is opened.

    Ctrl-C (or SIGTERM) stops the run with every frame tracked so far in the outputs and the video
    closed so that it plays (exit code 130, or 143). A source that breaks off (a camera that stops, a
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
      meanshift track clip.mp4 --box-file clip.box --output-video tracked.mp4 --codec h264
      meanshift track clip.mp4 --box 120,80,40,60 -o boxes.txt --format mot
      meanshift track ../shared/data/sequences/Crossing --preset camshift --output crossing.csv
      meanshift track clip.mp4 --show --box 10,20,30,40 --box 200,50,30,30
      meanshift track 0 --show
    """
    prepare(ctx)
    from meanshift.apps.cli import build_tracker_options, output_settings
    from meanshift.apps.live import has_display
    from meanshift.apps.warmup import start_helper_if_cold, stop_helper

    options = build_tracker_options(tracker)
    _refuse_folder_of_videos(source)
    box_format = output_settings(output, output_video, codec, box_format)
    if show and not has_display():
        raise fail(
            "--show needs a display and none is set (DISPLAY is empty): drop --show and use --output or "
            "--output-video, or run under X/Xvfb"
        )
    _check_track_outputs(source, box_file, output, output_video)
    # On a fresh install a forked helper compiles half of the kernels: forked before the reader's threads
    # start, so that it compiles while the source is opened, and ended whatever happens next.
    helper = start_helper_if_cold(options.create)
    try:
        _run(source, boxes, box_file, options, output, box_format, output_video, codec, prefetch, show, pace,
             max_frames, quiet, helper)
    finally:
        stop_helper(helper)


def _run(source, boxes, box_file, options, output, box_format, output_video, codec, prefetch, show, pace,
         max_frames, quiet, helper) -> None:
    src = open_source(source, prefetch=prefetch)  # first: a missing file is the problem to report
    with src:
        boxes = _initial_boxes(source, boxes, box_file, quiet)
        first, boxes = first_frame_and_boxes(src, boxes, f"{source}: no frames to track", quiet=quiet)
        if show:
            stats = run_live(src, boxes, options, output, box_format, output_video, codec, pace, max_frames,
                             first=first, helper=helper)
        else:
            if not boxes:
                boxes = _select_on_first_frame(src, first)
            stats = _track_headless(src, boxes, options, output, box_format, output_video, codec, max_frames,
                                    quiet, first, helper)
    if stats is not None and not quiet:
        click.echo(summary_line(stats["frames"], stats["seconds"], stats["lost"], len(boxes) or 1), err=True)


def first_frame_and_boxes(src: Any, boxes: list, no_frame: str, *, quiet: bool = False) -> tuple[Any, list]:
    """The source's first frame (not consumed) and the boxes checked against it; ``no_frame`` is the
    error when there is none, a bad box is a :class:`BadValue` naming it.

    A box that reaches outside the frame is clipped to it, and (unless ``quiet``) a one-line note says
    so: the target tracked is then not the box given.
    """
    from meanshift.io import check_box, format_box

    first = src.peek()
    if first is None:
        raise fail(no_frame)
    try:
        checked = [check_box(b, first.shape) for b in boxes]
    except ValueError as exc:
        raise BadValue(str(exc)) from None
    height, width = first.shape[:2]
    for given, box in zip(boxes, checked, strict=True):
        if not quiet and tuple(float(v) for v in given) != box:
            click.echo(f"note: box {format_box(given)} reaches outside the {width}x{height} frame: tracking the "
                       f"part inside it, {format_box(box)}", err=True)
    return first, checked


def _refuse_folder_of_videos(source: str) -> None:
    from meanshift.io import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

    if not os.path.isdir(source) or os.path.isdir(os.path.join(source, "img")):
        return
    names = os.listdir(source)
    if any(os.path.splitext(n)[1].lower() in IMAGE_EXTENSIONS for n in names):
        return
    videos = sorted(n for n in names if os.path.splitext(n)[1].lower() in VIDEO_EXTENSIONS)
    if videos:
        folder = source.rstrip("/") or source
        raise fail(f"{source} is a folder of videos, not of frames: track one with `meanshift track "
                   f"{os.path.join(folder, videos[0])}`, or all of them with `meanshift batch {folder} --out tracked`")


def _check_track_outputs(source: str, box_file: str | None, output: str | None, output_video: str | None) -> None:
    """Refuse, before anything opens, outputs that are an input, each other, inside the frame folder, unwritable."""
    from meanshift.io import sidecar_box_path

    inputs = [box_file] if box_file else []
    folders = []
    if os.path.isdir(source):
        folders.append(source)
    elif os.path.exists(source):
        inputs.append(source)
        try:
            inputs.append(os.fspath(sidecar_box_path(source)))
        except (ValueError, TypeError):
            pass
    check_outputs({"--output": output, "--output-video": output_video}, inputs, folders)


def _initial_boxes(source: str, boxes: list, box_file: str | None, quiet: bool) -> list:
    """--box, else --box-file, else the source's own box file; empty when the user is to draw one."""
    from meanshift.apps.live import has_display
    from meanshift.io import VideoError, initial_box_for, read_box_file

    boxes = list(boxes)
    if not boxes and box_file:
        try:
            boxes = [read_box_file(box_file)]
        except (VideoError, ValueError) as exc:
            raise BadValue(f"--box-file: {exc}") from None
    if not boxes:
        try:
            found = initial_box_for(source)
        except (VideoError, ValueError) as exc:
            raise fail(str(exc)) from None
        if found is not None:
            boxes = [found[0]]
            if not quiet:
                text = ",".join(f"{v:g}" for v in found[0])
                click.echo(f"using the initial box {text} from {found[1]}", err=True)
    if not boxes and not has_display():
        raise fail("no target box: pass --box X,Y,W,H (or --box-file PATH); there is no display to draw it on")
    return boxes


def _select_on_first_frame(src: Any, first: Any) -> list:
    import cv2

    from meanshift.apps.live import select_box

    window = f"meanshift: draw the target on {src.name}, then press Enter"
    try:
        box = select_box(window, first)
    finally:
        cv2.destroyAllWindows()
        cv2.waitKey(1)
    if box is None:
        raise fail("no target selected (selection cancelled): nothing tracked, nothing written")
    return [box]


def kept(written: dict[str, int | None]) -> str:
    """What a failed or interrupted run leaves behind, for its last message: each file that exists, its frames."""
    files = {path: n for path, n in written.items() if path and n is not None and os.path.exists(path)}
    if not files:
        return ""
    if len(set(files.values())) == 1:
        n = next(iter(files.values()))
        names = " and ".join(files)
        return f"; {names} {'holds' if len(files) == 1 else 'hold'} the {n} frame{'' if n == 1 else 's'} tracked before"
    return "; " + ", ".join(f"{path} holds {n} frame{'' if n == 1 else 's'}" for path, n in files.items())


def interrupted_line(written: dict[str, int | None], tracked: int) -> str:
    """The last line of a run stopped by Ctrl-C or SIGTERM, the same with and without ``--show``.

    ``written`` maps each output to the frames it holds (``None`` when there is none), ``tracked`` is
    the frames tracked, said when no output was asked for.
    """
    frames = max((n for n in written.values() if n is not None), default=tracked)
    return f"interrupted after {frames} frames{kept(written)}"


def _track_headless(src, boxes, options, output, box_format, output_video, codec, max_frames, quiet,
                    first, helper=None) -> dict[str, Any]:
    import warnings

    from tqdm import tqdm

    from meanshift.apps.batch import track_video
    from meanshift.apps.warmup import compile_kernels
    from meanshift.io import VideoError

    compile_kernels(options.create, first, boxes, quiet=quiet, helper=helper)
    # A bar for sources with an end; cameras and streams run until Ctrl-C (or --max-frames).
    total = src.frame_count if max_frames is None else min(max_frames, src.frame_count or max_frames)
    bar = tqdm(total=total, unit="frame", desc=os.path.basename(src.name.rstrip("/")) or src.name,
               disable=quiet or src.kind in ("camera", "stream") and max_frames is None, leave=False)

    def show_warning(message, category, filename, lineno, file=None, line=None) -> None:
        # Through tqdm's writer: the warning gets its own line and the bar is redrawn below it.
        tqdm.write(f"warning: {message}", file=sys.stderr)

    def written(exc: BaseException) -> dict[str, int | None]:
        counts = getattr(exc, "written", {}) or {}
        return {output: counts.get("csv"), output_video: counts.get("video")}

    try:
        with sigterm_as_interrupt(), warnings.catch_warnings():
            warnings.showwarning = show_warning
            report = track_video(src, boxes, options=options, csv_path=output, video_path=output_video,
                                 max_frames=max_frames, on_frame=bar.update, box_format=box_format, codec=codec)
    except KeyboardInterrupt as exc:
        bar.close()
        click.echo(interrupted_line(written(exc), bar.n), err=True)
        sys.exit(interrupted_exit(exc))
    except (VideoError, ValueError, OSError) as exc:
        bar.close()
        raise fail(f"{_describe(exc)}{kept(written(exc))}") from None
    bar.close()
    if report.error:
        # The file ended well before the frame count in its header: truncated or corrupt. Every frame it
        # had is tracked and written, but the run did not cover the video, so it must not pass as done.
        counts = {output: report.frames if output else None, output_video: report.frames if output_video else None}
        raise fail(f"{src.name}: {report.error.removeprefix('warning: ')}{kept(counts)}")
    return {"frames": report.frames, "lost": report.lost, "seconds": report.seconds}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename:
        return f"cannot write {exc.filename}: {exc.strerror}"
    return str(exc)


def run_live(src, boxes, options, output, box_format, output_video, codec, pace, max_frames, *,
             first, helper=None) -> dict[str, Any] | None:
    """The live window (``--show``, ``webcam``); ``None`` when the user cancels the first selection.

    Without a box the user draws one first; Esc there quits with nothing tracked and nothing written.
    """
    from meanshift.apps.live import LiveTracker, select_box
    from meanshift.apps.warmup import compile_kernels
    from meanshift.io import VideoError, box_writer, video_writer

    window = f"meanshift - {os.path.basename(src.name.rstrip('/')) or src.name}"
    if not boxes:
        box = select_box(window, first)
        if box is None:
            import cv2

            cv2.destroyAllWindows()
            cv2.waitKey(1)
            click.echo("no target selected: nothing tracked, nothing written", err=True)
            return None
        boxes = [box]
    compile_kernels(options.create, first, boxes, quiet=False, helper=helper)
    csv_out = writer = live = None
    try:
        csv_out = box_writer(output, box_format) if output else None
        writer = video_writer(output_video, src.fps or 30.0, codec) if output_video else None
        live = LiveTracker(src, options.create, boxes=boxes, csv=csv_out, writer=writer, window=window,
                           pace=pace, max_frames=max_frames)
        with sigterm_as_interrupt():
            return live.run()
    except KeyboardInterrupt as exc:
        # Closed first, so that the line below describes finished files (a playable video, every row).
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()
        counts = {output: csv_out.frames if csv_out else None, output_video: writer.frames_written if writer else None}
        click.echo(interrupted_line(counts, live.frames if live else 0), err=True)
        sys.exit(interrupted_exit(exc))
    except (VideoError, ValueError, OSError) as exc:
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()
        counts = {output: csv_out.frames if csv_out else None, output_video: writer.frames_written if writer else None}
        raise fail(f"{_describe(exc)}{kept(counts)}") from None
    finally:
        if writer is not None:
            writer.close()
        if csv_out is not None:
            csv_out.close()
