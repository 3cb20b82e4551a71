"""Every Numba kernel against its slow NumPy reference in tests/naive.py, on random inputs and edge cases."""

from __future__ import annotations

import cv2
import naive
import numpy as np
import pytest

from meanshift import _kernels
from meanshift.features import GridQuantizer, get_features, pixel_source, quantize, quantize_into
from meanshift.kernels import get_kernel, kernels
from meanshift.similarity import get_similarity

M = 64


# A pixel source the kernels never need when every bin is already quantised.
UNUSED_SOURCE = pixel_source(np.zeros((1, 1, 3), np.uint8), get_features("bgr"))


def quantised(bins):
    """The kernels' leading ``bins, spans, src`` for bins quantised beforehand (every row complete)."""
    spans = np.zeros((bins.shape[0], 2), np.int64)
    spans[:, 1] = bins.shape[1]
    return bins, spans, UNUSED_SOURCE


def random_bins(rng, shape=(37, 53), m=M, masked=0.1):
    bins = rng.integers(0, m, size=shape).astype(np.int32)
    bins[rng.random(shape) < masked] = -1
    return bins


@pytest.mark.parametrize("name,bins", [("hue", (16,)), ("hue", (180,)), ("hue-sat", (16, 8)), ("bgr", (16,)),
                                       ("bgr", (5,)), ("gray", (32,))])
def test_quantize_matches_opencv_conversions(rng, name, bins):
    frame = rng.integers(0, 256, size=(61, 83, 3), dtype=np.uint8)
    space = get_features(name, bins=bins)
    got = quantize(frame, space)
    want = naive.bins_reference(frame, name, bins)
    if name == "gray":
        # OpenCV 4 and 5 round the gray conversion differently; a bin may move by one.
        assert np.abs(got - want).max() <= 1
    else:
        np.testing.assert_array_equal(got, want)


def test_hue_values_are_bit_exact_with_cv2(rng):
    frame = rng.integers(0, 256, size=(128, 128, 3), dtype=np.uint8)
    got = quantize(frame, get_features("hue", bins=180, s_min=0, v_min=0))
    np.testing.assert_array_equal(got, cv2.cvtColor(frame, cv2.COLOR_BGR2HSV)[..., 0])


def test_quantize_on_a_sampling_grid(rng):
    frame = rng.integers(0, 256, size=(50, 70, 3), dtype=np.uint8)
    space = get_features("hue-sat")
    out = np.empty((9, 12), np.int32)
    quantize_into(frame, space, 5, 3, out, step=3)
    want = naive.bins_reference(frame, "hue-sat", space.bins)[3 : 3 + 27 : 3, 5 : 5 + 36 : 3]
    np.testing.assert_array_equal(out, want)


