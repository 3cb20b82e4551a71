"""Reading ahead (``open_source(..., prefetch=True)``): the same frames, the same errors at the same frame,
no thread left behind however the reader stops, and the same outputs from `track` and `batch`.

Nothing here is timed: whether reading ahead is faster is for benchmarks/bench_pipeline.py to say.
"""

from __future__ import annotations

import gc
import shutil
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner

from meanshift.apps.batch import BatchJob, run_batch, track_video
from meanshift.apps.cli import main
from meanshift.io import (
    CaptureSource,
    FrameSource,
    ImageFolderSource,
    PrefetchSource,
    VideoError,
    VideoWriter,
    format_box,
    open_source,
)
from meanshift.synthetic import moving_target_sequence

N_FRAMES = 24
SIZE = (120, 160)


def our_threads() -> list[threading.Thread]:
    """The threads that reading ahead starts (their names say so)."""
    return [t for t in threading.enumerate() if t.name.startswith("meanshift-")]


@pytest.fixture(autouse=True)
def no_thread_left_behind():
    assert our_threads() == []  # none from an earlier test either
    yield
    gc.collect()  # a source a test dropped without closing stops its threads when collected
    for thread in our_threads():
        thread.join(timeout=10)
    assert our_threads() == []


def synthetic(n: int = N_FRAMES, size=SIZE) -> list[tuple[np.ndarray, tuple]]:
    return list(moving_target_sequence(n, size, base_size=(30, 24)))


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, tuple]:
    path = tmp_path_factory.mktemp("clip") / "clip.mp4"
    frames = synthetic()
    with VideoWriter(path, fps=25) as writer:
        for frame, _ in frames:
            writer.write(frame)
    return path, frames[0][1]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> tuple[Path, tuple]:
    """An OTB-style folder of JPEGs with its ground-truth file."""
    seq = tmp_path_factory.mktemp("folder") / "Seq"
    (seq / "img").mkdir(parents=True)
    frames = synthetic()
    for i, (frame, _) in enumerate(frames):
        cv2.imwrite(str(seq / "img" / f"{i + 1:04d}.jpg"), frame)
    (seq / "groundtruth_rect.txt").write_text(format_box(frames[0][1]) + "\n")
    return seq, frames[0][1]


def outcomes(source: FrameSource, limit: int = 100) -> list:
    """Everything a reader that reads on after errors sees: frames, and ``(type, message)`` per error."""
    seen: list = []
    with source:
        for _ in range(limit):
            try:
                frame = source.read()
            except VideoError as exc:
                seen.append((type(exc), str(exc)))
                continue
            if frame is None:
                break
            seen.append(frame)
    return seen


def assert_same(got: list, expected: list) -> None:
    assert len(got) == len(expected)
    for i, (a, b) in enumerate(zip(got, expected, strict=True)):
        if isinstance(b, np.ndarray):
            assert isinstance(a, np.ndarray) and a.dtype == b.dtype and np.array_equal(a, b), f"frame {i}"
        else:
            assert a == b, f"item {i}"


# ------------------------------------------------------------------------------- the same frames


def test_a_prefetched_file_yields_the_frames_of_the_plain_source(clip):
    path, _ = clip
    plain = open_source(path)
    ahead = open_source(path, prefetch=True)
    assert isinstance(ahead, PrefetchSource) and not isinstance(plain, PrefetchSource)
    assert (ahead.name, ahead.kind, ahead.fps, ahead.frame_count) == (plain.name, plain.kind, plain.fps,
                                                                      plain.frame_count)
    expected = outcomes(plain)
    assert len(expected) == N_FRAMES
    assert_same(outcomes(ahead), expected)


@pytest.mark.parametrize(("threads", "ahead"), [(None, None), (1, 1), (2, 3), (3, 8)])
def test_a_prefetched_image_folder_yields_the_frames_of_the_plain_source(folder, threads, ahead):
    path, _ = folder
    expected = outcomes(open_source(path))
    assert len(expected) == N_FRAMES
    if threads is None:
        source = open_source(path, prefetch=True)
        assert isinstance(source, ImageFolderSource) and source._threads >= 1
    else:
        source = ImageFolderSource(path, threads=threads, ahead=ahead)
    assert_same(outcomes(source), expected)


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_peek_then_read_with_prefetch(clip, folder, kind):
    path = clip[0] if kind == "file" else folder[0]
    with open_source(path) as plain, open_source(path, prefetch=True) as ahead:
        first = ahead.peek()
        assert ahead.peek() is first and np.array_equal(first, plain.peek())
        assert_same(list(ahead), list(plain))
        assert ahead.read() is None and ahead.read() is None


def test_cameras_and_streams_are_not_read_ahead(monkeypatch):
    class Camera:
        def __init__(self, target):
            pass

        def isOpened(self):  # noqa: N802 (cv2's name)
            return True

        def read(self):
            return True, np.zeros((48, 64, 3), np.uint8)

        def get(self, prop):
            return -1.0

        def set(self, prop, value):
            return True

        def release(self):
            pass

    monkeypatch.setattr(cv2, "VideoCapture", Camera)
    for target in (0, "rtsp://127.0.0.1:1/live"):
        with open_source(target, prefetch=True) as source:
            assert type(source) is CaptureSource
            assert source.read() is not None
    assert our_threads() == []


