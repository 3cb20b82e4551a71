"""Tracking accuracy metrics of the OTB one-pass evaluation (OPE), as the field computes them.

Everything here is pure, vectorised NumPy over arrays of boxes of shape ``(N, 4)`` holding
``(x, y, w, h)`` per row: ``x, y`` the top-left corner, ``w, h`` the width and height in pixels.

Definitions (Wu, Lim & Yang, "Online Object Tracking: A Benchmark", CVPR 2013 / TPAMI 2015, and
their reimplementation in the got10k and pysot toolkits):

* **Overlap (IoU)** of a predicted box ``a`` and a ground-truth box ``b`` is
  ``|a ∩ b| / |a ∪ b|`` with the boxes taken as continuous rectangles ``[x, x + w) × [y, y + h)``.
  The OTB MATLAB toolkit (``calcRectInt``) writes it with inclusive pixel ends ``x + w − 1`` and
  a ``+ 1`` in the intersection, which is the same number.
* **Centre** of a box is ``(x + (w − 1) / 2, y + (h − 1) / 2)`` (OTB and got10k); the **centre
  error** is the Euclidean distance in pixels between the predicted and the ground-truth centre.
* **Success curve**: for each overlap threshold ``t`` in ``0, 0.05, …, 1`` (21 values), the
  fraction of frames whose IoU is *strictly greater* than ``t``.  The **AUC** (success score) is
  the mean of those 21 values.
* **Precision curve**: for each centre-error threshold ``t`` in ``0, 1, …, 50`` pixels (51 values),
  the fraction of frames whose centre error is *at most* ``t``.  **P@20** (precision score) is the
  value at 20 px.
* Frames whose ground truth is invalid (``w <= 0``, ``h <= 0`` or any value NaN) are left out of
  both curves (got10k drops NaN rows; OTB marks absent targets with zero-size boxes).  A
  prediction containing NaN counts as a miss: IoU 0 and an infinite centre error.

Coordinate origin: OTB ground truth is 1-based (MATLAB), VOT-derived rectangles are 0-based.
Both IoU and centre error are invariant to a shift applied to *both* boxes, and a one-pass
evaluation initialises the tracker on the ground truth of the first frame, so the tracker's
output inherits the ground truth's origin. No shift is needed as long as predictions and
ground truth come from the same sequence.

Examples
--------
>>> import numpy as np
>>> from meanshift.evaluation.metrics import iou, center_error, score_sequence
>>> gt = np.array([[0, 0, 10, 10], [0, 0, 10, 10]], dtype=float)
>>> pred = np.array([[0, 0, 10, 10], [5, 0, 10, 10]], dtype=float)
>>> iou(pred, gt).round(4).tolist()
[1.0, 0.3333]
>>> center_error(pred, gt).tolist()
[0.0, 5.0]
>>> s = score_sequence(pred, gt)
>>> round(s.auc, 4), s.precision_at_20
(0.6429, 1.0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "SUCCESS_THRESHOLDS",
    "PRECISION_THRESHOLDS",
    "PRECISION_AT",
    "as_boxes",
    "valid_boxes",
    "centers",
    "iou",
    "center_error",
    "success_curve",
    "precision_curve",
    "auc",
    "precision_at",
    "SequenceScore",
    "score_sequence",
    "ON_TARGET_IOU",
    "LossReport",
    "loss_report",
]

#: IoU thresholds of the success plot: 0, 0.05, ..., 1 (21 values), as in OTB and got10k.
SUCCESS_THRESHOLDS: np.ndarray = np.linspace(0.0, 1.0, 21)
#: Centre-error thresholds of the precision plot in pixels: 0, 1, ..., 50 (51 values).
PRECISION_THRESHOLDS: np.ndarray = np.arange(0, 51, dtype=np.float64)
#: The precision score is read at this centre error (pixels).
PRECISION_AT: float = 20.0
#: :func:`loss_report` counts a frame as on the target from this overlap up (OTB's usual success threshold).
ON_TARGET_IOU: float = 0.5


def as_boxes(boxes, *, name: str = "boxes") -> np.ndarray:
    """Convert to a float64 array of shape ``(N, 4)``; a single box ``(x, y, w, h)`` becomes ``(1, 4)``.

    Raises
    ------
    ValueError
        If the input cannot be read as rows of 4 numbers.
    """
    arr = np.asarray(boxes, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == 4:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 4:
        raise ValueError(f"{name} must have shape (N, 4) of (x, y, w, h) rows, got shape {arr.shape}")
    return arr


def valid_boxes(boxes) -> np.ndarray:
    """Boolean mask of rows that are usable ground truth: finite, ``w > 0`` and ``h > 0``.

    Examples
    --------
    >>> valid_boxes([[0, 0, 5, 5], [0, 0, 0, 5], [np.nan, 0, 5, 5]]).tolist()
    [True, False, False]
    """
    b = as_boxes(boxes)
    return np.all(np.isfinite(b), axis=1) & (b[:, 2] > 0) & (b[:, 3] > 0)


def centers(boxes) -> np.ndarray:
    """Box centres ``(x + (w − 1) / 2, y + (h − 1) / 2)``, shape ``(N, 2)`` (OTB / got10k convention).

    Examples
    --------
    >>> centers([[1, 1, 3, 5]]).tolist()
    [[2.0, 3.0]]
    """
    b = as_boxes(boxes)
    return b[:, :2] + (b[:, 2:] - 1.0) / 2.0


def iou(pred, gt) -> np.ndarray:
    """Intersection over union of paired boxes, shape ``(N,)``, values in ``[0, 1]``.

    Boxes are continuous rectangles ``[x, x + w) × [y, y + h)``.  Negative widths or heights are
    treated as empty boxes; a pair whose union is empty, or containing NaN, has IoU 0.

    Parameters
    ----------
    pred, gt : array_like, shape (N, 4)
        Paired boxes ``(x, y, w, h)``.
    """
    a = as_boxes(pred, name="pred")
    b = as_boxes(gt, name="gt")
    if a.shape != b.shape:
        raise ValueError(f"pred and gt must pair up, got shapes {a.shape} and {b.shape}")
    aw, ah = np.maximum(a[:, 2], 0.0), np.maximum(a[:, 3], 0.0)
    bw, bh = np.maximum(b[:, 2], 0.0), np.maximum(b[:, 3], 0.0)
    iw = np.minimum(a[:, 0] + aw, b[:, 0] + bw) - np.maximum(a[:, 0], b[:, 0])
    ih = np.minimum(a[:, 1] + ah, b[:, 1] + bh) - np.maximum(a[:, 1], b[:, 1])
    inter = np.maximum(iw, 0.0) * np.maximum(ih, 0.0)
    union = aw * ah + bw * bh - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(union > 0, inter / union, 0.0)
    # NaN anywhere in a row makes every comparison above False or NaN: count it as no overlap.
    out = np.where(np.isfinite(out), out, 0.0)
    return np.clip(out, 0.0, 1.0)


def center_error(pred, gt) -> np.ndarray:
    """Euclidean distance in pixels between paired box centres, shape ``(N,)``.

    A row with NaN gets ``inf``, so that it fails every precision threshold.
    """
    a = as_boxes(pred, name="pred")
    b = as_boxes(gt, name="gt")
    if a.shape != b.shape:
        raise ValueError(f"pred and gt must pair up, got shapes {a.shape} and {b.shape}")
    d = np.hypot(*(centers(a) - centers(b)).T)
    return np.where(np.isnan(d), np.inf, d)


def success_curve(ious, thresholds=SUCCESS_THRESHOLDS) -> np.ndarray:
    """Fraction of frames with IoU strictly greater than each threshold, shape ``(len(thresholds),)``.

    An empty input gives a curve of NaN (no frame to score).

    Examples
    --------
    >>> success_curve([0.0, 0.5, 1.0], thresholds=[0.0, 0.5, 1.0]).round(4).tolist()
    [0.6667, 0.3333, 0.0]
    """
    v = np.asarray(ious, dtype=np.float64).ravel()
    t = np.asarray(thresholds, dtype=np.float64).ravel()
    if v.size == 0:
        return np.full(t.shape, np.nan)
    return np.mean(v[:, None] > t[None, :], axis=0)


def precision_curve(errors, thresholds=PRECISION_THRESHOLDS) -> np.ndarray:
    """Fraction of frames with centre error at most each threshold, shape ``(len(thresholds),)``.

    Examples
    --------
    >>> precision_curve([0.0, 20.0, 20.5], thresholds=[0, 20, 50]).round(4).tolist()
    [0.3333, 0.6667, 1.0]
    """
    v = np.asarray(errors, dtype=np.float64).ravel()
    t = np.asarray(thresholds, dtype=np.float64).ravel()
    if v.size == 0:
        return np.full(t.shape, np.nan)
    return np.mean(v[:, None] <= t[None, :], axis=0)


def auc(success: np.ndarray) -> float:
    """Area under the success curve as OTB/got10k report it: the plain mean of its values.

    With the 21 thresholds ``0, 0.05, …, 1`` this equals the mean IoU-based success rate, and
    (up to the last threshold, where ``IoU > 1`` never holds) approximately the mean IoU.
    """
    return float(np.mean(np.asarray(success, dtype=np.float64)))


def precision_at(precision: np.ndarray, pixels: float = PRECISION_AT,
                 thresholds=PRECISION_THRESHOLDS) -> float:
    """Value of a precision curve at a threshold in pixels (20 px by default); it must be on the grid."""
    t = np.asarray(thresholds, dtype=np.float64)
    idx = np.flatnonzero(t == pixels)
    if idx.size == 0:
        raise ValueError(f"pixels={pixels} is not one of the precision thresholds {t.tolist()}")
    return float(np.asarray(precision, dtype=np.float64)[idx[0]])


@dataclass(frozen=True)
class SequenceScore:
    """Scores of one tracker on one sequence.

    Attributes
    ----------
    ious, center_errors : ndarray, shape (n_valid,)
        Per-frame values over the frames with valid ground truth.
    valid : ndarray of bool, shape (N,)
        Which frames were scored.
    success, precision : ndarray
        The success curve (21 values) and the precision curve (51 values).
    auc, precision_at_20 : float
        The success score (mean of ``success``) and the precision at 20 px.
    """

    ious: np.ndarray
    center_errors: np.ndarray
    valid: np.ndarray
    success: np.ndarray
    precision: np.ndarray
    auc: float
    precision_at_20: float

    @property
    def n_valid(self) -> int:
        """Number of frames scored."""
        return int(self.valid.sum())


def score_sequence(pred, gt) -> SequenceScore:
    """Score predicted boxes against ground truth of one sequence (one-pass evaluation).

    Parameters
    ----------
    pred, gt : array_like, shape (N, 4)
        One ``(x, y, w, h)`` box per frame, in the same coordinate convention.  The first frame
        is included, as in OTB/got10k, where the tracker reports its initial box for frame 1.

    Returns
    -------
    SequenceScore
        Curves and scores over the frames with valid ground truth (see :func:`valid_boxes`).

    Raises
    ------
    ValueError
        If the arrays do not pair up.
    """
    p = as_boxes(pred, name="pred")
    g = as_boxes(gt, name="gt")
    if p.shape != g.shape:
        raise ValueError(
            f"pred has {p.shape[0]} boxes but gt has {g.shape[0]}; they must pair up frame by frame"
        )
    valid = valid_boxes(g)
    ious = iou(p[valid], g[valid])
    errors = center_error(p[valid], g[valid])
    succ = success_curve(ious)
    prec = precision_curve(errors)
    return SequenceScore(
        ious=ious,
        center_errors=errors,
        valid=valid,
        success=succ,
        precision=prec,
        auc=auc(succ),
        precision_at_20=precision_at(prec, PRECISION_AT),
    )


@dataclass(frozen=True)
class LossReport:
    """How well a tracker's ``ok`` flag separates its failures from its good frames (frames counted).

    The success and precision curves ignore ``ok``; a user who keeps only the trusted boxes (a
    batch that drops the frames reported lost) needs to know what the flag is worth. A frame is
    **off the target** when its box does not overlap the ground truth at all (IoU 0: a switch to
    another object, or the background), **on the target** when its IoU is at least
    :data:`ON_TARGET_IOU`. Frames with invalid ground truth are not counted. Reports add up over
    sequences (``a + b``).

    Attributes
    ----------
    off_target, off_target_reported : int
        Frames off the target, and how many of them were reported lost (``ok`` False).
    on_target, on_target_reported : int
        Frames on the target, and how many of them were reported lost (false alarms).
    trusted, trusted_off_target : int
        Frames reported ``ok``, and how many of them were off the target.
    """

    off_target: int = 0
    off_target_reported: int = 0
    on_target: int = 0
    on_target_reported: int = 0
    trusted: int = 0
    trusted_off_target: int = 0

    def __add__(self, other: LossReport) -> LossReport:
        return LossReport(*(a + b for a, b in zip(self._counts(), other._counts(), strict=True)))

    def _counts(self) -> tuple[int, ...]:
        return (self.off_target, self.off_target_reported, self.on_target, self.on_target_reported, self.trusted,
                self.trusted_off_target)

    @property
    def failure_recall(self) -> float:
        """Fraction of the frames off the target that were reported lost (NaN without such frames)."""
        return self.off_target_reported / self.off_target if self.off_target else float("nan")

    @property
    def false_alarm_rate(self) -> float:
        """Fraction of the frames on the target that were reported lost (NaN without such frames)."""
        return self.on_target_reported / self.on_target if self.on_target else float("nan")

    @property
    def trusted_miss_rate(self) -> float:
        """Fraction of the frames reported ``ok`` whose box is off the target (NaN if none is ``ok``)."""
        return self.trusted_off_target / self.trusted if self.trusted else float("nan")


def loss_report(pred, gt, ok) -> LossReport:
    """Count how a tracker's ``ok`` flags line up with its overlap with the ground truth, per frame.

    Parameters
    ----------
    pred, gt : array_like, shape (N, 4)
        Predicted and ground-truth boxes, as :func:`score_sequence` takes them.
    ok : array_like of bool, shape (N,)
        The tracker's per-frame verdict (``TrackResult.ok``).

    Returns
    -------
    LossReport

    Examples
    --------
    >>> import numpy as np
    >>> gt = np.array([[0, 0, 10, 10]] * 4, dtype=float)
    >>> pred = np.array([[0, 0, 10, 10], [50, 50, 10, 10], [50, 50, 10, 10], [1, 0, 10, 10]], dtype=float)
    >>> r = loss_report(pred, gt, [True, False, True, False])
    >>> r.off_target, r.failure_recall, r.false_alarm_rate, r.trusted_miss_rate
    (2, 0.5, 0.5, 0.5)
    """
    p = as_boxes(pred, name="pred")
    g = as_boxes(gt, name="gt")
    flags = np.asarray(ok, dtype=bool).reshape(-1)
    if p.shape != g.shape or flags.shape[0] != p.shape[0]:
        raise ValueError(f"pred ({p.shape[0]}), gt ({g.shape[0]}) and ok ({flags.shape[0]}) must pair up frame by "
                         "frame")
    valid = valid_boxes(g)
    overlap = np.zeros(p.shape[0])
    overlap[valid] = iou(p[valid], g[valid])
    off = valid & (overlap <= 0.0)
    on = valid & (overlap >= ON_TARGET_IOU)
    trusted = valid & flags
    return LossReport(off_target=int(off.sum()), off_target_reported=int((off & ~flags).sum()),
                      on_target=int(on.sum()), on_target_reported=int((on & ~flags).sum()),
                      trusted=int(trusted.sum()), trusted_off_target=int((trusted & off).sum()))