def test_quantize_region_of_strided_and_gray_frames(rng):
    big = rng.integers(0, 256, size=(80, 100, 3), dtype=np.uint8)
    strided = big[::2, ::3]  # non-contiguous view
    got = quantize(strided, get_features("bgr", bins=8), region=(3, 4, 20, 15))
    want = naive.bins_reference(np.ascontiguousarray(strided), "bgr", (8,))[4:19, 3:23]
    np.testing.assert_array_equal(got, want)
    gray = rng.integers(0, 256, size=(30, 40), dtype=np.uint8)
    np.testing.assert_array_equal(quantize(gray, get_features("gray", bins=16)), gray.astype(int) * 16 // 256)


@pytest.mark.parametrize("name", ["bgr", "lab", "ycrcb"])
@pytest.mark.parametrize("order", ["bgr", "rgb"])
def test_quantize_region_fast_path_bins_as_the_reference_on_sampling_grids(rng, name, order):
    # quantize_into (the posterior step's quantiser) sums per-channel tables for these spaces
    for _ in range(6):
        big = rng.integers(0, 256, size=(90, 110, 3), dtype=np.uint8)
        bgr = big[:: int(rng.integers(1, 3)), :: int(rng.integers(1, 3))]  # strided views too
        frame = bgr[..., ::-1] if order == "rgb" else bgr
        bins = int(rng.choice([4, 8, 16]))
        step = int(rng.integers(1, 4))
        x0, y0 = int(rng.integers(0, 10)), int(rng.integers(0, 10))
        rows = (bgr.shape[0] - y0 - 1) // step + 1 - int(rng.integers(0, 3))
        cols = (bgr.shape[1] - x0 - 1) // step + 1 - int(rng.integers(0, 3))
        out = np.empty((rows, cols), np.int32)
        quantize_into(frame, get_features(name, bins=bins, channel_order=order), x0, y0, out, step=step)
        want = naive.bins_reference(np.ascontiguousarray(bgr), name, (bins,))
        np.testing.assert_array_equal(out, want[y0 : y0 + rows * step : step, x0 : x0 + cols * step : step])


@pytest.mark.parametrize("name", ["bgr", "hue", "lab", "gray"])
@pytest.mark.parametrize("order", ["bgr", "rgb"])
def test_grid_quantizer_bins_as_the_reference(rng, name, order):
    # GridQuantizer keeps the BGR space's tables between frames and calls the kernel directly; other
    # spaces and gray frames go through quantize_into: the bins are the reference's either way
    quantizer = GridQuantizer(get_features(name, bins=int(rng.choice([4, 8, 16])), channel_order=order))
    for _ in range(6):
        bgr = rng.integers(0, 256, size=(70, 90, 3), dtype=np.uint8)[:: int(rng.integers(1, 3))]
        if name == "gray" and rng.random() < 0.5:
            bgr = np.ascontiguousarray(bgr[..., :1].repeat(3, axis=2))[..., 0]  # a 2-D gray frame
        frame = bgr[..., ::-1] if order == "rgb" and bgr.ndim == 3 else bgr
        step = int(rng.integers(1, 4))
        x0, y0 = int(rng.integers(0, 10)), int(rng.integers(0, 10))
        rows, cols = (bgr.shape[0] - y0 - 1) // step + 1, (bgr.shape[1] - x0 - 1) // step + 1
        out = np.full((rows, cols), -7, np.int32)
        quantizer(frame, x0, y0, out, step=step)
        want = naive.bins_reference(np.ascontiguousarray(bgr), name, quantizer.space.bins)
        np.testing.assert_array_equal(out, want[y0 : y0 + rows * step : step, x0 : x0 + cols * step : step])
        once = np.full((rows, cols), -7, np.int32)  # a grid quantised once: NumPy lookups, the same bins
        quantizer(frame, x0, y0, once, step=step, once=True)
        np.testing.assert_array_equal(once, out)


def test_quantize_rejects_gray_frame_for_colour_space(rng):
    with pytest.raises(ValueError, match="needs a BGR frame"):
        quantize(np.zeros((5, 5), np.uint8), get_features("hue"))


@pytest.mark.parametrize("kernel_name", kernels())
def test_kernel_histogram_matches_reference(rng, kernel_name):
    kernel = get_kernel(kernel_name)
    for _ in range(20):
        bins = random_bins(rng)
        rx0, ry0 = int(rng.integers(0, 50)), int(rng.integers(0, 50))
        cx = rx0 + rng.uniform(-5, 58)
        cy = ry0 + rng.uniform(-5, 42)
        hw, hh = rng.uniform(0.5, 30), rng.uniform(0.5, 25)
        step = int(rng.integers(1, 4))
        got = np.empty(M)
        mass = _kernels.kernel_histogram(*quantised(bins), rx0, ry0, step, cx, cy, hw, hh, kernel.code, got)
        want, want_mass = naive.kernel_histogram(bins, rx0, ry0, cx, cy, hw, hh, kernel, M, step)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
        assert mass == pytest.approx(want_mass, rel=1e-9, abs=1e-12)


def test_kernel_histogram_of_empty_or_masked_window_is_zero():
    bins = np.full((10, 10), -1, np.int32)
    hist = np.ones(M)
    assert _kernels.kernel_histogram(*quantised(bins), 0, 0, 1, 5.0, 5.0, 3.0, 3.0, 1, hist) == 0.0
    assert not hist.any()
    bins[:] = 3  # window entirely outside the region
    assert _kernels.kernel_histogram(*quantised(bins), 0, 0, 1, 50.0, 50.0, 3.0, 3.0, 1, hist) == 0.0
    # a window narrower than the sampling step can fall between samples
    assert _kernels.kernel_histogram(*quantised(bins), 0, 0, 4, 5.0, 5.0, 0.5, 0.5, 1, hist) == 0.0


@pytest.mark.parametrize("kernel_name", kernels())
def test_mean_shift_step_matches_reference(rng, kernel_name):
    kernel = get_kernel(kernel_name)
    for _ in range(20):
        bins = random_bins(rng)
        weights = rng.random(M)
        cx, cy = 10 + rng.uniform(-8, 60), 20 + rng.uniform(-8, 45)
        hw, hh = rng.uniform(1, 30), rng.uniform(1, 25)
        step = int(rng.integers(1, 4))
        got = _kernels.mean_shift_step(*quantised(bins), 10, 20, step, cx, cy, hw, hh, kernel.code, weights)
        want = naive.mean_shift_step(bins, 10, 20, cx, cy, hw, hh, kernel, weights, step)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)