# ------------------------------------------------------------------------------- the same errors, when reached


def folder_with(tmp_path: Path, broken: dict[int, str]) -> Path:
    """Ten PNG frames, some replaced: ``"garbage"`` (does not decode) or ``"bigger"`` (another size)."""
    seq = tmp_path / "seq"
    seq.mkdir()
    for i, (frame, _) in enumerate(synthetic(10, (60, 80))):
        path = seq / f"{i + 1:04d}.png"
        if broken.get(i) == "garbage":
            path.write_bytes(b"not an image")
        else:
            cv2.imwrite(str(path), cv2.resize(frame, (100, 70)) if broken.get(i) == "bigger" else frame)
    return seq


@pytest.mark.parametrize("broken", [{4: "garbage"}, {6: "bigger"}, {0: "garbage", 9: "garbage"},
                                    {3: "garbage", 5: "bigger"}], ids=["garbage", "bigger", "ends", "both"])
@pytest.mark.parametrize(("threads", "ahead"), [(1, 1), (2, 4), (4, 16)])
def test_an_unreadable_image_raises_its_error_when_reached(tmp_path, broken, threads, ahead):
    seq = folder_with(tmp_path, broken)
    expected = outcomes(ImageFolderSource(seq))
    errors = [item for item in expected if isinstance(item, tuple)]
    assert len(errors) == len(broken) and all(item[0] is VideoError for item in errors)
    assert_same(outcomes(ImageFolderSource(seq, threads=threads, ahead=ahead)), expected)


def test_the_error_is_not_raised_early_nor_lost(tmp_path):
    seq = folder_with(tmp_path, {4: "garbage"})
    # Everything is decoded (and the bad image has failed) long before the reader gets there.
    with ImageFolderSource(seq, threads=2, ahead=10) as source:
        for _ in range(4):
            assert source.read() is not None
        with pytest.raises(VideoError, match=r"cannot decode image .*0005\.png"):
            source.read()
        assert source.read() is not None  # the next frame, as from the plain source


class _Flaky(FrameSource):
    """Frames 0..n-1, with a ``VideoError`` instead of each frame listed in ``bad``."""

    kind = "file"

    def __init__(self, n: int, bad: set[int]):
        self.name, self.fps, self.frame_count = "flaky.mp4", 25.0, n
        self.n, self.bad, self.index, self.closed = n, bad, 0, 0

    def _read(self):
        if self.index >= self.n:
            return None
        self.index += 1
        if self.index - 1 in self.bad:
            raise VideoError(f"flaky.mp4 frame {self.index - 1} does not decode")
        return np.full((8, 8, 3), self.index - 1, np.uint8)

    def close(self):
        self.closed += 1


@pytest.mark.parametrize("depth", [1, 2, 8])
def test_prefetch_hands_on_each_error_at_its_frame(depth):
    expected = outcomes(_Flaky(12, {0, 5, 6, 11}))
    assert [e for e in expected if isinstance(e, tuple)][0] == (VideoError, "flaky.mp4 frame 0 does not decode")
    inner = _Flaky(12, {0, 5, 6, 11})
    assert_same(outcomes(PrefetchSource(inner, depth=depth)), expected)
    assert inner.closed == 1  # the reading thread closes the source it was given, once


class _ResizingFile:
    """Stands in for ``cv2.VideoCapture`` of a file of 10 frames whose resolution changes at frame 4."""

    def __init__(self, target):
        self.index = 0

    def isOpened(self):  # noqa: N802 (cv2's name)
        return True

    def read(self):
        self.index += 1
        if self.index > 10:
            return False, None
        return True, np.full((48, 64, 3) if self.index <= 4 else (60, 80, 3), self.index, np.uint8)

    def get(self, prop):
        return {cv2.CAP_PROP_FPS: 30.0, cv2.CAP_PROP_FRAME_COUNT: 10.0}.get(prop, -1.0)

    def set(self, prop, value):
        return True

    def release(self):
        pass


def test_a_file_whose_resolution_changes_fails_at_the_same_frame(monkeypatch):
    monkeypatch.setattr(cv2, "VideoCapture", _ResizingFile)
    expected = outcomes(CaptureSource("resizing.avi", "file"))
    assert expected[4] == (VideoError, "resizing.avi frame 4 is 80x60, the frames before were 64x48 "
                                       "(resolution changed mid-stream)")
    assert_same(outcomes(PrefetchSource(CaptureSource("resizing.avi", "file"))), expected)


# ------------------------------------------------------------------------------- no thread left behind


def test_close_stops_the_threads_when_the_reader_stops_early(clip, folder):
    for path in (clip[0], folder[0]):
        source = open_source(path, prefetch=True)
        assert source.read() is not None and source.read() is not None
        assert our_threads() != []  # reading ahead, or waiting for room in the queue
        source.close()
        assert our_threads() == []
        assert source.read() is None
        source.close()  # twice is harmless


