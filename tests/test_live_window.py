"""The live window, for real: `meanshift track --show` under Xvfb, driven by xdotool, checked by screenshots.

Needs the Debian packages xvfb and xdotool (`make system-deps` installs them) and Pillow (for the
screenshots, in the `test` extra). Each test skips, saying why, where they are missing or Xvfb
cannot start.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from support import xvfb

from meanshift.io import VideoWriter, format_box, target_color
from meanshift.synthetic import moving_target_sequence

pytestmark = pytest.mark.display

ROOT = Path(__file__).resolve().parents[1]
N_FRAMES = 300  # 10 s at the clip's 30 fps: the tests quit long before the end


@pytest.fixture(scope="module")
def display(tmp_path_factory) -> Iterator[str]:
    """A private X server for this module's tests (see tests/support.py)."""
    if not shutil.which("xdotool"):
        pytest.skip("xdotool is not installed (`make system-deps` installs it: apt xvfb xdotool)")
    pytest.importorskip("PIL.ImageGrab", reason="Pillow is needed for screenshots (pip install '.[test]')")
    with xvfb(tmp_path_factory.mktemp("xvfb") / "xvfb.log") as name:
        yield name


def xdotool(display: str, *args: str) -> str:
    result = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": display},
                            capture_output=True, text=True, timeout=20)
    return result.stdout.strip()