def test_mean_shift_step_all_zero_weights():
    bins = np.zeros((9, 9), np.int32)
    assert _kernels.mean_shift_step(*quantised(bins), 0, 0, 1, 4.0, 4.0, 3.0, 3.0, 1, np.zeros(M)) == (0.0, 0.0, 0.0)


def test_box_moments_match_reference(rng):
    for _ in range(30):
        bins = random_bins(rng)
        weights = rng.random(M)
        x0, y0 = rng.uniform(-10, 40), rng.uniform(-10, 30)
        x1, y1 = x0 + rng.uniform(0, 50), y0 + rng.uniform(0, 40)
        step = int(rng.integers(1, 4))
        got = np.empty(6)
        count = _kernels.box_moments(*quantised(bins), 3, 2, step, x0, y0, x1, y1, weights, got)
        want, want_count = naive.box_moments(bins, 3, 2, x0, y0, x1, y1, weights, step)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6)
        assert count == want_count


def test_flat_ring_histogram_matches_reference(rng):
    for _ in range(20):
        bins = random_bins(rng)
        outer = (rng.uniform(-5, 10), rng.uniform(-5, 10), rng.uniform(30, 60), rng.uniform(25, 45))
        inner = (rng.uniform(10, 20), rng.uniform(10, 15), rng.uniform(20, 30), rng.uniform(15, 25))
        step = int(rng.integers(1, 4))
        got = np.empty(M)
        _kernels.flat_histogram(*quantised(bins), 0, 0, step, *outer, *inner, got)
        np.testing.assert_array_equal(got, naive.ring_histogram(bins, 0, 0, outer, inner, M, step))


@pytest.mark.parametrize("name", ["backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2",
                                  "log-likelihood", "background-ratio", "posterior"])
def test_weight_tables_match_formulas(rng, name):
    measure = get_similarity(name)
    for trial in range(20):
        p = rng.random(M) * (rng.random(M) < 0.7)
        q = rng.random(M) * (rng.random(M) < 0.7)
        b = rng.random(M) * (rng.random(M) < 0.7)
        if trial == 0:
            p[:] = q  # perfect match: chi-square and l2 weights vanish
        p, q, b = p / p.sum(), q / q.sum(), b / b.sum()
        delta = getattr(measure, "delta", 1e-3) or 1e-3
        got = measure.weights(p, q, background=b)
        np.testing.assert_allclose(got, naive.similarity_weights(name, p, q, b, delta), rtol=1e-12, atol=1e-15)
        assert np.all(np.isfinite(got)) and np.all(got >= 0)
        assert measure.value(p, q, background=b) == pytest.approx(naive.similarity_value(name, p, q, b, delta),
                                                                   rel=1e-9)


