"""OTB-layout dataset loading: ground-truth parsing, frame listing, lazy frames, clear errors."""

from __future__ import annotations

import csv
from pathlib import Path

import cv2
import numpy as np
import pytest

from meanshift.evaluation.datasets import (
    DatasetError,
    is_sequence_dir,
    list_frames,
    load_dataset,
    load_sequence,
    read_frame,
    read_groundtruth,
)

SHARED_SEQUENCES = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "sequences"


def make_sequence(root: Path, name: str, boxes, *, n_frames: int | None = None, gray: bool = False,
                  sep: str = ",") -> Path:
    """Write a tiny OTB sequence: frame i is filled with value 10*i so that order is checkable."""
    seq = root / name
    (seq / "img").mkdir(parents=True)
    n = len(boxes) if n_frames is None else n_frames
    for i in range(n):
        shape = (12, 16) if gray else (12, 16, 3)
        cv2.imwrite(str(seq / "img" / f"{i + 1:04d}.png"), np.full(shape, 10 * i, np.uint8))
    (seq / "groundtruth_rect.txt").write_text("\n".join(sep.join(str(v) for v in b) for b in boxes) + "\n")
    return seq


def test_read_groundtruth_mixed_separators(tmp_path):
    p = tmp_path / "gt.txt"
    p.write_text("1,2,3,4\n5\t6\t7\t8\n\n9 10  11 12\r\n13, 14,\t15 ,16\n1.5,2.25,NaN,4\n")
    gt = read_groundtruth(p)
    assert gt.shape == (5, 4)
    np.testing.assert_array_equal(gt[:4], [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]])
    assert gt[4, 0] == 1.5 and gt[4, 1] == 2.25 and np.isnan(gt[4, 2])


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("1,2,3,4\n1,2,3\n", r"line 2: expected 4 numbers"),
        ("1,2,3,4,5,6,7,8\n", r"VOT polygon"),
        ("1,2,three,4\n", r"line 1: not a number"),
        ("\n\n", r"holds no boxes"),
    ],
)
def test_read_groundtruth_errors_name_file_and_line(tmp_path, text, match):
    p = tmp_path / "groundtruth_rect.txt"
    p.write_text(text)
    with pytest.raises(DatasetError, match=match) as info:
        read_groundtruth(p)
    assert "groundtruth_rect.txt" in str(info.value)


def test_read_groundtruth_missing_file(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        read_groundtruth(tmp_path / "nope.txt")


def test_list_frames_natural_order_and_filters(tmp_path):
    for name in ["10.jpg", "2.jpg", "1.JPG", "notes.txt", "3.png"]:
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in list_frames(tmp_path)] == ["1.JPG", "2.jpg", "3.png", "10.jpg"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="holds no image"):
        list_frames(tmp_path / "empty")
    with pytest.raises(DatasetError, match="does not exist"):
        list_frames(tmp_path / "missing")


def test_load_sequence_and_lazy_frames(tmp_path):
    seq_dir = make_sequence(tmp_path, "Toy", [(1, 2, 3, 4), (2, 3, 4, 5), (3, 4, 5, 6)], sep="\t")
    seq = load_sequence(seq_dir)
    assert seq.name == "Toy" and len(seq) == 3
    assert seq.init_box == (1.0, 2.0, 3.0, 4.0)
    frames = seq.frames()
    assert not isinstance(frames, list)  # a generator: nothing decoded yet
    values = [int(f[0, 0, 0]) for f in frames]
    assert values == [0, 10, 20]
    assert seq.frame(1).shape == (12, 16, 3)
    short = seq.head(2)
    assert len(short) == 2 and short.groundtruth.shape == (2, 4) and len(seq) == 3
    assert len(load_sequence(seq_dir, max_frames=1)) == 1


