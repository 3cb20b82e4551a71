"""``mean_shift`` / ``cam_shift`` against ``cv2.meanShift`` / ``cv2.CamShift`` on random and real back-projections."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

import meanshift

CRITERIA = [
    (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 1.0),
    (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 20, 0.5),  # eps^2 rounds to 0: never converges early
    (cv2.TERM_CRITERIA_COUNT, 5, 0.0),
    (cv2.TERM_CRITERIA_EPS, 0, 2.0),
]


def random_blobs(rng, shape=(240, 320), dtype=np.uint8):
    prob = np.zeros(shape, np.uint8)
    for _ in range(rng.integers(1, 5)):
        center = (int(rng.integers(0, shape[1])), int(rng.integers(0, shape[0])))
        axes = (int(rng.integers(3, 60)), int(rng.integers(3, 60)))
        cv2.ellipse(prob, center, axes, float(rng.uniform(0, 180)), 0, 360, int(rng.integers(30, 256)), -1)
    prob = cv2.GaussianBlur(prob, (0, 0), float(rng.uniform(0.5, 6)))
    noise = rng.random(shape) < 0.02
    prob[noise] = rng.integers(0, 256, int(noise.sum()))
    if dtype == np.float32:
        return prob.astype(np.float32) * rng.uniform(0.001, 1.0)
    return prob


def random_window(rng, shape):
    h, w = shape
    while True:
        win = (int(rng.integers(-30, w)), int(rng.integers(-30, h)),
               int(rng.integers(1, 120)), int(rng.integers(1, 120)))
        if win[0] + win[2] > 0 and win[1] + win[3] > 0:  # not entirely outside (we raise there; see below)
            return win


def assert_same_as_opencv(prob, window, criteria, report):
    want_iters, want_window = cv2.meanShift(prob, window, criteria)
    got_iters, got_window = meanshift.mean_shift(prob, window, criteria)
    assert (got_iters, got_window) == (want_iters, tuple(want_window)), (window, criteria)
    want_rect, want_window = cv2.CamShift(prob, window, criteria)
    got_rect, got_window = meanshift.cam_shift(prob, window, criteria)
    if want_rect[1] == (0.0, 0.0) and want_rect[0] == (0.0, 0.0):
        report["empty"] += 1  # OpenCV's empty-box failure: we deliberately differ (tested separately)
        return
    assert got_window == tuple(want_window), (window, criteria)
    center_err = max(abs(got_rect[0][0] - want_rect[0][0]), abs(got_rect[0][1] - want_rect[0][1]))
    size_err = max(abs(got_rect[1][0] - want_rect[1][0]), abs(got_rect[1][1] - want_rect[1][1]))
    angle_err = abs(got_rect[2] - want_rect[2]) % 180
    angle_err = min(angle_err, 180 - angle_err)
    assert center_err <= 1.0 and size_err <= 1.0 and angle_err <= 1.0, (window, got_rect, want_rect)
    report["max_px"] = max(report["max_px"], center_err, size_err)
    report["max_deg"] = max(report["max_deg"], angle_err)
    report["compared"] += 1


@pytest.mark.parametrize("dtype", [np.uint8, np.float32])
def test_random_blobs_agree_with_opencv(dtype):
    rng = np.random.default_rng(7 if dtype == np.uint8 else 8)
    report = {"compared": 0, "empty": 0, "max_px": 0.0, "max_deg": 0.0}
    for i in range(150):
        prob = random_blobs(rng, dtype=dtype)
        assert_same_as_opencv(prob, random_window(rng, prob.shape), CRITERIA[i % len(CRITERIA)], report)
    assert report["compared"] >= 100, report
    print(f"\n{dtype.__name__}: {report}")


def hue_backprojection(frame, box):
    hsv = cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)
    mask = cv2.inRange(hsv, (0, 60, 32), (180, 255, 255))
    x, y, w, h = box
    hist = cv2.calcHist([hsv[y : y + h, x : x + w]], [0], mask[y : y + h, x : x + w], [16], [0, 180])
    cv2.normalize(hist, hist, 0, 255, cv2.NORM_MINMAX)
    return cv2.calcBackProject([hsv], [0], hist, [0, 180], 1) & mask


def test_real_backprojections_agree_with_opencv(sequences_dir):
    rng = np.random.default_rng(3)
    report = {"compared": 0, "empty": 0, "max_px": 0.0, "max_deg": 0.0}
    names = [d.name for d in sorted(sequences_dir.iterdir()) if (d / "img").is_dir()]
    for name in names:
        gt = np.loadtxt(sequences_dir / name / "groundtruth_rect.txt", delimiter=",")
        frames = sorted((sequences_dir / name / "img").glob("*.jpg"))
        first = cv2.imread(str(frames[0]), cv2.IMREAD_COLOR)
        box = tuple(max(int(v), 0) for v in gt[0])
        for index in rng.choice(len(frames), size=25, replace=False):
            frame = cv2.imread(str(frames[index]), cv2.IMREAD_COLOR)
            prob = hue_backprojection(frame, box) if index % 2 else hue_backprojection(first, box)
            x, y, w, h = (int(v) for v in gt[index])
            window = (x + int(rng.integers(-15, 16)), y + int(rng.integers(-15, 16)), max(w, 1), max(h, 1))
            assert_same_as_opencv(prob, window, CRITERIA[index % 2], report)
    assert report["compared"] >= 150, report
    print(f"\nreal: {report}")


def test_deliberate_differences_from_opencv():
    prob = np.zeros((100, 100), np.uint8)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 10, 1.0)
    # No weight at all: OpenCV returns an all-zero box and a window grown by 10 px per side.
    (center, size, angle), window = meanshift.cam_shift(prob, (20, 30, 10, 12), criteria)
    assert window == (20, 30, 10, 12)
    assert center == (25.0, 36.0) and size == (10.0, 12.0) and angle == 0.0
    cv_rect, cv_window = cv2.CamShift(prob, (20, 30, 10, 12), criteria)
    assert cv_rect[1] == (0.0, 0.0) and tuple(cv_window) == (10, 20, 30, 32)
    # A window entirely outside the image: OpenCV teleports it to the centre as 1x1; we raise.
    assert tuple(cv2.meanShift(prob, (200, 200, 10, 10), criteria)[1]) == (50, 50, 1, 1)
    with pytest.raises(ValueError, match="entirely outside"):
        meanshift.mean_shift(prob, (200, 200, 10, 10), criteria)


@pytest.mark.parametrize(
    "prob,window,match",
    [
        (np.zeros((10, 10, 3), np.uint8), (0, 0, 5, 5), "single-channel"),
        (np.zeros((0, 10), np.uint8), (0, 0, 5, 5), "empty"),
        (np.zeros((10, 10), np.int64), (0, 0, 5, 5), "dtype"),
        (np.zeros((10, 10), np.uint8), (0, 0, 0, 5), "positive width"),
        (np.zeros((10, 10), np.uint8), (0, 0, 5), "four integers"),
        (np.full((10, 10), np.nan, np.float32), (0, 0, 5, 5), "NaN"),
    ],
)
def test_bad_input_raises_value_error(prob, window, match):
    with pytest.raises(ValueError, match=match):
        meanshift.cam_shift(prob, window, (3, 10, 1.0))