@pytest.mark.parametrize("name", ["backprojection", "bhattacharyya", "kl", "log-likelihood", "intersection", "l2",
                                  "background-ratio", "posterior"])
@pytest.mark.parametrize("kernel_name", ["epanechnikov", "gaussian", "flat"])
def test_fused_converge_matches_reference_iteration(rng, name, kernel_name):
    kernel = get_kernel(kernel_name)
    measure = get_similarity(name)
    delta = 3.0 if name == "posterior" else 1e-3
    height, width = 60, 80
    for _ in range(5):
        bins = random_bins(rng, shape=(height, width), masked=0.05)
        # a target: a patch of a few bins that the model q favours
        y0, x0 = int(rng.integers(10, 30)), int(rng.integers(10, 50))
        bins[y0 : y0 + 15, x0 : x0 + 20] = rng.integers(0, 6, size=(15, 20))
        q = np.bincount(bins[y0 : y0 + 15, x0 : x0 + 20].ravel(), minlength=M).astype(float)
        q /= q.sum()
        background = rng.random(M)
        background /= background.sum()
        cx, cy = x0 + 10 + rng.uniform(-6, 6), y0 + 7 + rng.uniform(-5, 5)
        hist, weights = np.empty(M), np.empty(M)
        got = _kernels.converge(*quantised(bins), 0, 0, width, height, 1, cx, cy, 10.0, 7.5, kernel.code,
                             measure.numba_code, q, background, delta, 0.01**2, 25, width, height, hist, weights,
                             _kernels.converge_workspace(M))

        def weights_of(p, q=q, background=background):
            return naive.similarity_weights(name, p, q, background, delta)

        weights_of.m = M
        want_x, want_y, want_iterations = naive.mean_shift_iterate(bins, 0, 0, cx, cy, 20.0, 15.0, kernel, weights_of,
                                                                   0.01, 25, (width, height))
        assert got[2] == want_iterations
        assert (got[0], got[1]) == pytest.approx((want_x, want_y), abs=1e-6)
        assert not got[5]
        want_hist, _ = naive.kernel_histogram(bins, 0, 0, got[0], got[1], 10.0, 7.5, kernel, M)
        np.testing.assert_allclose(hist, want_hist, atol=1e-12)


def test_fused_converge_stops_when_the_window_leaves_the_region():
    bins = np.zeros((40, 60), np.int32)
    bins[:, 40:] = 1  # everything the model wants lies to the right
    q = np.zeros(M)
    q[1] = 1.0
    hist, weights = np.empty(M), np.empty(M)
    # the region claims to end at x = 45: the window (half-width 8) must stop as soon as it crosses it
    cx, cy, iterations, mass, shift2, left = _kernels.converge(
        *quantised(bins), 0, 0, 45, 40, 1, 36.0, 20.0, 8.0, 8.0, 1, _kernels.WEIGHTS_BHATTACHARYYA, q, q, 0.0, 1e-4, 50,
        60, 40, hist, weights, _kernels.converge_workspace(M))
    assert left and iterations >= 1
    assert np.floor(cx + 8.0) >= 45 and cx > 36.0


