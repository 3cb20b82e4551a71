"""Helpers shared by the tests that read videos or need a private X server."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import pytest


def count_frames(path: Path) -> tuple[int, tuple[int, int] | None]:
    """Number of frames OpenCV decodes from ``path``, and their (height, width)."""
    cap = cv2.VideoCapture(str(path))
    n, size = 0, None
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        n, size = n + 1, frame.shape[:2]
    cap.release()
    return n, size


@contextmanager
def xvfb(log_path: Path) -> Iterator[str]:
    """A private Xvfb; yields its display (``":N"``), or skips the test saying why it cannot run.

    Xvfb picks a free display number and writes it, then a newline, to the -displayfd pipe once it
    accepts connections; the pipe is read up to the newline (closing it earlier makes Xvfb's second
    write fail and the server exit). Its messages go to a file: a pipe nobody reads fills up (xkbcomp
    warns at every key mapping xdotool makes) and then blocks the server. -noreset: by default the
    server resets whenever its last client leaves, and a client connecting meanwhile is refused.
    """
    binary = shutil.which("Xvfb")
    if not binary:
        pytest.skip("Xvfb is not installed (`make system-deps` installs it: apt xvfb xdotool)")
    read_fd, write_fd = os.pipe()
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            [binary, "-displayfd", str(write_fd), "-screen", "0", "800x600x24", "-nolisten", "tcp", "-noreset"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True,
        )
        os.close(write_fd)
        number, deadline = b"", time.monotonic() + 15
        while not number.endswith(b"\n") and select.select([read_fd], [], [], max(deadline - time.monotonic(), 0))[0]:
            chunk = os.read(read_fd, 32)
            if not chunk:
                break
            number += chunk
        os.close(read_fd)
        if not number.endswith(b"\n"):
            server.kill()
            server.wait()
            pytest.skip(f"Xvfb could not start here: {log_path.read_text(errors='replace').strip()[-300:]}")
        try:
            yield f":{number.strip().decode()}"
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def default_signals() -> None:
    """``preexec_fn`` for children a test interrupts: SIGINT back to its default.

    A shell that starts a job in the background without job control (``cmd &`` in a script, some CI
    runners) makes it ignore SIGINT, and the children would inherit that; the interruption tests must
    not depend on how the suite itself was started.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)
