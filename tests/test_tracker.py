"""The tracker: whole iteration against the NumPy reference, zeroth-moment area, orientation, presets, bad input."""

from __future__ import annotations

import warnings

import cv2
import naive
import numpy as np
import pytest

import meanshift
from meanshift.config import Convergence, ScaleGuard
from meanshift.features import get_features, quantize
from meanshift.synthetic import (
    COOL_BACKGROUND_PALETTE,
    RED_TARGET_PALETTE,
    TargetPose,
    moving_target_sequence,
    render_scene,
)

FRAME = (240, 320)
NO_GUARD = ScaleGuard(max_step=None, smoothing=1.0, min_size=1.0, max_fraction=1.0)

# Gray levels: a bright target on a dark background are disjoint intensity bins.
GRAY_TARGET = np.array([[200, 200, 200], [230, 230, 230], [250, 250, 250]], np.uint8)
GRAY_BACKGROUND = np.array([[20, 20, 20], [60, 60, 60], [100, 100, 100]], np.uint8)


def center_of(box):
    x, y, w, h = box
    return x + (w - 1) / 2, y + (h - 1) / 2


@pytest.mark.parametrize(
    "similarity,max_iterations",
    # Intersection and chi-square weights jump where p_u crosses q_u, so after many iterations
    # rounding-level differences can pick another path; compare their first iterations only.
    [("bhattacharyya", 30), ("backprojection", 30), ("kl", 30), ("intersection", 3), ("chi-square", 3)],
)
@pytest.mark.parametrize("kernel", ["epanechnikov", "flat", "gaussian", "biweight"])
def test_whole_iteration_matches_reference(similarity, max_iterations, kernel):
    rng = np.random.default_rng(5)
    shape = (120, 160)
    first, _ = render_scene(shape, TargetPose(70, 60, 40, 30), rng=rng)
    second, _ = render_scene(shape, TargetPose(79.3, 54.6, 40, 30), rng=rng)
    space = get_features("bgr", bins=8)
    tracker = meanshift.Tracker(features=space, similarity=similarity, kernel=kernel, scale="fixed",
                                convergence=Convergence(epsilon=0.01, max_iterations=max_iterations),
                                background_weighting=False, recovery=False, min_confidence=0.0)
    box = (50.0, 45.0, 41.0, 31.0)
    tracker.init(first, box)
    result = tracker.update(second)

    k = meanshift.get_kernel(kernel)
    measure = meanshift.get_similarity(similarity)
    cx, cy = center_of(box)
    q, _ = naive.kernel_histogram(quantize(first, space), 0, 0, cx, cy, 41 / 2, 31 / 2, k, space.n_bins)

    def weights_of(p):
        return naive.similarity_weights(measure.name, p, q)

    weights_of.m = space.n_bins
    want_x, want_y, want_iterations = naive.mean_shift_iterate(
        quantize(second, space), 0, 0, cx, cy, 41.0, 31.0, k, weights_of, 0.01, max_iterations,
        (shape[1], shape[0]))
    assert result.iterations == want_iterations
    assert result.center == pytest.approx((want_x, want_y), abs=1e-4)
    if similarity in ("bhattacharyya", "backprojection") and kernel != "flat":
        # and the iteration did its job: the target moved by (9.3, -5.4)
        assert result.center == pytest.approx((cx + 9.3, cy - 5.4), abs=0.6)


def area_scene(features, target_size, window_scale, seed=0):
    """A rectangle target (disjoint colours), a tracker initialised on its exact box, then the target
    shrunk so that the window is ``window_scale`` times its side."""
    rng = np.random.default_rng(seed)
    target, background = (GRAY_TARGET, GRAY_BACKGROUND) if features == "gray" else (
        RED_TARGET_PALETTE, COOL_BACKGROUND_PALETTE)
    big = TargetPose(160, 120, target_size[0] * window_scale, target_size[1] * window_scale, shape="rectangle")
    small = TargetPose(160, 120, target_size[0], target_size[1], shape="rectangle")
    first, _ = render_scene(FRAME, big, rng=rng, target_palette=target, background_palette=background, noise=0)
    second, mask = render_scene(FRAME, small, rng=rng, target_palette=target, background_palette=background,
                                noise=0)
    return first, big.box(FRAME), second, int(mask.sum())


@pytest.mark.parametrize("features", ["hue", "hue-sat", "bgr", "gray"])
@pytest.mark.parametrize("similarity", ["backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2",
                                        "log-likelihood"])
