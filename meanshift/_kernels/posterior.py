"""Numba kernels of the pixel-wise posterior model (:mod:`meanshift.posterior`).

Every kernel works on a *grid* of bins: ``bins[j, i]`` is the bin of frame pixel
``(rx0 + i*step, ry0 + j*step)``, ``-1`` where masked. Rectangles are given in grid indices,
half-open ``[j0, j1) x [i0, i1)``, already clipped by the caller or clipped here as documented.
Kernels write into preallocated outputs and take every threshold as an argument.
"""

from __future__ import annotations

import numpy as np

from meanshift._jit import jit

__all__ = ["posterior_table", "posterior_map", "grid_histogram", "box_sums", "best_window", "rect_match",
           "blend_histogram", "grid_rect", "zeroth_moment_ratio", "map_mean_shift", "rect_sum", "compile_frame_kernels"]


@jit
def posterior_table(obj, obj_area, sur, sur_area, prior, out):
    """``out[u] = A_o q_u / (A_o q_u + A_s b_u)``: P(object | bin u) (Bayes, counts scaled by region areas).

    ``obj``, ``sur`` are normalised histograms of the object and of its surroundings, ``obj_area``,
    ``sur_area`` the areas they were taken over. A bin seen in neither gets ``prior``.
    """
    for u in range(out.shape[0]):
        a = obj_area * obj[u]
        d = a + sur_area * sur[u]
        out[u] = a / d if d > 0 else prior


@jit
def posterior_map(bins, table, out):
    """``out[j, i] = table[bins[j, i]]``, 0 where the bin is masked (-1)."""
    for j in range(bins.shape[0]):
        for i in range(bins.shape[1]):
            b = bins[j, i]
            out[j, i] = table[b] if b >= 0 else 0.0


@jit
def grid_histogram(bins, j0, j1, i0, i1, ej0, ej1, ei0, ei1, out):
    """Counts of the bins in ``[j0, j1) x [i0, i1)`` minus the rectangle ``[ej0, ej1) x [ei0, ei1)``.

    Both rectangles are clipped to the grid; ``out`` is overwritten. Returns the number counted
    (masked samples are not counted).
    """
    out[:] = 0.0
    rows, cols = bins.shape
    j0, j1 = max(j0, 0), min(j1, rows)
    i0, i1 = max(i0, 0), min(i1, cols)
    total = 0
    for j in range(j0, j1):
        inside_row = ej0 <= j < ej1
        for i in range(i0, i1):
            if inside_row and ei0 <= i < ei1:
                continue
            b = bins[j, i]
            if b >= 0:
                out[b] += 1.0
                total += 1
    return total


@jit
def rect_sum(values, j0, j1, i0, i1):
    """Sum of ``values[j0:j1, i0:i1]`` (clipped to the array)."""
    rows, cols = values.shape
    s = 0.0
    for j in range(max(j0, 0), min(j1, rows)):
        for i in range(max(i0, 0), min(i1, cols)):
            s += values[j, i]
    return s


@jit(inline="always")
def _fill_integral(values, integral):
    """``integral[j, i]``: the sum of ``values[:j, :i]`` (shape ``(H + 1, W + 1)``)."""
    height, width = values.shape
    for i in range(width + 1):
        integral[0, i] = 0.0
    for j in range(height):
        integral[j + 1, 0] = 0.0
        run = 0.0
        for i in range(width):
            run += values[j, i]
            integral[j + 1, i + 1] = integral[j, i + 1] + run


@jit(inline="always")
def _fill_posterior_integral(bins, table, post, integral):
    """:func:`posterior_map` of ``bins`` into ``post`` and :func:`_fill_integral` of it, in one pass.

    Two rows at a time: each row's running sum is a chain of dependent additions, and two chains
    interleaved keep the adder busy (about 1.4x faster); every sum is taken in the same order as
    :func:`_fill_integral`'s, so the values are the same to the bit.
    """
    height, width = bins.shape
    for i in range(width + 1):
        integral[0, i] = 0.0
    j = 0
    while j < height:
        two = j + 1 < height
        above, middle, below = integral[j], integral[j + 1], integral[min(j + 2, height)]
        bins0, bins1 = bins[j], bins[min(j + 1, height - 1)]
        post0, post1 = post[j], post[min(j + 1, height - 1)]
        middle[0] = 0.0
        if two:
            below[0] = 0.0
        run0 = 0.0
        run1 = 0.0
        for i in range(width):
            b0 = bins0[i]
            v0 = table[b0] if b0 >= 0 else 0.0
            post0[i] = v0
            run0 += v0
            total = above[i + 1] + run0
            middle[i + 1] = total
            if two:
                b1 = bins1[i]
                v1 = table[b1] if b1 >= 0 else 0.0
                post1[i] = v1
                run1 += v1
                below[i + 1] = total + run1
        j += 2


