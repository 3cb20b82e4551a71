"""The joint colour-texture quantiser of the posterior part (``ModelLearning.texture``): frame to bins.

Like :mod:`meanshift._kernels.quantize`, it turns pixels of a grid of the frame into bins, here a colour
level times a 4-neighbour local binary pattern; the posterior kernels (:mod:`meanshift._kernels.posterior`)
then read those bins like any other.
"""

from __future__ import annotations

import numpy as np

from meanshift._jit import jit

__all__ = ["quantize_texture"]


@jit(inline="always")
def _channel_mean(frame, y, x, channels):
    """The integer mean of pixel ``(x, y)``'s channels; one and three channels without a division
    (a run-time divisor costs an integer division per pixel and neighbour: 5 of them per sample)."""
    if channels == 1:
        return np.int64(frame[y, x, 0])
    if channels == 3:
        return (np.int64(frame[y, x, 0]) + np.int64(frame[y, x, 1]) + np.int64(frame[y, x, 2])) // 3
    total = 0
    for c in range(channels):
        total += np.int64(frame[y, x, c])
    return total // channels


def quantize_texture(frame: np.ndarray, x0: int, y0: int, step: int, colour_bins: int, radius: int, tolerance: int,
                     reverse: bool, out: np.ndarray) -> None:
    """Joint colour-texture bin of pixel ``(x0 + i*step, y0 + j*step)`` into ``out[j, i]``.

    Texture: a 4-neighbour local binary pattern on the channel mean ``g`` (bit k set when the
    neighbour at ``radius`` pixels — right, down, left, up — is brighter than ``g + tolerance``;
    neighbours past the frame's edge count as equal). Colour: ``colour_bins`` levels per channel
    (one channel for a single-channel frame), read last channel first when ``reverse`` (RGB frames, so
    that they get the bins their BGR twins get). Bin = ``colour * 16 + pattern``, so
    ``colour_bins**channels * 16`` bins.

    Two kernels give the same bins: one for neighbours on the grid (``radius`` a multiple of ``step``, as
    the tracker asks), one for any radius. Each is compiled only when first called: a run that never
    takes the other path does not wait for it (issue 27, the first start).
    """
    kernel = _texture_on_grid if radius % step == 0 else _texture_off_grid
    kernel(frame, x0, y0, step, colour_bins, radius, tolerance, reverse, out)


@jit
def _texture_on_grid(frame, x0, y0, step, colour_bins, radius, tolerance, reverse, out):
    """:func:`quantize_texture` when ``radius`` is a multiple of ``step``."""
    height, width, channels = frame.shape
    rows, cols = out.shape
    # The neighbours are samples of the grid itself (k samples away): each pixel's mean is taken
    # once, over the grid and a halo of k samples (-1 past the frame's edge, which never counts).
    k = radius // step
    means = np.empty((rows + 2 * k, cols + 2 * k), np.int64)
    for jj in range(rows + 2 * k):
        y = y0 + (jj - k) * step
        for ii in range(cols + 2 * k):
            x = x0 + (ii - k) * step
            means[jj, ii] = _channel_mean(frame, y, x, channels) if 0 <= y < height and 0 <= x < width else -1
    for j in range(rows):
        y = y0 + j * step
        centre, below, above = means[j + k], means[j + 2 * k], means[j]
        for i in range(cols):
            x = x0 + i * step
            colour = 0
            for c in range(channels):
                cc = channels - 1 - c if reverse else c
                colour = colour * colour_bins + (np.int64(frame[y, x, cc]) * colour_bins >> 8)
            level = centre[i + k] + tolerance
            pattern = ((centre[i + 2 * k] > level) | (below[i + k] > level) << 1 | (centre[i] > level) << 2
                       | (above[i + k] > level) << 3)
            out[j, i] = colour * 16 + pattern


@jit
def _texture_off_grid(frame, x0, y0, step, colour_bins, radius, tolerance, reverse, out):
    """:func:`quantize_texture` for any ``radius``: each neighbour's mean taken where it is read."""
    height, width, channels = frame.shape
    for j in range(out.shape[0]):
        y = y0 + j * step
        up, down = y - radius >= 0, y + radius < height
        for i in range(out.shape[1]):
            x = x0 + i * step
            colour = 0
            for c in range(channels):
                cc = channels - 1 - c if reverse else c
                colour = colour * colour_bins + (np.int64(frame[y, x, cc]) * colour_bins >> 8)
            level = _channel_mean(frame, y, x, channels) + tolerance
            pattern = 0
            if x + radius < width and _channel_mean(frame, y, x + radius, channels) > level:
                pattern |= 1
            if down and _channel_mean(frame, y + radius, x, channels) > level:
                pattern |= 2
            if x - radius >= 0 and _channel_mean(frame, y, x - radius, channels) > level:
                pattern |= 4
            if up and _channel_mean(frame, y - radius, x, channels) > level:
                pattern |= 8
            out[j, i] = colour * 16 + pattern