@pytest.mark.parametrize("area_estimate", ["model", "core"])
def test_zeroth_moment_gives_true_area(features, similarity, area_estimate):
    for window_scale in (1.5, 2.0):
        first, box, second, true_area = area_scene(features, (48, 36), window_scale)
        tracker = meanshift.Tracker(features=features, similarity=similarity, kernel="epanechnikov", scale="moments",
                                    guard=NO_GUARD, scale_margin=0.25, min_confidence=0.0,
                                    area_estimate=area_estimate, max_samples=None)  # the estimator, unsampled
        tracker.init(first, box)
        result = tracker.update(second)
        area = result.box[2] * result.box[3]
        assert area == pytest.approx(true_area, rel=0.05), (window_scale, area, true_area)


def test_zeroth_moment_scale_grows_a_small_window():
    first, box, second, true_area = area_scene("bgr", (48, 36), 1.0)
    tracker = meanshift.Tracker(features="bgr", scale="moments", guard=NO_GUARD, scale_margin=0.25)
    x, y, w, h = box
    tracker.init(first, box)
    grown = TargetPose(160, 120, 72, 54, shape="rectangle")
    frame, mask = render_scene(FRAME, grown, rng=np.random.default_rng(1), noise=0)
    areas = [np.prod(tracker.update(frame).box[2:]) for _ in range(6)]
    assert areas[0] > w * h * 1.2  # the enlarged moments window lets it grow
    assert areas[-1] == pytest.approx(mask.sum(), rel=0.05)


@pytest.mark.parametrize("angle", [0.0, 25.0, 60.0, 90.0, 135.0, 160.0])
def test_orientation_from_second_moments(angle):
    rng = np.random.default_rng(2)
    upright = TargetPose(160, 120, 40, 40, shape="rectangle")
    first, _ = render_scene(FRAME, upright, rng=rng, noise=0)
    tracker = meanshift.Tracker(features="hue", similarity="backprojection", kernel="flat", scale="moments",
                                rotation=True, guard=NO_GUARD, scale_margin=1.0)
    tracker.init(first, upright.box(FRAME))
    tilted = TargetPose(160, 120, 90, 30, angle_deg=angle, shape="ellipse")
    second, _ = render_scene(FRAME, tilted, rng=rng, noise=0)
    for _ in range(8):
        result = tracker.update(second)
    error = abs(result.rotated[2] - angle) % 180
    assert min(error, 180 - error) <= 2.0, result.rotated
    length, breadth = result.rotated[1]
    assert length > 2 * breadth


# Mean centre error allowed per preset. generalized()'s zeroth-moment size follows growth slowly (at
# most ~1.5 % a frame, pulled toward the initial size): while the target is larger than the window,
# the window can sit off-centre on it (measured 1.13 px mean on the ellipse); the classic searches
# stay under 1 px.
MEAN_ERROR_PX = {"camshift": 1.0, "comaniciu-meer": 1.0, "generalized": 1.5}


def test_presets_follow_synthetic_target_to_subpixel():
    for preset in meanshift.PRESETS:
        for shape in ("rectangle", "ellipse"):
            frames = list(moving_target_sequence(n_frames=60, shape=shape, seed=3))
            tracker = meanshift.create_tracker(preset)
            tracker.init(*frames[0])
            errors = []
            for frame, box in frames[1:]:
                result = tracker.update(frame)
                assert result.ok
                errors.append(np.hypot(*(np.subtract(result.center, center_of(box)))))
            assert np.mean(errors) < MEAN_ERROR_PX[preset], (preset, shape, np.mean(errors))
            assert np.max(errors) < 5.0, (preset, shape, np.max(errors))


def iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(x2 - x1, 0) * max(y2 - y1, 0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


@pytest.mark.parametrize("preset,sequence", [("camshift", "vot2017_book"), ("comaniciu-meer", "Crossing"),
                                             ("generalized", "Crossing"), ("generalized", "vot2017_book")])
def test_presets_follow_real_sequence_for_50_frames(sequences_dir, preset, sequence):
    folder = sequences_dir / sequence
    gt = np.loadtxt(folder / "groundtruth_rect.txt", delimiter=",")
    frames = sorted((folder / "img").glob("*.jpg"))[:51]
    tracker = meanshift.create_tracker(preset)
    tracker.init(cv2.imread(str(frames[0])), gt[0])
    results = [tracker.update(cv2.imread(str(path))) for path in frames[1:]]
    overlaps = [iou(r.box, gt[i]) for i, r in enumerate(results, 1)]
    # every box reported ok overlaps the target (generalized reports the turning book's frames 6-8 and
    # 16-29 lost and holds its window there: the mean, not the minimum, covers those)
    trusted = [v for v, r in zip(overlaps, results, strict=True) if r.ok]
    assert min(trusted) > 0.15, (preset, sequence, np.round(overlaps, 2))
    assert np.mean(overlaps) > 0.4


def test_grayscale_frames_are_tracked_with_gray_features():
    sequence = list(moving_target_sequence(n_frames=60, target_palette=GRAY_TARGET,
                                           background_palette=GRAY_BACKGROUND))[:10]
    frames = [cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) for frame, _ in sequence]
    tracker = meanshift.generalized()
    with pytest.warns(UserWarning, match="gray"):
        tracker.init(frames[0], sequence[0][1])
    # gray targets do not separate from their surroundings by colour: generalized keeps the size, so a
    # target grown past the window (53 x 40 against 49 x 37) leaves it up to ~2.6 px off-centre
    for frame, (_, box) in zip(frames[1:], sequence[1:], strict=True):
        result = tracker.update(frame)
        assert np.hypot(*np.subtract(result.center, center_of(box))) < 3
    # the same pictures decoded as three equal channels, as gray videos often are
    as_bgr = [cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR) for frame in frames]
    tracker = meanshift.generalized()
    with pytest.warns(UserWarning, match="gray"):
        tracker.init(as_bgr[0], sequence[0][1])
    for frame, (_, box) in zip(as_bgr[1:], sequence[1:], strict=True):
        assert np.hypot(*np.subtract(tracker.update(frame).center, center_of(box))) < 3


def test_white_target_drops_the_hsv_mask_with_a_warning():
    frame = np.zeros((100, 100, 3), np.uint8)
    frame[:] = (160, 90, 20)  # a blue scene (so not a grayscale picture) ...
    frame[30:60, 30:60] = 250  # ... with a white target: saturation 0, masked by the CAMSHIFT thresholds
    tracker = meanshift.camshift()
    with pytest.warns(UserWarning, match="HSV mask"):
        tracker.init(frame, (30, 30, 30, 30))
    assert tracker.update(frame).ok


def test_lost_target_is_reported_and_window_neither_explodes_nor_collapses():
    frames = list(moving_target_sequence(n_frames=60))
    empty = np.full_like(frames[0][0], 128)  # grey: no target colour anywhere (and masked for hue)
    for preset in meanshift.PRESETS:
        tracker = meanshift.create_tracker(preset)
        tracker.init(*frames[0])
        before = tracker.update(frames[1][0])
        for _ in range(5):
            result = tracker.update(empty)
            assert not result.ok, preset
        assert result.box[2:] == pytest.approx(before.box[2:], rel=0.01), preset
        assert np.all(np.isfinite(result.box))


def test_custom_similarity_by_object_and_by_name():
    class Hellinger(meanshift.Similarity):
        name = "test-hellinger"

        def value(self, p, q, *, background=None):
            return 1.0 - np.sqrt(max(1.0 - np.sum(np.sqrt(p * q)), 0.0))

        def weights(self, p, q, *, background=None, out=None):
            w = np.sqrt(np.divide(q, p, out=np.zeros_like(q), where=p > 0))
            if out is not None:
                out[:] = w
                return out
            return w

    # Same weights as the built-in Bhattacharyya measure, so the same path, frame by frame.
    frames = list(moving_target_sequence(n_frames=60))[:8]
    custom = meanshift.Tracker(features="bgr", similarity=Hellinger(), scale="fixed")
    builtin = meanshift.Tracker(features="bgr", similarity="bhattacharyya", scale="fixed")
    custom.init(*frames[0])
    builtin.init(*frames[0])
    for frame, box in frames[1:]:
        mine, theirs = custom.update(frame), builtin.update(frame)
        assert mine.center == pytest.approx(theirs.center, abs=1e-9)
        assert np.hypot(*np.subtract(mine.center, center_of(box))) < 5
    assert mine.score == pytest.approx(1 - np.sqrt(max(1 - theirs.score, 0)))
    meanshift.register_similarity("test-ratio-fn", value=lambda p, q: float(np.sum(np.minimum(p, q))),
                                  weights=lambda p, q: np.divide(q, p, out=np.zeros_like(q), where=p > 0),
                                  replace=True)
    assert "test-ratio-fn" in meanshift.similarities()
    tracker = meanshift.Tracker(features="bgr", similarity="test-ratio-fn")
    tracker.init(*frames[0])
    assert tracker.update(frames[1][0]).ok


