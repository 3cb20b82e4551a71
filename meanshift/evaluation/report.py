"""Writing an evaluation: Markdown and CSV tables, per-frame boxes, curves as JSON, success and precision plots."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

from meanshift.evaluation.metrics import PRECISION_THRESHOLDS, SUCCESS_THRESHOLDS
from meanshift.evaluation.results import Evaluation
from meanshift.evaluation.trackers import OURS_PREFIX

__all__ = ["write_results", "plot_curves"]


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return str(v)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _fmt(v) for k, v in row.items()})


def write_results(ev: Evaluation, out: str | Path, *, plots: bool = True) -> list[Path]:
    """Write an evaluation's tables, plots and per-frame boxes into ``out``.

    Files:

    * ``mean.md``, ``mean.csv``: one row per tracker, mean AUC, P@20 and fps (best AUC first).
    * ``per_sequence.md`` (AUC, P@20 and fps tables), ``per_sequence.csv`` (one row per pair).
    * ``success.png``, ``precision.png``: one curve per tracker, AUC / P@20 in the legend.
    * ``curves.json``: mean and per-sequence curves, thresholds and how the run was made.
    * ``boxes/<tracker>/<sequence>.csv``: ``frame, x, y, w, h, ok, update_ms`` per frame.

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    mean_rows = ev.mean_rows()
    _write_csv(out / "mean.csv", mean_rows)
    _write_csv(out / "per_sequence.csv", ev.sequence_rows())
    header = (
        f"One-pass evaluation on {len(ev.sequences)} sequences ({sum(ev.frames.values())} frames). "
        "AUC: mean over sequences of the area under the success curve (IoU > t, t = 0..1 step 0.05); "
        "P@20: fraction of frames with centre error <= 20 px; fps: `update` calls per second."
    )
    (out / "mean.md").write_text(f"{header}\n\n{ev.mean_table_markdown()}\n")
    (out / "per_sequence.md").write_text(f"{header}\n\n{ev.sequence_table_markdown()}\n")
    written += [out / "mean.csv", out / "per_sequence.csv", out / "mean.md", out / "per_sequence.md"]
    curves = {
        "meta": ev.meta,
        "success_thresholds": SUCCESS_THRESHOLDS.tolist(),
        "precision_thresholds": PRECISION_THRESHOLDS.tolist(),
        "mean": {t: {"success": ev.mean_success(t).tolist(), "precision": ev.mean_precision(t).tolist()}
                 for t in ev.trackers},
        "sequences": {s: {t: {"success": ev.scores[s, t].success.tolist(),
                              "precision": ev.scores[s, t].precision.tolist(),
                              "error": ev.runs[s, t].error}
                          for t in ev.trackers} for s in ev.sequences},
        "problems": ev.problems(),
        "tracker_warnings": ev.warning_lines(),
    }
    (out / "curves.json").write_text(json.dumps(curves, indent=1, allow_nan=False, default=_json_safe))
    written.append(out / "curves.json")
    for (s, t), r in ev.runs.items():
        d = out / "boxes" / t
        d.mkdir(parents=True, exist_ok=True)
        path = d / f"{s}.csv"
        with path.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["frame", "x", "y", "w", "h", "ok", "update_ms"])
            for i in range(len(r.boxes)):
                w.writerow([i + 1, *(_fmt(round(float(v), 3)) for v in r.boxes[i]), int(r.ok[i]),
                            _fmt(round(float(r.update_seconds[i]) * 1000.0, 3))])
        written.append(path)
    if plots:
        written += plot_curves(ev, out)
    return written


def _json_safe(v):
    return None if isinstance(v, float) and not math.isfinite(v) else str(v)


def _require_matplotlib():
    try:
        import matplotlib
    except ImportError as exc:
        raise ImportError(
            "the success and precision plots need matplotlib: pip install '.[plots]' (from the meanshift checkout)"
        ) from exc
    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    return plt


def plot_curves(ev: Evaluation, out: str | Path) -> list[Path]:
    """Draw ``success.png`` and ``precision.png`` (mean over sequences, one curve per tracker).

    Raises
    ------
    ImportError
        If matplotlib is missing; the message names the extra to install.
    """
    plt = _require_matplotlib()
    out = Path(out)
    ranked = ev.ranked_trackers()
    n_seq, n_frames = len(ev.sequences), sum(ev.frames.values())
    cmap = plt.get_cmap("tab10")
    paths = []
    for kind in ("success", "precision"):
        fig, ax = plt.subplots(figsize=(6.4, 4.8), dpi=110)
        order = ranked if kind == "success" else sorted(ranked, key=lambda t: -ev.mean_precision_at_20(t))
        for t in order:
            color = cmap(ranked.index(t) % 10)
            style = "-" if t.startswith(OURS_PREFIX) else "--"
            if kind == "success":
                ax.plot(SUCCESS_THRESHOLDS, ev.mean_success(t), style, color=color, lw=2,
                        label=f"{t} [{ev.mean_auc(t):.3f}]")
            else:
                ax.plot(PRECISION_THRESHOLDS, ev.mean_precision(t), style, color=color, lw=2,
                        label=f"{t} [{ev.mean_precision_at_20(t):.3f}]")
        if kind == "success":
            ax.set(xlabel="Overlap threshold (IoU)", ylabel="Success rate", xlim=(0, 1), ylim=(0, 1),
                   title=f"Success plots of OPE ({n_seq} sequences, {n_frames} frames)")
            ax.legend(loc="upper right", fontsize=8, title="tracker [AUC]", title_fontsize=8)
        else:
            ax.axvline(20, color="0.7", lw=1, zorder=0)
            ax.set(xlabel="Location error threshold (px)", ylabel="Precision", xlim=(0, 50), ylim=(0, 1),
                   title=f"Precision plots of OPE ({n_seq} sequences, {n_frames} frames)")
            ax.legend(loc="upper left", fontsize=8, title="tracker [P@20]", title_fontsize=8)
        ax.grid(True, color="0.9")
        fig.tight_layout()
        path = out / f"{kind}.png"
        fig.savefig(path)
        plt.close(fig)
        paths.append(path)
    return paths
