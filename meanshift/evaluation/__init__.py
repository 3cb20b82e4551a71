"""Evaluation by the field's conventions: the OTB one-pass protocol over OTB-layout datasets.

``datasets`` (sequences and ground truth) -> ``baselines`` (OpenCV's trackers behind our interface) ->
``runner`` (every tracker on every sequence, timed) -> ``metrics`` (success/precision curves, AUC, P@20)
-> ``report`` (tables, per-frame boxes, plots). Uses the public :mod:`meanshift` API only.

Examples
--------
>>> from meanshift.evaluation import evaluate                                 # doctest: +SKIP
>>> ev = evaluate("../shared/data/sequences", ["meanshift-generalized", "opencv-camshift"],
...               out="out/eval", jobs=2)                                       # doctest: +SKIP
>>> print(ev.mean_table_markdown())                                            # doctest: +SKIP
"""

from meanshift.evaluation.report import plot_curves, write_results
from meanshift.evaluation.runner import Evaluation, evaluate, run_tracker, tracker_names

__all__ = ["evaluate", "Evaluation", "run_tracker", "tracker_names", "write_results", "plot_curves"]
