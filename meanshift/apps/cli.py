"""The ``meanshift`` command line: the group, its shared options and helpers (rasterio's ``rio`` style).

Each subcommand lives in its own module under :mod:`meanshift.apps.commands` (``track``, ``webcam``,
``batch``, ``eval``) and is imported only when it is used or listed, so that ``meanshift --help``
answers at once: heavy imports (OpenCV, Numba, the engine) happen inside the commands. Errors a user
can fix are printed as one line, ``Error: <what is wrong and what to pass>``, with a non-zero exit
code and never a traceback: 1 for a failure (unreadable video, failed batch item, a video that broke
off midway), 2 for bad usage, 130 when interrupted by Ctrl-C and 143 when stopped by SIGTERM (a
supervisor or ``kill``). Either way the outputs written so far are closed properly: every row of the
CSV, a playable video.

Adding a subcommand
-------------------
The group :data:`main` lists every name in :data:`LAZY_SUBCOMMANDS` whose module exists, and imports
the module only when that subcommand is used or listed. The module either exposes a click command as
``command`` (or ``<name>_command`` / ``<name>``), or registers itself with ``@main.command(name)``.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click

__all__ = [
    "main", "run", "LAZY_SUBCOMMANDS", "PRESET_NAMES", "SIMILARITY_NAMES", "FEATURE_NAMES", "KERNEL_NAMES",
    "SCALE_NAMES", "MOTION_NAMES", "tracker_options",
]

#: Subcommand name -> module defining it; loaded on first use (see the module docstring).
LAZY_SUBCOMMANDS: dict[str, str] = {
    "track": "meanshift.apps.commands.track",
    "webcam": "meanshift.apps.commands.webcam",
    "batch": "meanshift.apps.commands.batch",
    "eval": "meanshift.apps.commands.eval",
}

# The names the tracker options accept, spelled here so that ``--help`` needs no engine import.
# tests/test_cli.py keeps each equal to the engine's registry (``meanshift.PRESETS``,
# ``meanshift.similarities()``, ``feature_spaces()`` plus "auto", ``kernels()``, ``scale_rules()``,
# ``motion_models()``); a name a --plugin registers is accepted too.
PRESET_NAMES = ("camshift", "comaniciu-meer", "generalized")
SIMILARITY_NAMES = ("backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2",
                    "log-likelihood", "background-ratio", "posterior")
FEATURE_NAMES = ("hue", "hue-sat", "bgr", "gray", "hsv-full", "lab", "ycrcb", "auto")
KERNEL_NAMES = ("flat", "epanechnikov", "gaussian", "biweight")
SCALE_NAMES = ("fixed", "moments", "bandwidth", "contrast", "posterior")
MOTION_NAMES = ("none", "constant-velocity")

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130
EXIT_TERMINATED = 143  # 128 + SIGTERM, as a shell reports it


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where Ctrl-C would be so that the same clean-up runs (outputs closed, summary written)."""


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Turn SIGTERM into :class:`Terminated` while tracking.

    A service manager or ``kill`` stops a long run with SIGTERM, whose default action ends the process
    at once: the annotated video's index would never be written and the file would not play.
    """

    def handler(_signum: int, _frame: Any) -> None:
        raise Terminated()

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (e.g. a test runner's worker thread): nothing to install
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def interrupted_exit(exc: KeyboardInterrupt) -> int:
    """The exit code for Ctrl-C (130) or SIGTERM (143)."""
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


class _LazyGroup(click.Group):
    """A click group whose subcommands are defined in modules imported on demand."""

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


class BadValue(click.UsageError):
    """A wrong option value, shown as the single line ``Error: ...`` (exit code 2)."""

    def show(self, file: Any = None) -> None:
        click.echo(f"Error: {self.format_message()}", err=True)


def fail(message: str) -> click.ClickException:
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
      meanshift eval ../shared/data/sequences --out out/eval
    """
    ctx.obj = {"verbose": verbose}
    import warnings

    # The engine's warnings (e.g. a box the colour mask rejects) read best as one plain line.
    warnings.formatwarning = _format_warning


def run() -> None:
    """The ``meanshift`` program (console script and ``python -m meanshift``): :func:`main`, then a quick exit.

    Every output is closed when a command returns; what is left is the interpreter's last garbage
    collections over Numba's compiler objects, a quarter of a second of every run's end. Freezing them
    skips that; the memory goes back with the process.
    """
    import gc

    try:
        main(prog_name="meanshift")
    finally:
        gc.freeze()


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def prepare(ctx: click.Context) -> None:
    """Silence OpenCV's, FFmpeg's and Qt's own console messages unless ``--verbose``.

    Our one-line errors say what went wrong; a corrupt file would otherwise add a dozen decoder lines.
    This is a command-line process: they are silenced for its whole life.
    """
    if not (ctx.find_root().obj or {}).get("verbose"):
        os.environ.setdefault("QT_LOGGING_RULES", "default.warning=false")
        from meanshift.io import silence_opencv

        silence_opencv()