def test_grayscale_frames_come_as_bgr_by_default(tmp_path):
    seq = load_sequence(make_sequence(tmp_path, "G", [(1, 1, 2, 2)] * 2, gray=True))
    f = seq.frame(1)
    assert f.shape == (12, 16, 3) and f.dtype == np.uint8
    assert seq.frame(1, color="gray").shape == (12, 16)
    with pytest.raises(ValueError, match="color="):
        seq.frame(0, color="rgb")


def test_frame_count_mismatch_is_an_error(tmp_path):
    seq_dir = make_sequence(tmp_path, "Off", [(1, 1, 2, 2)] * 3, n_frames=5)
    with pytest.raises(DatasetError, match="5 frames .* but 3 boxes"):
        load_sequence(seq_dir)


def test_undecodable_frame_is_an_error(tmp_path):
    seq_dir = make_sequence(tmp_path, "Bad", [(1, 1, 2, 2)] * 2)
    (seq_dir / "img" / "0002.png").write_bytes(b"not an image")
    seq = load_sequence(seq_dir)
    with pytest.raises(DatasetError, match="cannot decode frame .*0002.png"):
        list(seq.frames())
    with pytest.raises(DatasetError, match="cannot decode"):
        read_frame(seq_dir / "img" / "0002.png")


def test_load_dataset_lists_selects_and_reports(tmp_path):
    make_sequence(tmp_path, "beta", [(1, 1, 2, 2)] * 2)
    make_sequence(tmp_path, "Alpha", [(1, 1, 2, 2)] * 3)
    (tmp_path / "not_a_sequence").mkdir()
    seqs = load_dataset(tmp_path)
    assert [s.name for s in seqs] == ["Alpha", "beta"]
    assert [s.name for s in load_dataset(tmp_path, names=["beta"])] == ["beta"]
    assert [len(s) for s in load_dataset(tmp_path, max_frames=2)] == [2, 2]
    # a sequence folder given directly is a dataset of one
    assert [s.name for s in load_dataset(tmp_path / "Alpha")] == ["Alpha"]
    with pytest.raises(DatasetError, match="no sequence named gamma .* available: Alpha, beta"):
        load_dataset(tmp_path, names=["gamma"])
    with pytest.raises(DatasetError, match="holds no sequence"):
        load_dataset(tmp_path / "not_a_sequence")
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(tmp_path / "nowhere")
    assert not is_sequence_dir(tmp_path / "not_a_sequence")


def test_missing_groundtruth_is_named(tmp_path):
    (tmp_path / "S" / "img").mkdir(parents=True)
    with pytest.raises(DatasetError, match="no groundtruth_rect.txt"):
        load_sequence(tmp_path / "S")


@pytest.mark.skipif(not SHARED_SEQUENCES.is_dir(), reason="shared sequences not present")
def test_shared_sequences_load():
    seqs = load_dataset(SHARED_SEQUENCES)
    by_name = {s.name: s for s in seqs}
    # The set grows: follow its manifest (name, frame count, size, channels) rather than pinning it.
    with open(SHARED_SEQUENCES / "manifest.tsv", encoding="utf-8") as handle:
        manifest = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(by_name) == sorted(row["name"] for row in manifest)
    for row in manifest:
        seq = by_name[row["name"]]
        assert len(seq) == int(row["frames"]), row["name"]
        assert seq.frame(0).shape[:2] == (int(row["height"]), int(row["width"])), row["name"]
    for s in seqs:
        assert np.all(s.groundtruth[:, 2:] > 0), s.name
    jumping = by_name["Jumping"].frame(0)
    assert jumping.shape == (288, 352, 3)
    assert np.array_equal(jumping[..., 0], jumping[..., 1])  # grayscale footage, three equal channels


# ------------------------------------------------------------------ sequences stored as a video