def test_registry_names_and_errors():
    names = meanshift.similarities()
    for builtin in ("backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2", "log-likelihood"):
        assert builtin in names
    with pytest.raises(ValueError, match="unknown similarity 'nope'.*bhattacharyya"):
        meanshift.Tracker(similarity="nope")
    with pytest.raises(ValueError, match="already exists"):
        meanshift.register_similarity("bhattacharyya", value=np.dot, weights=np.sqrt)
    with pytest.raises(ValueError, match="unknown kernel"):
        meanshift.Tracker(kernel="triangle")
    with pytest.raises(ValueError, match="unknown feature space"):
        meanshift.Tracker(features="luv")
    with pytest.raises(ValueError, match="unknown preset"):
        meanshift.create_tracker("kcf")
    with pytest.raises(ValueError, match="scale must be one of"):
        meanshift.Tracker(scale="huge")
    with pytest.raises(ValueError, match="needs a background histogram"):
        meanshift.get_similarity("log-likelihood").weights(np.full(4, 0.25), np.full(4, 0.25))


def test_custom_similarity_returning_nan_is_refused():
    meanshift.register_similarity("test-nan", value=lambda p, q: 0.0, weights=lambda p, q: p * np.nan, replace=True)
    frame, box = next(moving_target_sequence(n_frames=1))
    tracker = meanshift.Tracker(features="bgr", similarity="test-nan", scale="contrast")  # a rule using the weights
    tracker.init(frame, box)
    with pytest.raises(ValueError, match="finite"):
        tracker.update(frame)


FRAME_OK = np.random.default_rng(0).integers(0, 256, (50, 60, 3), dtype=np.uint8)


@pytest.mark.parametrize(
    "box,match",
    [
        ((10, 10, 0, 10), "positive width and height"),
        ((10, 10, 5, -3), "positive width and height"),
        ((100, 100, 10, 10), "entirely outside"),
        ((-30, 5, 20, 10), "entirely outside"),
        ((float("nan"), 5, 10, 10), "NaN"),
        ((1, 2, 3), "four numbers"),
        ("10,10,5,5", "four numbers"),
        (None, "four numbers"),
    ],
)
def test_bad_boxes_raise_value_error(box, match):
    with pytest.raises(ValueError, match=match):
        meanshift.generalized().init(FRAME_OK, box)


@pytest.mark.parametrize(
    "frame,match",
    [
        (None, "None"),
        (np.zeros((0, 10, 3), np.uint8), "empty"),
        (np.zeros((10, 10, 2), np.uint8), "got shape"),
        (np.zeros((10, 10, 3), np.float32), "uint8"),
        (np.zeros((10,), np.uint8), "HxWx3"),
    ],
)
def test_bad_frames_raise_value_error(frame, match):
    with pytest.raises(ValueError, match=match):
        meanshift.generalized().init(frame, (1, 1, 5, 5))
    tracker = meanshift.generalized()
    tracker.init(FRAME_OK, (10, 10, 20, 20))
    with pytest.raises(ValueError, match=match):
        tracker.update(frame)


def test_update_before_init_and_changed_frame_shape():
    with pytest.raises(ValueError, match="before init"):
        meanshift.camshift().update(FRAME_OK)
    tracker = meanshift.generalized()
    tracker.init(FRAME_OK, (10, 10, 20, 20))
    with pytest.raises(ValueError, match="shape changed"):
        tracker.update(np.zeros((40, 60, 3), np.uint8))


def test_the_default_tracker_leaves_the_classic_model_until_it_is_read(monkeypatch):
    """Issue 27, first start: the default engine learns its own model, so the classic kernel histogram and ring
    are neither compiled nor run at init; a reader of ``q`` still gets them, from the init frame's pixels even
    when the caller has reused that frame's buffer since (video readers do)."""
    from meanshift import _kernels

    frames = list(moving_target_sequence(n_frames=3, frame_size=(120, 160), base_size=(30, 24)))
    first, box = frames[0]
    called = []
    for name in ("kernel_histogram", "flat_histogram"):
        kernel = getattr(_kernels, name)
        monkeypatch.setattr(_kernels, name, lambda *args, _kernel=kernel, _name=name: (called.append(_name),
                                                                                       _kernel(*args))[1])
    buffer = first.copy()
    tracker = meanshift.Tracker()
    tracker.init(buffer, box)
    assert not tracker.scale_rule.part.wants_proposal  # the colours separate the target: no classic proposal
    for frame, _ in frames[1:]:
        buffer[:] = frame
        tracker.update(buffer)
    assert called == []
    # What init learnt before it left the model until read: the same kernels over the init frame's region.
    reference = meanshift.Tracker()
    reference.init(first, box)
    state = reference.state
    x, y, w, h = box
    state.learn_model(state.region, x + (w - 1) / 2, y + (h - 1) / 2, w / 2, h / 2, 2.0, True)
    np.testing.assert_array_equal(tracker.q, state.q)
    np.testing.assert_array_equal(tracker.background, state.background)
    assert sorted(set(called)) == ["flat_histogram", "kernel_histogram"] and state.q.sum() == pytest.approx(1.0)


