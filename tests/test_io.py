"""Sources, writers, box files and drawing in meanshift.io (no window needed)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from meanshift.apps.live import has_display
from meanshift.io import (
    CSV_COLUMNS,
    BoxCsvWriter,
    FpsMeter,
    FrameSource,
    VideoError,
    VideoWriter,
    check_box,
    draw_box,
    draw_result,
    format_box,
    initial_box_for,
    is_camera_index,
    open_source,
    parse_box,
    partial_path,
    quiet_opencv,
    read_box_file,
    target_color,
    wrap_text,
)
from meanshift.synthetic import moving_target_sequence


def write_clip(path: Path, n_frames: int = 12, size=(120, 160), fourcc: str | None = None) -> list:
    """Write a synthetic clip with OpenCV; return its ground-truth boxes."""
    boxes = []
    with VideoWriter(path, fps=25, fourcc=fourcc) as writer:
        for frame, box in moving_target_sequence(n_frames, size, base_size=(30, 24)):
            writer.write(frame)
            boxes.append(box)
    return boxes


@pytest.fixture
def clip(tmp_path) -> Path:
    path = tmp_path / "clip.mp4"
    write_clip(path)
    return path


def test_video_file_source_yields_every_frame_as_bgr_uint8(clip):
    with open_source(clip) as source:
        assert source.kind == "file"
        assert source.frame_count == 12
        assert source.fps == pytest.approx(25)
        frames = list(source)
    assert len(frames) == 12
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 for f in frames)
    assert source.read() is None  # closed and exhausted: None, not an exception


def test_avi_round_trip(tmp_path):
    path = tmp_path / "clip.avi"
    write_clip(path, n_frames=7)
    with open_source(path) as source:
        assert sum(1 for _ in source) == 7


def test_peek_does_not_consume(clip):
    with open_source(clip) as source:
        first = source.peek()
        assert source.peek() is first
        assert np.array_equal(source.read(), first)
        assert sum(1 for _ in source) == 11


def test_image_folder_in_otb_layout_and_flat(tmp_path):
    frames = [f for f, _ in moving_target_sequence(5, (60, 80), base_size=(20, 16))]
    otb = tmp_path / "Seq"
    (otb / "img").mkdir(parents=True)
    for i, frame in enumerate(frames):
        # Grey files: every source still yields 3-channel BGR frames.
        cv2.imwrite(str(otb / "img" / f"{i + 1:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    (otb / "groundtruth_rect.txt").write_text("10,12,20,16\n11,12,20,16\n")
    with open_source(otb) as source:
        assert source.kind == "images" and source.frame_count == 5
        got = list(source)
    assert len(got) == 5 and all(f.shape == (60, 80, 3) for f in got)
    assert initial_box_for(otb) == ((10.0, 12.0, 20.0, 16.0), otb / "groundtruth_rect.txt")

    flat = tmp_path / "flat"
    flat.mkdir()
    for i, frame in enumerate(frames[:3]):
        cv2.imwrite(str(flat / f"f{i}.png"), frame)
    with open_source(flat) as source:
        got = list(source)
    assert len(got) == 3 and np.array_equal(got[0], frames[0])  # PNG is lossless


def test_image_folder_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(VideoError, match="no images in folder"):
        open_source(empty)
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    cv2.imwrite(str(mixed / "0001.png"), np.zeros((20, 30, 3), np.uint8))
    cv2.imwrite(str(mixed / "0002.png"), np.zeros((21, 30, 3), np.uint8))
    with open_source(mixed) as source, pytest.raises(VideoError, match="0002.png is 30x21"):
        list(source)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "0001.jpg").write_bytes(b"not a jpeg")
    with open_source(broken) as source, pytest.raises(VideoError, match="cannot decode image"):
        source.read()


def test_missing_corrupt_and_truncated_files(tmp_path, clip):
    with pytest.raises(VideoError, match="no such file or folder"):
        open_source(tmp_path / "missing.mp4")
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with pytest.raises(VideoError, match="cannot open video .*garbage.mp4"):
        open_source(garbage)
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(clip.read_bytes()[: clip.stat().st_size // 2])  # mp4 index is at the end
    with pytest.raises(VideoError, match="truncated.mp4"):
        open_source(truncated)
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")  # not a corrupt file: nothing at all
    for prefetch in (False, True):
        with pytest.raises(VideoError, match=r"^cannot open video .*empty.mp4: empty file \(0 bytes\)$"):
            open_source(empty, prefetch=prefetch)


def test_unopenable_camera_index():
    assert is_camera_index("0") and is_camera_index(3) and not is_camera_index("clip.mp4")
    with pytest.raises(VideoError, match="cannot open camera 97"):
        open_source("97")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,2,3,4", (1.0, 2.0, 3.0, 4.0)), (" 1.5, 2 ,3,4 ", (1.5, 2.0, 3.0, 4.0)), ("1\t2\t3\t4", (1, 2, 3, 4)),
     ("1 2 3 4", (1, 2, 3, 4)), ("-5,-5,10,10", (-5, -5, 10, 10))],
)
def test_parse_box(text, expected):
    assert parse_box(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("1,2,3", "malformed box '1,2,3'"), ("a,b,c,d", "malformed"), ("1,2,3,4,5", "malformed"),
     ("1,2,0,4", "width or height <= 0"), ("1,2,3,-4", "width or height <= 0"), ("", "malformed"),
     ("1,2,nan,4", "malformed")],
)
def test_parse_box_errors_say_what_is_expected(text, message):
    with pytest.raises(ValueError, match=message) as info:
        parse_box(text)
    assert "x,y,w,h" in str(info.value)


def test_box_files(tmp_path):
    path = tmp_path / "clip.box"
    path.write_text("# target\n\n12,34,56,78\n1,1,1,1\n")
    assert read_box_file(path) == (12.0, 34.0, 56.0, 78.0)
    assert parse_box(format_box(read_box_file(path))) == (12.0, 34.0, 56.0, 78.0)
    (tmp_path / "empty.box").write_text("\n")
    with pytest.raises(VideoError, match="is empty"):
        read_box_file(tmp_path / "empty.box")
    with pytest.raises(VideoError, match="no such box file"):
        read_box_file(tmp_path / "nope.box")
    (tmp_path / "bad.box").write_text("1,2\n")
    with pytest.raises(ValueError, match="bad.box: malformed box"):
        read_box_file(tmp_path / "bad.box")
    video = tmp_path / "clip.mp4"
    assert initial_box_for(video) == ((12.0, 34.0, 56.0, 78.0), path)
    assert initial_box_for(tmp_path / "other.mp4") is None
    assert initial_box_for("0") is None


def test_check_box_clips_and_rejects():
    assert check_box((10, 20, 30, 40), (240, 320, 3)) == (10, 20, 30, 40)
    assert check_box((300, 230, 40, 40), (240, 320)) == (300, 230, 20, 10)
    for box in [(400, 300, 20, 20), (-50, 10, 40, 40), (0, 239.5, 10, 10)]:
        with pytest.raises(ValueError, match="lies outside the 320x240 frame"):
            check_box(box, (240, 320, 3))


def test_partial_path_keeps_the_extension_and_hides_the_file():
    assert partial_path(Path("out/clip.mp4")) == Path("out/.clip.partial.mp4")
    assert partial_path("a.csv").name == ".a.partial.csv"


def test_video_writer_opens_lazily_and_checks_sizes(tmp_path):
    writer = VideoWriter(tmp_path / "out.avi", fps=10)
    assert not (tmp_path / "out.avi").exists()  # nothing until the first frame gives the size
    writer.write(np.zeros((40, 50, 3), np.uint8))
    writer.write(np.zeros((40, 50), np.uint8))  # grey frames are accepted
    with pytest.raises(VideoError, match="frame size changed"):
        writer.write(np.zeros((41, 50, 3), np.uint8))
    writer.close()
    cap = cv2.VideoCapture(str(tmp_path / "out.avi"))
    assert cap.isOpened() and int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 2
    cap.release()
    with pytest.raises(VideoError, match="cannot write video"):
        VideoWriter(tmp_path / "out.nosuchformat").write(np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(VideoError, match="does not exist"):
        VideoWriter(tmp_path / "missing" / "out.mp4").write(np.zeros((8, 8, 3), np.uint8))


class _Result:
    def __init__(self, ok=True, box=(40.0, 30.0, 40.0, 20.0), angle=30.0, score=0.87):
        self.ok, self.box, self.score = ok, box, score
        x, y, w, h = box
        self.rotated = ((x + (w - 1) / 2, y + (h - 1) / 2), (w, h), angle)

    @property
    def center(self):
        return self.rotated[0]


def test_box_csv_rows_are_streamed(tmp_path):
    path = tmp_path / "boxes.csv"
    writer = BoxCsvWriter(path)
    writer.write_box(0, 0, (10, 20, 30, 40))
    # Line-buffered: another program sees the row before the file is closed.
    first_row = "0,0,10.00,20.00,30.00,40.00,24.50,39.50,0.00,,1"
    assert path.read_text().splitlines() == [",".join(CSV_COLUMNS), first_row]
    writer.write_result(1, 0, _Result())
    writer.write_result(2, 3, _Result(ok=False))
    writer.close()
    lines = path.read_text().splitlines()
    assert lines[2] == "1,0,40.00,30.00,40.00,20.00,59.50,39.50,30.00,0.8700,1"
    assert lines[3].startswith("2,3,") and lines[3].endswith(",0")
    memory = io.StringIO()
    BoxCsvWriter(memory).write_box(5, 1, (1, 2, 3, 4))
    assert memory.getvalue().count("\n") == 2


def test_drawing_puts_the_rotated_box_in_the_target_colour():
    img = np.zeros((100, 120, 3), np.uint8)
    result = _Result()
    draw_result(img, result, target_color(0))
    color_pixels = np.all(img == target_color(0), axis=2)
    ys, xs = np.nonzero(color_pixels)
    assert color_pixels.sum() > 80
    # The rotated box's corners reach beyond the axis-aligned box's height (it is tilted by 30°).
    corners = cv2.boxPoints(result.rotated)
    assert ys.max() >= corners[:, 1].max() - 2 and ys.min() <= corners[:, 1].min() + 12
    assert target_color(0) != target_color(1)
    lost = np.zeros((100, 120, 3), np.uint8)
    draw_result(lost, _Result(ok=False), target_color(1))
    assert np.all(lost == target_color(1), axis=2).sum() > 40
    boxed = draw_box(np.zeros((50, 50, 3), np.uint8), (10, 10, 20, 20), (0, 0, 255), thickness=1)
    assert boxed[10, 15].tolist() == [0, 0, 255] and boxed[20, 20].tolist() == [0, 0, 0]


def test_the_selection_hint_fits_a_352_pixel_wide_frame(monkeypatch):
    """The hint drawn while the user selects the target ran off the right edge of a CIF (352x288) frame."""
    import meanshift.apps.live as live

    shown = []
    monkeypatch.setattr(cv2, "selectROI", lambda window, view, **kw: shown.append(view) or (0, 0, 0, 0))
    frame = np.zeros((288, 352, 3), np.uint8)
    assert live.select_box("select", frame) is None and not frame.any()  # drawn on a copy
    (view,) = shown
    text_rows = np.flatnonzero(view.any(axis=(1, 2)))
    text_columns = np.flatnonzero(view.any(axis=(0, 2)))
    assert text_columns.max() < 352 - 4, "the hint reaches the right edge: it is cut off"
    assert text_rows.max() > 24  # on a second line, not dropped
    # Every word is drawn: the lines, drawn one under the other, are the hint's words in order.
    lines = wrap_text(live.SELECT_HINT, 352 - 16)
    assert " ".join(lines).split() == live.SELECT_HINT.split() and len(lines) == 2


def test_fps_meter_with_a_fake_clock():
    times = iter([0.0, 0.1, 0.2, 0.3])
    meter = FpsMeter(smoothing=0.0, clock=lambda: next(times))
    assert meter.tick() == 0.0
    assert meter.tick() == pytest.approx(10.0)
    meter.reset()
    assert meter.tick() == pytest.approx(10.0)  # the gap after reset is not counted
    assert meter.tick() == pytest.approx(10.0)


def test_has_display_follows_the_environment(monkeypatch):
    monkeypatch.setattr("sys.platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not has_display()
    monkeypatch.setenv("DISPLAY", ":5")
    assert has_display()


def test_frame_checks_convert_what_opencv_may_return(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    cv2.imwrite(str(folder / "a.png"), np.full((10, 12), 65535, np.uint16))  # 16-bit grey
    with open_source(folder) as source:
        frame = source.read()
    assert frame.dtype == np.uint8 and frame.shape == (10, 12, 3)
    assert isinstance(source, FrameSource)


def test_quiet_opencv_restores_the_log_level(monkeypatch):
    logging = cv2.utils.logging
    monkeypatch.delenv("OPENCV_LOG_LEVEL", raising=False)
    before = logging.getLogLevel()
    with quiet_opencv():
        assert logging.getLogLevel() == logging.LOG_LEVEL_SILENT
        with pytest.raises(VideoError, match="cannot open camera 96"):
            open_source(96)
    assert logging.getLogLevel() == before
    assert "OPENCV_LOG_LEVEL" not in os.environ


class _ResizingCapture:
    """Stands in for ``cv2.VideoCapture`` of a camera whose resolution changes after three frames."""

    def __init__(self, target):
        self.index = 0

    def isOpened(self):  # noqa: N802 (cv2's name)
        return True

    def read(self):
        self.index += 1
        return True, np.zeros((48, 64, 3) if self.index <= 3 else (60, 80, 3), np.uint8)

    def get(self, prop):
        return 30.0 if prop == cv2.CAP_PROP_FPS else -1.0

    def set(self, prop, value):
        return True

    def release(self):
        pass


def test_a_capture_whose_resolution_changes_stops_with_a_message(monkeypatch):
    # FFmpeg scales a file's frames to the first one's size when its stream changes resolution (an
    # MPEG-TS made of two clips decodes at one size); a camera backend may not, and the tracker's box
    # would be meaningless on the new frames.
    monkeypatch.setattr(cv2, "VideoCapture", _ResizingCapture)
    with open_source(0) as source:
        assert [source.read().shape for _ in range(3)] == [(48, 64, 3)] * 3
        with pytest.raises(VideoError, match="0 frame 3 is 80x60, the frames before were 64x48"):
            source.read()