def make_video_sequence(root: Path, name: str, n_frames: int, *, n_boxes: int | None = None,
                        video_name: str = "video.avi", absent: tuple[int, ...] = ()) -> Path:
    """Write a tiny video sequence: frame i is a flat grey of 20*i, so the order is checkable.

    MJPG in AVI: every OpenCV build writes it. ``absent`` lists 0-based frames whose box is 0,0,0,0.
    """
    seq = root / name
    seq.mkdir(parents=True)
    writer = cv2.VideoWriter(str(seq / video_name), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert writer.isOpened()
    for i in range(n_frames):
        writer.write(np.full((48, 64, 3), 20 * i, np.uint8))
    writer.release()
    n_boxes = n_frames if n_boxes is None else n_boxes
    boxes = ["0,0,0,0" if i in absent else f"{10 + i},12,20,16" for i in range(n_boxes)]
    (seq / "groundtruth_rect.txt").write_text("\n".join(boxes) + "\n")
    return seq


def test_a_video_sequence_decodes_its_frames_in_order(tmp_path):
    seq = load_sequence(make_video_sequence(tmp_path, "clip", 6))
    assert seq.video is not None and seq.video.name == "video.avi" and seq.frame_paths == ()
    assert len(seq) == 6
    frames = list(seq.frames())
    assert [f.shape for f in frames] == [(48, 64, 3)] * 6
    np.testing.assert_allclose([f.mean() for f in frames], [20 * i for i in range(6)], atol=3)
    # random access decodes forward to the frame asked for: the same frame as the pass gives
    for index in (0, 3, 5):
        np.testing.assert_array_equal(seq.frame(index), frames[index])
    assert seq.frame(2, color="gray").shape == (48, 64)
    with pytest.raises(IndexError, match="frame 6 out of range"):
        seq.frame(6)
    assert [f.mean() for f in load_sequence(seq.path, max_frames=2).frames()] == [f.mean() for f in frames[:2]]


def test_a_dataset_folder_mixes_image_and_video_sequences(tmp_path):
    make_sequence(tmp_path, "images", [(1, 1, 2, 2)] * 3)
    make_video_sequence(tmp_path, "clip", 4, video_name="video.mp4" if _writes_mp4() else "video.avi")
    seqs = load_dataset(tmp_path)
    assert [(s.name, len(s), s.video is not None) for s in seqs] == [("clip", 4, True), ("images", 3, False)]
    assert is_sequence_dir(tmp_path / "clip")


def test_several_dataset_folders_are_pooled_and_names_must_differ(tmp_path):
    make_sequence(tmp_path / "a", "one", [(1, 1, 2, 2)] * 2)
    make_video_sequence(tmp_path / "b", "two", 3)
    assert [s.name for s in load_dataset([tmp_path / "a", tmp_path / "b"])] == ["one", "two"]
    make_sequence(tmp_path / "c", "two", [(1, 1, 2, 2)] * 2)
    with pytest.raises(DatasetError, match="two sequences are named two"):
        load_dataset([tmp_path / "b", tmp_path / "c"])


def _writes_mp4() -> bool:
    return cv2.VideoWriter_fourcc(*"mp4v") != 0


@pytest.mark.parametrize(("n_frames", "n_boxes"), [(5, 7), (7, 5)])
def test_a_video_and_its_groundtruth_must_agree_on_the_frame_count(tmp_path, n_frames, n_boxes):
    seq_dir = make_video_sequence(tmp_path, "clip", n_frames, n_boxes=n_boxes)
    with pytest.raises(DatasetError, match=f"video.avi holds {n_frames} frames but groundtruth_rect.txt holds "
                                           f"{n_boxes} boxes"):
        load_sequence(seq_dir)


def test_a_video_shorter_than_its_declared_count_fails_at_the_frame_where_it_ends(tmp_path, monkeypatch):
    # A container that does not declare its count (or lies, as a truncated fast-start MP4 does) is only
    # caught by decoding: the error names both counts at the frame where the video ends.
    import meanshift.evaluation.datasets as datasets

    monkeypatch.setattr(datasets, "count_video_frames", lambda path: None)
    short = load_sequence(make_video_sequence(tmp_path, "short", 4, n_boxes=6))
    with pytest.raises(DatasetError, match="video.avi decodes to 4 frames but groundtruth_rect.txt holds 6 boxes"):
        list(short.frames())
    long = load_sequence(make_video_sequence(tmp_path, "long", 6, n_boxes=4))
    with pytest.raises(DatasetError, match="decodes to more than 4 frames but groundtruth_rect.txt holds 4"):
        list(long.frames())
    assert len(list(long.head(3).frames())) == 3  # a cut sequence does not look past its cut


def test_a_truncated_video_still_gives_its_frames_before_the_error_in_an_evaluation(tmp_path, monkeypatch):
    import meanshift.evaluation.datasets as datasets
    from meanshift.evaluation import evaluate

    monkeypatch.setattr(datasets, "count_video_frames", lambda path: None)
    make_video_sequence(tmp_path, "short", 5, n_boxes=8)
    make_sequence(tmp_path, "whole", [(4, 4, 6, 6)] * 4)
    ev = evaluate(tmp_path, ["meanshift-camshift"], progress=False, plots=False)
    run = ev.runs["short", "meanshift-camshift"]
    assert run.error is not None and "frame 6 (reading it)" in run.error and "decodes to 5 frames" in run.error
    assert np.all(np.isfinite(run.boxes[:5])) and np.all(np.isnan(run.boxes[5:]))
    assert ev.runs["whole", "meanshift-camshift"].error is None  # the other sequence is not lost


@pytest.mark.parametrize(
    ("content", "match"),
    [(b"", r"video.avi is an empty file \(0 bytes\)"),
     (b"RIFF\x00\x00\x00\x00AVI garbage" * 10, r"cannot open video .*video.avi: not a video OpenCV can decode")],
)
def test_an_empty_or_unreadable_video_is_named(tmp_path, content, match):
    seq_dir = make_video_sequence(tmp_path, "clip", 3)
    (seq_dir / "video.avi").write_bytes(content)
    with pytest.raises(DatasetError, match=match):
        load_sequence(seq_dir)


def test_a_truncated_video_is_named(tmp_path):
    seq_dir = make_video_sequence(tmp_path, "clip", 8)
    data = (seq_dir / "video.avi").read_bytes()
    (seq_dir / "video.avi").write_bytes(data[: len(data) // 2])
    with pytest.raises(DatasetError, match=r"video\.avi"):
        list(load_sequence(seq_dir).frames())


def test_a_folder_with_both_frames_and_a_video_is_ambiguous(tmp_path):
    seq_dir = make_video_sequence(tmp_path, "clip", 3)
    (seq_dir / "img").mkdir()
    with pytest.raises(DatasetError, match="holds both img/ and video.avi"):
        load_sequence(seq_dir)


def test_frames_without_a_target_are_left_out_of_the_scores(tmp_path):
    from meanshift.evaluation import evaluate

    (tmp_path / "absent").mkdir()
    seq_dir = make_video_sequence(tmp_path / "absent", "clip", 6, absent=(2, 3))
    gt_path = seq_dir / "groundtruth_rect.txt"
    lines = gt_path.read_text().splitlines()
    lines[3] = "NaN,NaN,NaN,NaN"
    gt_path.write_text("\n".join(lines) + "\n")
    ev = evaluate(tmp_path / "absent", ["meanshift-camshift"], progress=False, plots=False)
    score = ev.scores["clip", "meanshift-camshift"]
    assert score.n_valid == 4
    assert score.valid.tolist() == [True, True, False, False, True, True]


def test_a_sequence_must_hold_a_box_on_its_first_frame(tmp_path):
    seq_dir = make_video_sequence(tmp_path, "clip", 3, absent=(0,))
    with pytest.raises(DatasetError, match="line 1 of groundtruth_rect.txt .* marks the target absent"):
        load_sequence(seq_dir)
