"""Colour spaces (HSV-full, Lab, YCrCb) bit-exact with OpenCV's 8-bit conversions, and RGB frames (issue 13)."""

from __future__ import annotations

from pathlib import Path

import cv2
import naive
import numpy as np
import pytest

import meanshift
from meanshift.features import get_features, quantize, quantize_into
from meanshift.synthetic import moving_target_sequence

NEW_SPACES = ("hsv-full", "lab", "ycrcb")
ALL_SPACES = ("bgr", "hue", "hue-sat", "gray", *NEW_SPACES)
SHARED_FRAME = Path(__file__).resolve().parents[2] / "shared" / "data" / "sequences" / "Crossing" / "img" / "0001.jpg"


def _random_frames():
    rng = np.random.default_rng(13)
    frames = [rng.integers(0, 256, (37, 53, 3), np.uint8)]
    # every grey level, saturated primaries and near-greys: the corner cases of the conversions
    levels = np.arange(256, dtype=np.uint8)
    frames.append(np.stack([*np.meshgrid(levels, levels[::-1], indexing="ij"), np.full((256, 256), 7, np.uint8)], -1))
    near_grey = rng.integers(0, 256, (64, 64, 1)) + rng.integers(-3, 4, (64, 64, 3))
    frames.append(np.clip(near_grey, 0, 255).astype(np.uint8))
    return frames


@pytest.mark.parametrize("name", NEW_SPACES)
@pytest.mark.parametrize("bins", [16, 7, 256])
def test_new_spaces_bin_exactly_as_opencv_conversion_then_binning(name, bins):
    space = get_features(name, bins=bins)
    assert space.n_bins == bins**3
    for frame in _random_frames():
        assert np.array_equal(quantize(frame, space), naive.bins_reference(frame, name, (bins,)))


@pytest.mark.skipif(not SHARED_FRAME.exists(), reason="../shared/data/sequences is absent")
@pytest.mark.parametrize("name", NEW_SPACES)
def test_new_spaces_on_a_shared_sequence_frame(name):
    frame = cv2.imread(str(SHARED_FRAME))
    space = get_features(name)
    assert np.array_equal(quantize(frame, space), naive.bins_reference(frame, name, (16,)))
    # a region with an offset and a step (the global search's grid), and the search region's conversion
    want = naive.bins_reference(frame, name, (16,))[7::3, 11::3][:40, :50]
    out = np.empty((40, 50), np.int32)
    quantize_into(frame, space, 11, 7, out, step=3)
    assert np.array_equal(out, want)
    region = quantize(frame, space, (11, 7, 50, 40))
    assert np.array_equal(region, naive.bins_reference(frame, name, (16,))[7:47, 11:61])


@pytest.mark.parametrize("name", ALL_SPACES)
def test_rgb_frames_bin_as_their_bgr_originals_without_a_copy(name):
    bgr = _random_frames()[0]
    rgb_view = bgr[..., ::-1]  # a strided view: the kernels read it in place
    space = get_features(name)
    assert np.array_equal(quantize(rgb_view, get_features(name, channel_order="rgb")), quantize(bgr, space))
    assert np.array_equal(quantize(np.ascontiguousarray(rgb_view), get_features(name, channel_order="rgb")),
                          quantize(bgr, space))


@pytest.mark.parametrize("name", [*ALL_SPACES, "auto"])
def test_a_tracker_on_rgb_frames_tracks_as_on_the_bgr_frames(name):
    frames = list(moving_target_sequence(n_frames=12, frame_size=(120, 160), base_size=(30, 24)))
    on_bgr, on_rgb = meanshift.Tracker(features=name), meanshift.Tracker(features=name, channel_order="rgb")
    on_bgr.init(*frames[0])
    on_rgb.init(frames[0][0][..., ::-1], frames[0][1])
    assert on_rgb.space.name == on_bgr.space.name
    for frame, _ in frames[1:]:
        assert on_rgb.update(frame[..., ::-1]) == on_bgr.update(frame)
    # Without saying so, RGB frames are read as BGR: red and blue swap, and hue is wrong.
    hue = get_features("hue")
    red = np.zeros((4, 4, 3), np.uint8)
    red[..., 0] = 255  # pure red in RGB order
    assert quantize(red, get_features("hue", channel_order="rgb"))[0, 0] == 0
    assert quantize(red, hue)[0, 0] != 0  # read as BGR: blue


@pytest.mark.parametrize("name", NEW_SPACES)
@pytest.mark.parametrize("size", [(120, 160), (480, 640)])  # the larger target is read on a grid (step 3)
def test_the_model_of_a_new_space_is_the_kernel_histogram_of_opencv_bins(name, size):
    frames = list(moving_target_sequence(n_frames=3, frame_size=size, base_size=(size[1] // 5, size[0] // 5)))
    frame, box = frames[0]
    tracker = meanshift.Tracker(features=name, background_weighting=False)
    tracker.init(frame, box)
    r = tracker.region
    assert r.step == (1 if size[0] < 200 else 3)  # 128 x 96 pixels, ~1,024 samples
    x, y, w, h = box
    grid = naive.bins_reference(frame, name, (16,))[r.y0 : r.y1 : r.step, r.x0 : r.x1 : r.step]
    want, _ = naive.kernel_histogram(grid, r.x0, r.y0, x + (w - 1) / 2, y + (h - 1) / 2, w / 2, h / 2,
                                     meanshift.get_kernel("epanechnikov"), 16**3, step=r.step)
    assert np.allclose(tracker.q, want, atol=1e-12)
    on_rgb = meanshift.Tracker(features=name, background_weighting=False, channel_order="rgb")
    on_rgb.init(frame[..., ::-1], box)
    for later, _ in frames[1:]:
        assert on_rgb.update(later[..., ::-1]) == tracker.update(later)


def test_feature_spaces_lists_every_accepted_name_and_auto():
    names = meanshift.feature_spaces()
    assert names[-1] == "auto" and {"hue", "hue-sat", "bgr", "gray", "hsv-full", "lab", "ycrcb"} <= set(names)
    for name in names:
        meanshift.Tracker(features=name)  # each accepted
    from meanshift.features import AUTO_CANDIDATES

    assert set(NEW_SPACES) <= {candidate for candidate, _ in AUTO_CANDIDATES}


def test_channel_order_errors_name_the_value_and_the_choices():
    with pytest.raises(ValueError, match=r"channel_order must be 'bgr' .* or 'rgb' .*got 'rbg'"):
        meanshift.Tracker(channel_order="rbg")
