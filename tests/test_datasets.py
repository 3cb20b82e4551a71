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