@pytest.mark.parametrize("name", ["hue", "hue-sat", "bgr", "gray", "gray-frame"])
def test_lazy_quantisation_gives_the_eager_results(rng, name):
    """Kernels quantising on demand (empty spans) must agree, call by call, with bins quantised up front."""
    space = get_features("gray" if name == "gray-frame" else name)
    frame = rng.integers(0, 256, size=(70, 90) if name == "gray-frame" else (70, 90, 3), dtype=np.uint8)
    m = space.n_bins
    for trial in range(6):
        step = 1 + trial % 3
        rx0, ry0 = int(rng.integers(0, 10)), int(rng.integers(0, 10))
        rows, cols = (70 - ry0) // step, (90 - rx0) // step
        eager = np.empty((rows, cols), np.int32)
        quantize_into(frame, space, rx0, ry0, eager, step=step)
        lazy = (np.full((rows, cols), 12345, np.int32), np.zeros((rows, 2), np.int64), pixel_source(frame, space))
        weights = rng.random(m)
        for _ in range(8):
            cx, cy = rng.uniform(-5, 95), rng.uniform(-5, 75)
            hw, hh = rng.uniform(1, 20), rng.uniform(1, 20)
            got, want = np.empty(m), np.empty(m)
            window = (rx0, ry0, step, cx, cy, hw, hh, 1)
            assert _kernels.kernel_histogram(*lazy, *window, got) == _kernels.kernel_histogram(
                *quantised(eager), *window, want)
            np.testing.assert_array_equal(got, want)
            assert _kernels.mean_shift_step(*lazy, *window, weights) == _kernels.mean_shift_step(
                *quantised(eager), *window, weights)
            box = (rx0, ry0, step, cx - 2 * hw, cy - 2 * hh, cx + 2 * hw, cy + 2 * hh)
            got6, want6 = np.empty(6), np.empty(6)
            assert _kernels.box_moments(*lazy, *box, weights, got6) == _kernels.box_moments(*quantised(eager), *box,
                                                                                      weights, want6)
            np.testing.assert_array_equal(got6, want6)
            ring = (*box, cx - hw, cy - hh, cx + hw, cy + hh)
            _kernels.flat_histogram(*lazy, *ring, got)
            _kernels.flat_histogram(*quantised(eager), *ring, want)
            np.testing.assert_array_equal(got, want)
            assert _kernels.count_masked(*lazy, *box) == _kernels.count_masked(*quantised(eager), *box)
        bins, spans, _ = lazy
        for yy in range(rows):
            lo, hi = spans[yy]
            # what a span covers is quantised exactly as the eager pass does
            np.testing.assert_array_equal(bins[yy, lo:hi], eager[yy, lo:hi])
    # One small window reads only its own rows' spans: the rest of the region is never converted; a round
    # kernel reads little more than its ellipse.
    for kernel_code, pixels in ((0, 11 * 9), (1, 79)):
        bins = np.full((70, 90), 12345, np.int32)
        spans = np.zeros((70, 2), np.int64)
        _kernels.kernel_histogram(bins, spans, pixel_source(frame, space), 0, 0, 1, 45.0, 35.0, 5.0, 4.0, kernel_code,
                               np.empty(m))
        touched = bins != 12345
        assert touched.sum() == pixels and touched[31:40, 40:51].sum() == pixels


@pytest.mark.filterwarnings("error::UserWarning")  # the engine's warnings are asserted below, none escapes
def test_kernels_compile_once_per_frame_layout(rng):
    """Numba signatures must not multiply with use: one per array layout, not one per call or per preset."""
    import meanshift

    names = ("converge_tracked", "box_moments", "kernel_histogram", "flat_histogram", "quantize_span")
    # Other tests (strided, read-only frames) may have compiled layouts already: count from here.
    start = {name: len(getattr(_kernels, name).signatures) for name in names}
    frames = [rng.integers(0, 256, size=(60, 80, 3), dtype=np.uint8) for _ in range(3)]
    for make in (meanshift.camshift, meanshift.comaniciu_meer, meanshift.generalized):
        for features in ("hue", "bgr", "gray"):
            tracker = make(features=features)
            tracker.init(frames[0], (20, 15, 30, 25))
            for frame in frames[1:]:
                tracker.update(frame)
    before = {name: len(getattr(_kernels, name).signatures) for name in names}
    gray = rng.integers(0, 256, size=(60, 80), dtype=np.uint8)
    for make in (meanshift.camshift, meanshift.generalized):
        tracker = make()
        tracker.init(frames[0], (10.5, 12.25, 33, 21.5))
        tracker.update(frames[1])
        tracker = make()
        # Said, not left for pytest's warnings summary: the presets' colour features give way to gray.
        with pytest.warns(UserWarning, match="grayscale frames: tracking with 'gray' features"):
            tracker.init(gray, (10, 12, 30, 20))
        tracker.update(gray)
    after = {name: len(getattr(_kernels, name).signatures) for name in before}
    # Gray frames are a (H, W, 1) view: at most one more layout; floats in boxes add none.
    assert all(after[name] <= max(before[name], 1) + 1 for name in before), (before, after)
    assert all(after[name] - start[name] <= 3 for name in names), (start, after)


