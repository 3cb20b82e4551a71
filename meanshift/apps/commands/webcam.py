"""``meanshift webcam``: live tracking from a camera, the short way to ``meanshift track 0 --show``."""

from __future__ import annotations

import click

from meanshift.apps.cli import (
    BadValue,
    check_outputs,
    fail,
    open_source,
    parse_boxes,
    prepare,
    summary_line,
    tracker_options,
)
from meanshift.apps.commands.track import first_frame_and_boxes, output_options, run_live

__all__ = ["command"]


def _parse_size(_ctx: click.Context, _param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    try:
        w, h = (int(v) for v in value.lower().split("x"))
        if w <= 0 or h <= 0:
            raise ValueError
    except ValueError:
        raise BadValue(f"--size: expected WIDTHxHEIGHT such as 640x480, got {value!r}") from None
    return w, h


@click.command("webcam")
@click.option("-c", "--camera", type=click.IntRange(min=0), default=0, show_default=True, help="Camera index.")
@click.option(
    "--size", default="640x480", show_default=True, callback=_parse_size,
    help="Resolution to ask the camera for (it may pick the nearest it supports).",
)
@click.option(
    "--box", "boxes", multiple=True, metavar="X,Y,W,H", callback=parse_boxes,
    help="Start with this target instead of drawing one (x,y,w,h in pixels; semicolons, spaces or tabs may "
         "separate them too).",
)
@tracker_options
@output_options
@click.pass_context
def command(
    ctx: click.Context, camera: int, size, boxes: list, tracker: dict, output: str | None, box_format: str | None,
    output_video: str | None, codec: str,
) -> None:
    """Track live from a camera: the short way to `meanshift track 0 --show`.

    Opens the camera at 640x480, shows the first frame and lets you draw the target (drag, then
    Enter; Esc quits); then tracks it live. Keys: space pauses, r re-selects, a adds a target, q or
    Esc quits.

    \b
    Examples:
      meanshift webcam
      meanshift webcam --camera 1 --preset camshift
      meanshift webcam --output-video session.mp4
    """
    prepare(ctx)
    from meanshift.apps.cli import build_tracker_options, output_settings
    from meanshift.apps.live import has_display
    from meanshift.apps.warmup import start_helper_if_cold, stop_helper

    options = build_tracker_options(tracker)
    box_format = output_settings(output, output_video, codec, box_format)
    check_outputs({"--output": output, "--output-video": output_video}, [])
    width, height = size or (None, None)
    helper = start_helper_if_cold(options.create)  # compiles while the camera opens and the box is drawn
    try:
        src = open_source(camera, width=width, height=height)
        with src:
            if not has_display():
                raise fail(
                    f"camera {camera} opened, but there is no display for the live window (DISPLAY is empty); "
                    f"to track without one: meanshift track {camera} --box X,Y,W,H --output boxes.csv"
                )
            first, boxes = first_frame_and_boxes(src, boxes, f"camera {camera} delivered no frame")
            stats = run_live(src, boxes, options, output, box_format, output_video, codec, False, None, first=first,
                             helper=helper)
    finally:
        stop_helper(helper)
    if stats is not None:
        click.echo(summary_line(stats["frames"], stats["seconds"], stats["lost"]), err=True)