def find_window(display: str, title: str, process: subprocess.Popen, timeout: float = 40) -> tuple[str, int, int]:
    """Wait for a window whose title starts with ``title``; return its id and screen position."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the program exited ({process.returncode}): {process.communicate()[1][-1500:]}")
        found = xdotool(display, "search", "--onlyvisible", "--name", f"^{title}").split()
        if found:
            geometry = dict(line.split("=") for line in xdotool(display, "getwindowgeometry", "--shell",
                                                                   found[-1]).splitlines() if "=" in line)
            return found[-1], int(geometry["X"]), int(geometry["Y"])
        time.sleep(0.2)
    windows = xdotool(display, "search", "--name", ".")
    raise AssertionError(f"no window titled {title!r} appeared within {timeout} s (windows: {windows!r})")


def screenshot(display: str) -> np.ndarray:
    from PIL import ImageGrab

    return np.asarray(ImageGrab.grab(xdisplay=display).convert("RGB"))


def colour_mask(shot: np.ndarray, bgr) -> np.ndarray:
    return np.all(shot == np.array(bgr[::-1], np.uint8), axis=2)


def wait_for_colour(display: str, bgr, minimum: int, timeout: float = 30, window: str | None = None) -> np.ndarray:
    """Screenshots until ``minimum`` pixels have colour ``bgr`` (the window paints asynchronously,
    and its first frame waits for the tracker's first update).

    Without a window manager, Qt under CPU load sometimes misses the MapNotify of its new window
    and then never paints it (seen in about one start in ten with Qt 5.15 on Xvfb). Given
    ``window``, a window still blank after a few seconds is unmapped and mapped again, which
    delivers a fresh MapNotify; on a desktop the window manager's reparenting does the same.
    """
    start = time.monotonic()
    remapped = window is None
    while True:
        shot = screenshot(display)
        if colour_mask(shot, bgr).sum() >= minimum or time.monotonic() > start + timeout:
            return shot
        if not remapped and time.monotonic() > start + 5 and not shot.any():
            xdotool(display, "windowunmap", "--sync", window, "windowmap", "--sync", window)
            remapped = True
        time.sleep(0.2)


def wait_until_still(display: str, timeout: float = 15) -> np.ndarray | None:
    """The screen once two screenshots 0.5 s apart are identical (a paused window), else None."""
    deadline = time.monotonic() + timeout
    previous = screenshot(display)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        current = screenshot(display)
        if np.array_equal(previous, current):
            return current
        previous = current
    return None


def read_rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, tuple]:
    path = tmp_path_factory.mktemp("live") / "clip.avi"
    with VideoWriter(path, fps=30) as writer:
        for i, (frame, box) in enumerate(moving_target_sequence(N_FRAMES, (240, 320), seed=3)):
            writer.write(frame)
            if i == 0:
                first = box
    return path, first


@pytest.fixture
def live(display):
    """Start `meanshift track ... --show` on the X server; never leave it running."""
    processes: list[subprocess.Popen] = []

    def start(*args: str) -> subprocess.Popen:
        env = {**os.environ, "DISPLAY": display,
               "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
        process = subprocess.Popen(
            [sys.executable, "-m", "meanshift", "track", *args, "--show"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
        processes.append(process)
        return process

    yield start
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()


def test_pause_shows_the_box_and_q_quits_cleanly(display, clip, live, tmp_path):
    video, box = clip
    out = tmp_path / "boxes.csv"
    process = live(str(video), "--box", format_box(box), "--output", str(out))
    window, wx, wy = find_window(display, "meanshift - clip.avi", process)
    shot = wait_for_colour(display, target_color(0), 40, window=window)  # the first frame is on screen
    assert colour_mask(shot, target_color(0)).sum() >= 40, (
        f"window {window} at {wx},{wy} shows no box (program {'running' if process.poll() is None else 'ended'})"
    )
    xdotool(display, "windowfocus", "--sync", window)
    xdotool(display, "key", "space")
    first = wait_until_still(display)
    assert first is not None, "the picture still changes after pausing"

    # The window shows the tracked box, in the first target's colour, where the CSV says it is.
    rows = read_rows(out)
    x, y, w, h = (float(rows[-1][k]) for k in "xywh")
    drawn = colour_mask(first, target_color(0))
    ys, xs = np.nonzero(drawn)
    assert len(xs) > w + h, f"only {len(xs)} pixels of the box colour on screen"
    near = (xs > wx + x - 12) & (xs < wx + x + w + 12) & (ys > wy + y - 25) & (ys < wy + y + h + 12)
    assert near.mean() > 0.9, "box colour drawn away from the tracked box"
    assert drawn[round(wy + y + h / 2), round(wx + x) - 2: round(wx + x) + 3].any()  # the left edge

    xdotool(display, "key", "q")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "tracked" in stderr
    frames = len(read_rows(out))
    assert frames == len(rows), "frames were tracked while paused"
    assert 0 < frames < N_FRAMES


def drag(display: str, x0: int, y0: int, x1: int, y1: int) -> None:
    xdotool(display, "mousemove", "--sync", str(x0), str(y0), "mousedown", "1")
    xdotool(display, "mousemove", "--sync", str((x0 + x1) // 2), str((y0 + y1) // 2))
    xdotool(display, "mousemove", "--sync", str(x1), str(y1), "mouseup", "1")
    time.sleep(0.3)
    xdotool(display, "key", "Return")


def targets_in(path: Path) -> set[str]:
    return {row["target"] for row in read_rows(path)}


def select_with_mouse(display: str, key: str, box: tuple[int, int, int, int], out: Path, target: str) -> None:
    """Press ``key`` (a or r), drag ``box`` (screen x0, y0, x1, y1), accept; until ``target`` appears.

    Under load the selection may not be listening yet when the mouse moves; then try again (a second
    key press while the selection is open is ignored by it).
    """
    for _ in range(4):
        xdotool(display, "key", key)
        time.sleep(0.8)
        drag(display, *box)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if target in targets_in(out):
                return
            time.sleep(0.1)

    raise AssertionError(f"selecting a box with the mouse after {key!r} did not add target {target}")




def test_add_and_reselect_targets_with_the_mouse_then_escape(display, clip, live, tmp_path):
    video, box = clip
    out = tmp_path / "boxes.csv"
    process = live(str(video), "--box", format_box(box), "--output", str(out))
    window, wx, wy = find_window(display, "meanshift - clip.avi", process)
    shot = wait_for_colour(display, target_color(0), 40, window=window)
    assert colour_mask(shot, target_color(0)).sum() >= 40, "the first frame and its box never appeared"
    xdotool(display, "windowfocus", "--sync", window)
    xdotool(display, "key", "space")  # pause so that the selections land on a known frame
    time.sleep(0.3)
    select_with_mouse(display, "a", (wx + 20, wy + 150, wx + 60, wy + 190), out, "1")
    shot = wait_for_colour(display, target_color(1), 60, timeout=10)
    assert colour_mask(shot, target_color(1)).sum() >= 60, "the added target is not drawn in its own colour"
    assert colour_mask(shot, target_color(0)).sum() >= 60, "the first target disappeared"
    select_with_mouse(display, "r", (wx + 200, wy + 20, wx + 240, wy + 60), out, "2")
    xdotool(display, "key", "space")
    time.sleep(1.0)
    xdotool(display, "key", "Escape")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    rows = read_rows(out)
    by_target: dict[str, list[int]] = {}
    for row in rows:
        by_target.setdefault(row["target"], []).append(int(row["frame"]))
    assert set(by_target) == {"0", "1", "2"}, "each selection is a new target"
    # Re-selecting replaced every target: only the new one is tracked afterwards.
    reselected_at = by_target["2"][0]
    assert max(by_target["0"]) <= reselected_at and max(by_target["1"]) <= reselected_at
    assert max(by_target["2"]) > reselected_at
    selected = next(r for r in rows if r["target"] == "2")
    assert abs(float(selected["x"]) - 200) <= 2 and abs(float(selected["w"]) - 40) <= 3


def test_drawing_the_first_box_shows_a_hint_and_escape_quits_with_nothing_written(display, clip, live, tmp_path):
    """No box given: the first frame waits for one, saying how; Esc there quits, tracks and writes nothing."""
    video, _ = clip
    out = tmp_path / "boxes.csv"
    process = live(str(video), "--output", str(out))
    window, wx, wy = find_window(display, "meanshift - clip.avi", process)
    shot = wait_for_colour(display, (255, 255, 255), 60, window=window)  # the hint, white on a dark outline
    hint = colour_mask(shot, (255, 255, 255))[wy: wy + 30, wx: wx + 320]
    assert hint.sum() >= 60, "no hint on screen while the first box is drawn"
    xdotool(display, "windowfocus", "--sync", window)
    xdotool(display, "key", "Escape")
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "no target selected: nothing tracked, nothing written" in stderr and "Traceback" not in stderr
    assert "tracked" not in stderr.replace("nothing tracked", "")
    assert not out.exists()