# What a tracker compiles on colour frames, run in a fresh interpreter (this one's dispatchers hold what every
# other test compiled): each kernel and its signatures, one line each. TRACKER is the tracker to make.
_TRACKER_KERNELS = """
import importlib, pkgutil
from numba.core.registry import CPUDispatcher
import meanshift, meanshift._kernels as K
from meanshift.synthetic import moving_target_sequence
frames = list(moving_target_sequence(n_frames=3, frame_size=(120, 160), base_size=(30, 24)))
tracker = TRACKER
tracker.init(*frames[0])
for frame, _ in frames[1:]:
    tracker.update(frame)
for info in pkgutil.iter_modules(K.__path__):
    module = importlib.import_module(f"meanshift._kernels.{info.name}")
    for name, value in sorted(vars(module).items()):
        if isinstance(value, CPUDispatcher) and value.py_func.__module__ == module.__name__ and value.signatures:
            print(name, len(value.signatures))
"""


def compiled_kernels(tracker: str, cache) -> dict[str, str]:
    """``{kernel: number of signatures}`` that ``tracker`` (an expression) compiles over three frames, fresh."""
    import os
    import subprocess
    import sys

    # An empty cache, as on a fresh install: a kernel loaded from the cache brings its callees compiled in.
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", _TRACKER_KERNELS.replace("TRACKER", tracker)], capture_output=True,
                          text=True, timeout=600, check=True, env=env)
    return dict(line.split() for line in done.stdout.splitlines())


def test_the_default_tracker_compiles_only_what_its_path_takes(tmp_path):
    """Issue 27, the first start: no classic engine's kernel (the default engine learns its own model), no
    texture path the tracker never takes, one signature per kernel (no literal specialisation)."""
    compiled = compiled_kernels("meanshift.Tracker()", tmp_path)
    # (The texture bins win on this scene: the colour quantiser, at init only, is looked up in NumPy.)
    assert set(compiled) == {"_texture_on_grid", "posterior_table", "blend_histogram",
                             "grid_histogram", "best_window", "map_mean_shift", "rect_match", "rect_sum",
                             "zeroth_moment_ratio", "grid_rect"}, compiled
    assert set(compiled.values()) == {"1"}, compiled


@pytest.mark.parametrize("preset, loop, other", [("comaniciu_meer", "converge_tracked", "_converge_fixed_weights"),
                                                 ("camshift", "_converge_fixed_weights", "converge_tracked")])
def test_a_classic_preset_compiles_its_measure_s_loop_only_and_each_histogram_once(tmp_path, preset, loop, other):
    """Issue 27: the iteration of the measure in use, not the other kind's; the model's and the iteration's
    histograms share one accumulate_histogram (a literal tick compiled a second one)."""
    compiled = compiled_kernels(f"meanshift.{preset}()", tmp_path)
    assert loop in compiled and other not in compiled, compiled
    assert compiled["accumulate_histogram"] == "1" and compiled.get("_tracked_histogram", "1") == "1", compiled