@jit(inline="always")
def _window_score(upper, lower, i, cols, width):
    """Sum of the window of ``cols`` samples whose left edge is ``i - cols//2``, from two integral rows."""
    left = i - cols // 2
    c0 = min(max(left, 0), width)
    c1 = min(max(left + cols, 0), width)
    return upper[c1] - lower[c1] - upper[c0] + lower[c0]


@jit
def box_sums(values, rows, cols, integral, out):
    """``out[j, i]``: sum of ``values`` over the ``rows x cols`` window with top-left ``(j - rows//2, i - cols//2)``.

    Zeros outside the array. ``integral`` is a workspace of shape ``(H + 1, W + 1)``.
    """
    height, width = values.shape
    _fill_integral(values, integral)
    for j in range(height):
        upper = integral[min(max(j - rows // 2 + rows, 0), height)]
        lower = integral[min(max(j - rows // 2, 0), height)]
        for i in range(width):
            out[j, i] = _window_score(upper, lower, i, cols, width)


@jit(inline="always")
def _best_scored(integral, rows, cols, j0, j1, i0, i1, stride, shift_j, prior_scale, prior_i, scores, best, bj, bi):
    """Score the windows ``j0 <= j < j1, i0 <= i < i1`` (every ``stride``-th) into ``scores`` and return the
    best ``(value, j, i)`` under the prior, starting from ``(best, bj, bi)``; ties go to the first in
    row-major order."""
    height, width = integral.shape[0] - 1, integral.shape[1] - 1
    for j in range(j0, j1, stride):
        upper = integral[min(max(j - rows // 2 + rows, 0), height)]
        lower = integral[min(max(j - rows // 2, 0), height)]
        d = j + shift_j
        pj = np.exp(d * d * prior_scale)
        for i in range(i0, i1, stride):
            score = _window_score(upper, lower, i, cols, width)
            scores[j, i] = score
            v = score * (pj * prior_i[i])
            if v > best or (v == best and (j < bj or (j == bj and i < bi))):
                best = v
                bj = j
                bi = i
    return best, bj, bi


@jit
def best_window(bins, table, rows, cols, shift_j, shift_i, prior_scale, stride, post, integral, scores):
    """The best ``rows x cols`` window of the posterior map under a Gaussian motion prior, in one pass.

    Fills ``post`` (:func:`posterior_map` of ``bins`` through ``table``) and ``integral`` (its integral
    image), and returns ``(j, i)``: the first maximum in row-major order of
    ``scores[j, i] * exp(prior_scale * ((j + shift_j)**2 + (i + shift_i)**2))``, where ``scores`` are
    the :func:`box_sums` of ``post`` (``shift_*``: the window centre's offset from the prediction in grid
    units; ``prior_scale = -1 / (2 sigma**2)``, 0 for no prior). The prior is separable: ``rows + cols``
    exponentials instead of one per window.

    ``stride`` 1 scores every window (``scores`` is then filled entirely). ``stride`` s > 1 is a
    coarse-to-fine search: the windows at ``j % s == 0, i % s == 0`` first, then every window within
    ``s - 1`` of the best of those; only the windows scored are written into ``scores``. A window's
    score is a box sum, as smooth as the window is large, so on windows many strides wide the
    coarse grid finds the peak the full one does (and the caller refines the position by mean shift).
    """
    height, width = bins.shape
    _fill_posterior_integral(bins, table, post, integral)
    prior_i = np.empty(width)
    for i in range(width):
        d = i + shift_i
        prior_i[i] = np.exp(d * d * prior_scale)
    # The coarse pass over the whole map, then (stride > 1) the fine one around its best: one loop, so that
    # _best_scored is inlined once (each inlined copy is compiled again: the first start, issue 27).
    best, bj, bi = -1.0, 0, 0
    j0, j1, i0, i1, s = 0, height, 0, width, stride
    for _ in range(2 if stride > 1 else 1):
        best, bj, bi = _best_scored(integral, rows, cols, j0, j1, i0, i1, s, shift_j, prior_scale, prior_i, scores,
                                    best, bj, bi)
        j0, j1 = max(bj - stride + 1, 0), min(bj + stride, height)
        i0, i1, s = max(bi - stride + 1, 0), min(bi + stride, width), 1
    return bj, bi


@jit
def rect_match(bins, j0, j1, i0, i1, obj, post, hist):
    """``(bc, posterior_sum, samples)`` of the grid rectangle ``[j0, j1) x [i0, i1)`` (clipped).

    ``bc``: Bhattacharyya coefficient of its normalised histogram (left in ``hist``) with ``obj``, 0
    when it holds no unmasked sample; ``posterior_sum``: the sum of ``post`` over it; ``samples``: its
    grid samples inside the grid, masked ones included.
    """
    rows, cols = bins.shape
    samples = _rect_samples(rows, cols, j0, j1, i0, i1)
    # No rectangle left out, given as variables: literal zeros would compile a second grid_histogram.
    n = grid_histogram(bins, j0, j1, i0, i1, j0, j0, i0, i0, hist)
    total = rect_sum(post, j0, j1, i0, i1)
    if n <= 0:
        return 0.0, total, samples
    bc = 0.0
    for u in range(hist.shape[0]):
        hist[u] /= n
        v = hist[u] * obj[u]
        if v > 0.0:
            bc += np.sqrt(v)
    return bc, total, samples


@jit
def blend_histogram(bins, j0, j1, i0, i1, ej0, ej1, ei0, ei1, rate, counts, hist):
    """Blend the normalised histogram of ``[j0, j1) x [i0, i1)`` minus ``[ej0, ej1) x [ei0, ei1)`` into
    ``hist`` at ``rate``: ``hist = (1 - rate) hist + rate counts / n``. Returns ``n`` (nothing blended if 0)."""
    n = grid_histogram(bins, j0, j1, i0, i1, ej0, ej1, ei0, ei1, counts)
    if n > 0:
        for u in range(hist.shape[0]):
            hist[u] = (1 - rate) * hist[u] + rate * counts[u] / n
    return n


@jit(fastmath=False)
def grid_rect(x0, y0, step, cx, cy, w, h):
    """Grid rectangle ``(j0, j1, i0, i1)`` of the pixels of the box of centre ``(cx, cy)``, size ``w x h``.

    Pixel ``(x0 + i*step, y0 + j*step)`` is sample ``(j, i)``; half-open, not clipped. Exact IEEE
    arithmetic (no fastmath): a rounding at a whole number would move the edge by a sample.
    """
    i0 = int(np.ceil((cx - (w - 1) / 2 - x0) / step))
    i1 = int(np.floor((cx + (w - 1) / 2 - x0) / step)) + 1
    j0 = int(np.ceil((cy - (h - 1) / 2 - y0) / step))
    j1 = int(np.floor((cy + (h - 1) / 2 - y0) / step)) + 1
    return j0, j1, i0, i1


@jit(inline="always")
def _rect_samples(rows, cols, j0, j1, i0, i1):
    return max(0, min(j1, rows) - max(j0, 0)) * max(0, min(i1, cols) - max(i0, 0))


@jit
def zeroth_moment_ratio(post, x0, y0, step, cx, cy, w, h, surround, max_step, scale_check, reference=0.0):
    """The side ratio the zeroth moment asks for: ``sqrt(m00 / (w h))`` within ``1 / (1 + max_step)`` and
    ``1 + max_step``.

    ``m00`` is the sum of ``post`` (P(obj | u) on the grid of origin ``(x0, y0)`` and ``step``) over
    the learning region (the box ``surround`` times as large), in pixels. A positive ``reference``
    (pixels) replaces the box's area ``w h`` as the denominator (the expected sample area
    ``(w - 1)(h - 1)``). With ``scale_check`` the change must agree with the band it adds (or
    removes): the band's mean posterior is compared with the midpoint of the box's and the ring's
    means, and the ratio is 1 when they disagree.
    """
    rows, cols = post.shape
    j0, j1, i0, i1 = grid_rect(x0, y0, step, cx, cy, w * surround, h * surround)
    m00 = rect_sum(post, j0, j1, i0, i1) * step ** 2
    area = reference if reference > 0 else w * h
    ratio = np.sqrt(m00 / area) if m00 > 0 else 1.0
    ratio = min(max(ratio, 1 / (1 + max_step)), 1 + max_step)
    if not scale_check or ratio == 1.0:
        return ratio
    b0, b1, c0, c1 = grid_rect(x0, y0, step, cx, cy, w, h)
    box_sum = rect_sum(post, b0, b1, c0, c1)
    box_count = _rect_samples(rows, cols, b0, b1, c0, c1)
    ring_count = _rect_samples(rows, cols, j0, j1, i0, i1) - box_count
    small, large = min(ratio, 1.0), max(ratio, 1.0)
    n0, n1, m0, m1 = grid_rect(x0, y0, step, cx, cy, w * small, h * small)
    o0, o1, p0, p1 = grid_rect(x0, y0, step, cx, cy, w * large, h * large)
    band = rect_sum(post, o0, o1, p0, p1) - rect_sum(post, n0, n1, m0, m1)
    count = _rect_samples(rows, cols, o0, o1, p0, p1) - _rect_samples(rows, cols, n0, n1, m0, m1)
    if count > 0 and box_count > 0 and ring_count > 0:
        mid = 0.5 * (box_sum / box_count + (m00 / step ** 2 - box_sum) / ring_count)
        if (band / count > mid) != (ratio > 1):
            return 1.0
    return ratio


@jit
def map_mean_shift(values, cx, cy, hw, hh, eps2, max_iterations):
    """Mean shift on a weight map with the Epanechnikov kernel (flat derivative profile), grid units.

    Each step moves ``(cx, cy)`` to the ``values``-weighted mean of the samples inside the ellipse of
    half-axes ``(hw, hh)``. Returns ``(cx, cy, iterations, mass)``; stops when the shift is below
    ``sqrt(eps2)``, after ``max_iterations``, or when the ellipse holds no weight (mass 0).
    """
    rows, cols = values.shape
    mass = 0.0
    iterations = 0
    hw = max(hw, 0.5)
    hh = max(hh, 0.5)
    while iterations < max_iterations:
        s = 0.0
        sx = 0.0
        sy = 0.0
        j0 = max(int(np.ceil(cy - hh)), 0)
        j1 = min(int(np.floor(cy + hh)), rows - 1)
        i0 = max(int(np.ceil(cx - hw)), 0)
        i1 = min(int(np.floor(cx + hw)), cols - 1)
        for j in range(j0, j1 + 1):
            v = (j - cy) / hh
            v2 = v * v
            for i in range(i0, i1 + 1):
                u = (i - cx) / hw
                if u * u + v2 <= 1.0:
                    w = values[j, i]
                    s += w
                    sx += w * i
                    sy += w * j
        iterations += 1
        mass = s
        if s <= 0:
            break
        nx = sx / s
        ny = sy / s
        shift2 = (nx - cx) ** 2 + (ny - cy) ** 2
        cx, cy = nx, ny
        if shift2 < eps2:
            break
    return cx, cy, iterations, mass


def compile_frame_kernels(share: str = "all") -> None:
    """Compile (or load from Numba's cache) the kernels of :class:`~meanshift.posterior_tracking.PosteriorTracking`
    whose types no frame decides.

    Each is called once on tiny arrays of the types the engine passes them. ``share`` splits them between
    two processes compiling into one cache on a fresh install (:mod:`meanshift.apps.warmup`), about half
    of the compile time each: ``"first"`` is the smallest, compiled before the second process is forked
    so that both find Numba's compiler set up (a quarter of a second); ``"helper"`` takes the size step
    and the window search, which a tracker's first frame calls last; ``"tracker"`` the rest (the
    tracker's first ``init`` compiles most of those, with the quantiser whose types follow the frame's).
    ``"all"`` compiles them all.
    """
    if share not in ("all", "first", "helper", "tracker"):
        raise ValueError(f"share must be 'all', 'first', 'helper' or 'tracker', not {share!r}")
    bins = np.zeros((4, 4), np.int32)
    post, integral, scores = np.zeros((4, 4)), np.zeros((5, 5)), np.zeros((4, 4))
    table, other, out = np.zeros(2), np.zeros(2), np.zeros(2)
    if share in ("all", "first"):
        posterior_table(table, 1.0, other, 1.0, 0.5, out)
    if share in ("all", "helper"):
        zeroth_moment_ratio(post, 0, 0, 1, 1.5, 1.5, 2.0, 2.0, 2.0, 0.05, True, 1.0)
        best_window(bins, table, 2, 2, 0.0, 0.0, 0.0, 1, post, integral, scores)
    if share in ("all", "tracker"):
        blend_histogram(bins, 0, 2, 0, 2, 0, 0, 0, 0, 0.5, other, out)
        rect_match(bins, 0, 2, 0, 2, table, post, out)
        map_mean_shift(post, 1.5, 1.5, 1.0, 1.0, 0.01, 10)