def test_box_partly_outside_frame_is_accepted_and_stays_finite():
    frames = list(moving_target_sequence(n_frames=3))
    frame = frames[0][0]
    tracker = meanshift.generalized()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracker.init(frame, (-20.0, -10.0, 60.0, 50.0))
    result = tracker.update(frame)
    assert np.all(np.isfinite(result.box))
    x, y, w, h = result.box
    assert x >= 0 and y >= 0 and x + w <= frame.shape[1] and y + h <= frame.shape[0]


@pytest.mark.parametrize("similarity", ["backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2",
                                        "log-likelihood"])
def test_fused_numba_iteration_equals_python_iteration(similarity):
    """Built-in measures iterate inside one Numba call; the same measure wrapped as a user-defined one
    iterates in Python. Both must follow the same path, including across re-quantised regions."""
    builtin = meanshift.get_similarity(similarity)

    class Wrapped(meanshift.Similarity):
        name = f"wrapped-{similarity}"
        needs_background = builtin.needs_background

        def value(self, p, q, *, background=None):
            return builtin.value(p, q, background=background)

        def weights(self, p, q, *, background=None, out=None):
            return builtin.weights(p, q, background=background, out=out)

    assert builtin.numba_code is not None and Wrapped.numba_code is None
    frames = list(moving_target_sequence(n_frames=24, seed=4))  # fast motion: windows leave their regions
    for i in range(10):
        # the same state for both (init), then one frame 1 or 2 steps ahead
        fused = meanshift.Tracker(features="bgr", similarity=builtin, scale="contrast", min_confidence=0.0)
        python = meanshift.Tracker(features="bgr", similarity=Wrapped(), scale="contrast", min_confidence=0.0)
        fused.init(*frames[i])
        python.init(*frames[i])
        ahead = frames[i + 1 + i % 2][0]
        a, b = fused.update(ahead), python.update(ahead)
        assert a.iterations == b.iterations
        assert a.box == pytest.approx(b.box, abs=1e-6)
        assert a.score == pytest.approx(b.score, abs=1e-9)


@pytest.mark.parametrize("preset", ["generalized", "camshift", "comaniciu-meer"])
def test_the_oriented_box_is_clipped_like_the_box(preset):
    # A 1x1 target in the corner: the window is larger than what lies inside the frame, the box is clipped,
    # and the oriented box (TrackResult.rotated) must not claim more than the box does.
    frame = np.full((60, 80, 3), (40, 120, 40), np.uint8)
    frame[0, 0] = (0, 0, 230)
    tracker = meanshift.create_tracker(preset)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (a box under the minimum side, and the HSV mask)
        tracker.init(frame, (0, 0, 1, 1))
        result = tracker.update(frame)
    x, y, w, h = result.box
    (cx, cy), (length, breadth), angle = result.rotated
    assert (cx, cy) == pytest.approx((x + (w - 1) / 2, y + (h - 1) / 2))
    bw, bh = meanshift.geometry.rotated_bounding_size(length, breadth, angle)
    assert bw <= w + 1e-9 and bh <= h + 1e-9, (result.box, result.rotated)


def test_an_oriented_box_inside_the_frame_is_left_as_the_moments_give_it():
    frame = np.full((120, 160, 3), 128, np.uint8)  # grey: outside camshift's HSV mask
    cv2.ellipse(frame, (80, 60), (30, 12), 30, 0, 360, (0, 0, 230), -1)
    tracker = meanshift.camshift()
    tracker.init(frame, (50, 40, 60, 40))
    for _ in range(5):
        result = tracker.update(frame)
    (cx, cy), (length, breadth), angle = result.rotated
    assert length > 1.5 * breadth and 15 < angle < 45  # a rotated box, not the upright one
    assert (cx, cy) == pytest.approx((tracker.cx, tracker.cy))