@pytest.mark.parametrize("kernel_name", kernels())
def test_window_and_ring_histograms_match_the_separate_kernels(rng, kernel_name):
    kernel = get_kernel(kernel_name)
    # One workspace for every call, as a tracker keeps it: each call clears only what the last one listed.
    hists, rings, masses, totals = np.zeros((3, M)), np.zeros((3, M)), np.empty(3), np.empty(3)
    book = _kernels.contrast_workspace(3, M)
    for _ in range(20):
        bins = random_bins(rng, shape=(60, 70))
        step = int(rng.integers(1, 3))
        cx, cy = rng.uniform(-5, 75), rng.uniform(-5, 65)
        half = np.array([[rng.uniform(1, 15), rng.uniform(1, 15)] for _ in range(3)])
        _kernels.window_and_ring_histograms(*quantised(bins), 2, 1, step, cx, cy, half, 1.5, kernel.code, hists, rings,
                                         masses, totals, book)
        for i, (hw, hh) in enumerate(half):
            want = np.empty(M)
            mass = _kernels.kernel_histogram(*quantised(bins), 2, 1, step, cx, cy, hw, hh, kernel.code, want)
            np.testing.assert_allclose(hists[i], want, rtol=1e-9, atol=1e-12)
            assert masses[i] == pytest.approx(mass, rel=1e-9, abs=1e-12)
            ring = naive.ring_histogram(bins, 2, 1, (cx - 1.5 * hw, cy - 1.5 * hh, cx + 1.5 * hw, cy + 1.5 * hh),
                                        (cx - hw, cy - hh, cx + hw, cy + hh), M, step)
            np.testing.assert_array_equal(rings[i], ring)
            assert totals[i] == ring.sum()
        listed, counts = book[2], book[3]
        for i in range(3):
            # the lists name exactly the bins each histogram holds
            assert set(listed[i, :counts[i]]) >= set(np.flatnonzero(hists[i]))
            assert set(listed[3 + i, :counts[3 + i]]) == set(np.flatnonzero(rings[i]))
        # and the contrast scores summed over those lists equal the dense definition
        q = rng.random(M)
        q /= q.sum()
        want = [naive.similarity_value("bhattacharyya", hists[i], q)
                - (naive.similarity_value("bhattacharyya", rings[i] / totals[i], q) if totals[i] else 0.0)
                if masses[i] > 0 else -np.inf for i in range(3)]
        scores = np.empty(3)
        _kernels.contrast_scores(_kernels.WEIGHTS_BHATTACHARYYA, hists, masses, rings, totals, q, q, 0.0, scores, book)
        np.testing.assert_allclose(scores, want, rtol=1e-9)


@pytest.mark.parametrize("name", ["backprojection", "bhattacharyya", "kl", "intersection", "chi-square", "l2",
                                  "log-likelihood", "background-ratio", "posterior"])
def test_contrast_scores_are_window_minus_ring_similarity(rng, name):
    measure = get_similarity(name)
    hists = rng.random((3, M)) * (rng.random((3, M)) < 0.5)
    hists /= hists.sum(axis=1, keepdims=True)
    rings = np.floor(rng.random((3, M)) * 4)
    totals = rings.sum(axis=1)
    rings[2], totals[2] = 0.0, 0.0  # an empty ring: no ring term
    masses = np.array([3.0, 0.0, 1.5])  # an empty window scores -inf
    q, b = rng.random(M), rng.random(M)
    q, b = q / q.sum(), b / b.sum()
    d = measure.delta or 1e-3
    window = naive.similarity_value(name, hists[0], q, b, d)
    want = [window - naive.similarity_value(name, rings[0] / totals[0], q, b, d), -np.inf,
            naive.similarity_value(name, hists[2], q, b, d)]
    scores = np.empty(3)
    # Every bin listed: the sparse sums must equal the dense definitions.
    book = (None, None, np.tile(np.arange(M), (6, 1)), np.full(6, M))
    _kernels.contrast_scores(measure.numba_code, hists, masses, rings, totals, q, b, measure.delta, scores,
                          _kernels.contrast_workspace(3, M)[:2] + book[2:])
    np.testing.assert_allclose(scores, want, rtol=1e-9)
