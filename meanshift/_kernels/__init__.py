"""The Numba kernels, one module per stage of the flow (private).

``quantize`` pixels of a region to bins (lazily, row span by row span) -> ``windows`` which grid pixels a
window covers and their kernel values -> ``histograms`` of a window (kernel-weighted, flat rings, several
sizes at once) -> ``similarity`` per-bin weights and values of the built-in measures -> ``mean_shift``
one step and the fused iteration -> ``moments`` of a box under a weight table.

Every function takes arrays and scalars, writes into preallocated outputs where it produces arrays, and
trusts its caller (the public modules validate). Each is compared against a slow NumPy reference in
``tests/naive.py``. Coordinates are pixel indices: the pixel in column ``i`` sits at ``x = i``. A
*region* is a grid of pixels of the frame, ``(rx0 + xx*step, ry0 + yy*step)``, whose bins are stored
in an int32 array ``bins[yy, xx]``; ``step > 1`` samples large targets sparsely so that their cost
stays bounded. Window centres and boxes are given in frame coordinates.
"""

from meanshift._kernels.histograms import (
    accumulate_histogram,
    contrast_workspace,
    flat_histogram,
    kernel_histogram,
    window_and_ring_histograms,
)
from meanshift._kernels.mean_shift import (
    converge,
    converge_tracked,
    converge_workspace,
    mean_shift_step,
)
from meanshift._kernels.moments import (
    box_moments,
)
from meanshift._kernels.quantize import (
    FEATURE_BGR,
    FEATURE_GRAY,
    FEATURE_HSV_FULL,
    FEATURE_HUE,
    FEATURE_HUE_SAT,
    FEATURE_LAB,
    FEATURE_YCRCB,
    MASKED,
    channel_place_tables,
    count_masked,
    ensure_span,
    hsv_division_tables,
    mask_box,
    quantize_region,
    quantize_span,
    quantize_three_channels,
)
from meanshift._kernels.similarity import (
    WEIGHTS_BACKGROUND_RATIO,
    WEIGHTS_BACKPROJECTION,
    WEIGHTS_BHATTACHARYYA,
    WEIGHTS_CHI_SQUARE,
    WEIGHTS_INTERSECTION,
    WEIGHTS_L2,
    WEIGHTS_LOG_LIKELIHOOD,
    WEIGHTS_POSTERIOR,
    WEIGHTS_RATIO,
    bhattacharyya_coefficient,
    bin_weight,
    contrast_scores,
    global_terms,
    similarity_value,
    similarity_weights,
)
from meanshift._kernels.windows import (
    KERNEL_BIWEIGHT,
    KERNEL_EPANECHNIKOV,
    KERNEL_FLAT,
    KERNEL_GAUSSIAN,
    grid_span,
    kernel_row_span,
    kernel_value,
)

__all__ = [
    "FEATURE_GRAY",
    "FEATURE_HUE",
    "FEATURE_HUE_SAT",
    "FEATURE_BGR",
    "FEATURE_HSV_FULL",
    "FEATURE_LAB",
    "FEATURE_YCRCB",
    "hsv_division_tables",
    "MASKED",
    "quantize_span",
    "quantize_region",
    "channel_place_tables",
    "quantize_three_channels",
    "ensure_span",
    "mask_box",
    "count_masked",
    "KERNEL_FLAT",
    "KERNEL_EPANECHNIKOV",
    "KERNEL_GAUSSIAN",
    "KERNEL_BIWEIGHT",
    "kernel_value",
    "grid_span",
    "kernel_row_span",
    "kernel_histogram",
    "accumulate_histogram",
    "flat_histogram",
    "contrast_workspace",
    "window_and_ring_histograms",
    "WEIGHTS_BACKPROJECTION",
    "WEIGHTS_BHATTACHARYYA",
    "WEIGHTS_RATIO",
    "WEIGHTS_INTERSECTION",
    "WEIGHTS_CHI_SQUARE",
    "WEIGHTS_L2",
    "WEIGHTS_LOG_LIKELIHOOD",
    "WEIGHTS_BACKGROUND_RATIO",
    "WEIGHTS_POSTERIOR",
    "bin_weight",
    "global_terms",
    "bhattacharyya_coefficient",
    "similarity_value",
    "contrast_scores",
    "similarity_weights",
    "mean_shift_step",
    "converge_workspace",
    "converge",
    "converge_tracked",
    "box_moments",
]