def test_close_lets_go_of_a_thread_waiting_on_a_full_queue():
    inner = _Flaky(1000, set())
    source = PrefetchSource(inner, depth=1)
    assert source.peek() is not None
    assert source.alive  # the queue is full and the reader stopped reading: the thread waits
    source.close()
    assert not source.alive and inner.closed == 1 and our_threads() == []


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_an_exception_in_the_reading_loop_leaves_no_thread(clip, folder, kind, error):
    path = clip[0] if kind == "file" else folder[0]
    with pytest.raises(error), open_source(path, prefetch=True) as source:
        for i, _ in enumerate(source):
            if i == 3:
                raise error("stop")
    assert our_threads() == []


def test_a_source_dropped_without_close_stops_its_threads_when_collected(clip, folder):
    for path in (clip[0], folder[0]):
        source = open_source(path, prefetch=True)
        source.read()
        del source
        gc.collect()
        for thread in our_threads():
            thread.join(timeout=10)
        assert our_threads() == []


def test_track_video_closes_the_threads_on_failure(tmp_path):
    seq = folder_with(tmp_path, {5: "garbage"})
    box = synthetic(1, (60, 80))[0][1]
    for prefetch in (False, True):
        with pytest.raises(VideoError, match=r"0006\.png") as caught:
            track_video(seq, box, csv_path=tmp_path / f"b{prefetch}.csv", prefetch=prefetch)
        assert caught.value.written == {"csv": 5, "video": None}  # type: ignore[attr-defined]
        assert our_threads() == []


# ------------------------------------------------------------------------------- track and batch: same outputs


def _spy_open_source(monkeypatch, module) -> list[type]:
    """Record the type of each source the command opens (through ``module.open_source``)."""
    opened: list[type] = []
    real = open_source

    def spy(*args, **kwargs):
        source = real(*args, **kwargs)
        opened.append(type(source) if not isinstance(source, ImageFolderSource) else
                      (ImageFolderSource, bool(source._threads)))
        return source

    monkeypatch.setattr(module, "open_source", spy)
    return opened


@pytest.mark.parametrize("kind", ["file", "folder"])
def test_track_writes_the_same_outputs_with_and_without_prefetch(tmp_path, clip, folder, kind, monkeypatch):
    import meanshift.io

    path, box = clip if kind == "file" else folder
    opened = _spy_open_source(monkeypatch, meanshift.io)
    tables = {}
    for flag in ("--prefetch", "--no-prefetch"):
        out = tmp_path / f"{flag}.csv"
        result = CliRunner().invoke(main, ["track", str(path), "--box", format_box(box), "-o", str(out), "-q",
                                           "--output-video", str(tmp_path / f"{flag}.avi"), flag])
        assert result.exit_code == 0, result.output
        tables[flag] = out.read_text()
    expected = [PrefetchSource, CaptureSource] if kind == "file" else [(ImageFolderSource, True),
                                                                       (ImageFolderSource, False)]
    assert opened == expected
    assert len(tables["--prefetch"].splitlines()) == N_FRAMES + 1
    assert tables["--prefetch"] == tables["--no-prefetch"]


def test_batch_writes_the_same_outputs_with_and_without_prefetch(tmp_path, clip, folder, monkeypatch):
    import meanshift.apps.batch.tracking as tracking

    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(clip[0], inputs / "clip.mp4")
    (inputs / "clip.box").write_text(format_box(clip[1]) + "\n")
    shutil.copytree(folder[0], inputs / "Seq")
    broken = folder_with(tmp_path, {5: "garbage"})
    jobs = [BatchJob(str(inputs / "clip.mp4"), clip[1], "clip"), BatchJob(str(inputs / "Seq"), folder[1], "Seq"),
            BatchJob(str(broken), synthetic(1, (60, 80))[0][1], "broken")]
    opened = _spy_open_source(monkeypatch, tracking)
    results = {}
    for prefetch in (True, False):
        out = tmp_path / f"out-{prefetch}"
        reports = run_batch(jobs, out, n_jobs=1, progress=False, prefetch=prefetch)  # in this process
        results[prefetch] = ([(r.status, r.frames, r.lost, r.error) for r in reports],
                             {p.name: p.read_text() for p in sorted(out.glob("*.csv")) if p.name != "summary.csv"})
    assert opened == [PrefetchSource, (ImageFolderSource, True), (ImageFolderSource, True),
                      CaptureSource, (ImageFolderSource, False), (ImageFolderSource, False)]
    statuses = results[True][0]
    assert [s[0] for s in statuses] == ["ok", "ok", "failed"] and "0006.png" in statuses[2][3]
    assert sorted(results[True][1]) == ["Seq.csv", "clip.csv"]
    assert results[True] == results[False]


def test_a_reading_thread_that_dies_does_not_leave_the_reader_waiting(monkeypatch):
    import meanshift.io.prefetch as prefetch

    monkeypatch.setattr(prefetch, "_read_ahead", lambda source, frames, stop: None)  # a bug: queues nothing
    with PrefetchSource(_Flaky(5, set())) as source, pytest.raises(RuntimeError, match="reading thread stopped"):
        source.read()