# --------------------------------------------------------------------------------------------
# Shared options
# --------------------------------------------------------------------------------------------


def parse_boxes(_ctx: click.Context, _param: click.Parameter, values: tuple[str, ...]) -> list[tuple]:
    """``--box`` callback: every value parsed as ``x,y,w,h``."""
    from meanshift.io import parse_box  # light: the video module does not import the engine

    try:
        return [parse_box(v) for v in values]
    except ValueError as exc:
        raise BadValue(f"--box: {exc}") from None


def _names(names: tuple[str, ...]) -> str:
    return ", ".join(names)


def tracker_options(function: Callable) -> Callable:
    """The options that choose and tune the tracker, shared by every tracking subcommand.

    The command receives ``tracker`` (a :class:`~meanshift.apps.batch.TrackerOptions`, checked by
    building one tracker, so that a bad name fails before any video opens) instead of the single options.
    """
    plugin_help = "or a name a --plugin module registers"
    options = [
        click.option(
            "--preset", type=click.Choice(PRESET_NAMES), default="generalized", show_default=True,
            help="Tracker to start from: classic CAMSHIFT, Comaniciu/Meer's kernel tracker, or ours.",
        ),
        click.option("--similarity", metavar="NAME",
                     help=f"Similarity measure, replacing the preset's: {_names(SIMILARITY_NAMES)} ({plugin_help})."),
        click.option("--kernel", metavar="NAME", help=f"Kernel profile: {_names(KERNEL_NAMES)}."),
        click.option("--features", metavar="NAME",
                     help=f"Colour features: {_names(FEATURE_NAMES)} (auto: chosen from the first frame)."),
        click.option("--bins", type=click.IntRange(2, 256), help="Histogram bins per colour channel."),
        click.option("--scale", metavar="RULE",
                     help=f"How the window's size follows the target: {_names(SCALE_NAMES)}."),
        click.option("--motion", metavar="MODEL", help=f"Where to start each frame's search: {_names(MOTION_NAMES)}."),
        click.option("--recovery/--no-recovery", default=None,
                     help="Loss detection and re-acquisition over the whole frame.  [default: the preset's]"),
        click.option("--plugin", "plugins", multiple=True, metavar="MODULE",
                     help="Import this module (or .py file) first: it may register a similarity, kernel, "
                          "scale rule or motion model to name above. Repeatable."),
    ]
    for option in reversed(options):
        function = option(function)

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        keys = ("preset", "similarity", "kernel", "features", "bins", "scale", "motion", "recovery", "plugins")
        values = {key: kwargs.pop(key) for key in keys}
        kwargs["tracker"] = values
        return function(*args, **kwargs)

    import functools

    return functools.update_wrapper(wrapper, function)


def build_tracker_options(values: dict[str, Any]) -> Any:
    """The :class:`~meanshift.apps.batch.TrackerOptions` of the tracker options, checked by building one tracker."""
    from meanshift.apps.batch import PluginError, TrackerOptions

    options = TrackerOptions(**{**values, "plugins": tuple(values.get("plugins") or ())})
    try:
        options.create()
    except PluginError as exc:
        raise BadValue(f"--plugin: {exc}") from None
    except (ValueError, TypeError) as exc:
        raise BadValue(str(exc)) from None
    return options


def output_settings(output: str | None, output_video: str | None, codec: str | None,
                    box_format: str | None) -> str:
    """The box table's format (``--format``, else from ``--output``'s name); ``--codec`` checked against the video."""
    from meanshift.io import check_video_codec, format_for_path

    if output_video:
        try:
            check_video_codec(output_video, codec)
        except ValueError as exc:
            raise BadValue(f"--codec: {exc}") from None
    return box_format or format_for_path(output)


def open_source(source: Any, **kwargs: Any) -> Any:
    """:func:`meanshift.io.open_source`, its errors as one line."""
    from meanshift.io import VideoError, open_source

    try:
        return open_source(source, **kwargs)
    except VideoError as exc:
        raise fail(str(exc)) from None


def summary_line(frames: int, seconds: float, lost: int, targets: int = 1) -> str:
    """The last line of a run: frames, tracking speed (compilation excluded), frames lost."""
    fps = frames / seconds if seconds > 0 else 0.0
    what = "target lost" if targets == 1 else "a target lost"
    return f"tracked {frames} frames in {seconds:.1f} s ({fps:.1f} fps); {what} in {lost} frames"


def check_outputs(outputs: dict[str, str | None], inputs: list[str], input_folders: Sequence[str] = ()) -> None:
    """Refuse outputs that would destroy an input or each other, or cannot be written; one ``Error:`` line."""
    from meanshift.apps.outputs import OutputError, check_output_paths

    try:
        check_output_paths(outputs, inputs, input_folders)
    except OutputError as exc:
        raise fail(str(exc)) from None
