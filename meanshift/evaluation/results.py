"""The results of an evaluation: runs and scores per (sequence, tracker), means, rankings and tables."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from meanshift.evaluation.metrics import PRECISION_THRESHOLDS, SequenceScore, auc
from meanshift.evaluation.run import TrackerRun

__all__ = ["Evaluation"]


@dataclass
class Evaluation:
    """Runs and scores of several trackers on several sequences.

    Attributes
    ----------
    sequences : list of str
        Sequence names, in order.
    trackers : list of str
        Tracker names, in order.
    runs : dict
        ``(sequence, tracker) -> TrackerRun``.
    scores : dict
        ``(sequence, tracker) -> SequenceScore``.
    frames : dict
        ``sequence -> number of frames``.
    meta : dict
        How the run was made (versions, jobs, command).
    """

    sequences: list[str]
    trackers: list[str]
    runs: dict[tuple[str, str], TrackerRun]
    scores: dict[tuple[str, str], SequenceScore]
    frames: dict[str, int]
    meta: dict = field(default_factory=dict)

    def mean_success(self, tracker: str) -> np.ndarray:
        """Mean over sequences of the success curves (21 values)."""
        return np.nanmean([self.scores[s, tracker].success for s in self.sequences], axis=0)

    def mean_precision(self, tracker: str) -> np.ndarray:
        """Mean over sequences of the precision curves (51 values)."""
        return np.nanmean([self.scores[s, tracker].precision for s in self.sequences], axis=0)

    def mean_auc(self, tracker: str) -> float:
        """Mean AUC over sequences (= AUC of the mean success curve)."""
        return auc(self.mean_success(tracker))

    def mean_precision_at_20(self, tracker: str) -> float:
        """Mean P@20 over sequences."""
        return float(self.mean_precision(tracker)[int(np.flatnonzero(PRECISION_THRESHOLDS == 20)[0])])

    def fps(self, tracker: str) -> float:
        """Total ``update`` calls over their total time, all sequences together."""
        runs = [self.runs[s, tracker] for s in self.sequences]
        total = sum(float(np.nansum(r.update_seconds[1:])) for r in runs)
        count = sum(r.n_updates for r in runs)
        return count / total if total > 0 else float("nan")

    def warning_lines(self) -> list[str]:
        """The trackers' own warnings, one line per (sequence, tracker, message)."""
        return [f"{t} on {s}: {m}" for (s, t), r in sorted(self.runs.items()) for m in r.warnings]

    def ranked_trackers(self) -> list[str]:
        """Trackers by decreasing mean AUC."""
        return sorted(self.trackers, key=lambda t: -np.nan_to_num(self.mean_auc(t), nan=-1.0))

    def problems(self) -> list[str]:
        """Human-readable list of tracker errors and NaN boxes, one line each."""
        out = []
        for (s, t), r in sorted(self.runs.items()):
            if r.error:
                out.append(f"{t} on {s}: {r.error}")
            bad = r.nonfinite_frames
            if bad.size:
                out.append(f"{t} on {s}: {bad.size} non-finite boxes, first at frame {bad[0]}")
        return out

    # ---- tables

    def mean_rows(self) -> list[dict]:
        """One row per tracker, best mean AUC first."""
        rows = []
        for t in self.ranked_trackers():
            runs = [self.runs[s, t] for s in self.sequences]
            rows.append({
                "tracker": t,
                "sequences": len(self.sequences),
                "frames": sum(self.frames[s] for s in self.sequences),
                "auc": self.mean_auc(t),
                "precision_20": self.mean_precision_at_20(t),
                "fps": self.fps(t),
                "ms_per_frame": 1000.0 / self.fps(t) if self.fps(t) > 0 else float("nan"),
                "lost_frames": int(sum((~r.ok).sum() for r in runs)),
                "errors": sum(r.error is not None for r in runs),
            })
        return rows

    def sequence_rows(self) -> list[dict]:
        """One row per (sequence, tracker), sequences in order, trackers ranked."""
        rows = []
        ranked = self.ranked_trackers()
        for s in self.sequences:
            for t in ranked:
                r, sc = self.runs[s, t], self.scores[s, t]
                rows.append({
                    "sequence": s,
                    "tracker": t,
                    "frames": self.frames[s],
                    "valid_frames": sc.n_valid,
                    "auc": sc.auc,
                    "precision_20": sc.precision_at_20,
                    "fps": r.fps,
                    "lost_frames": int((~r.ok).sum()),
                    "error": r.error or "",
                })
        return rows

    def mean_table_markdown(self) -> str:
        """The mean table: tracker, mean AUC, mean P@20, fps (best AUC first)."""
        lines = [
            "| tracker | AUC | P@20 | fps (`update`) | ms/frame | frames lost (ok=False) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for row in self.mean_rows():
            lines.append(
                f"| {row['tracker']} | {row['auc']:.3f} | {row['precision_20']:.3f} | {row['fps']:.0f} | "
                f"{row['ms_per_frame']:.2f} | {row['lost_frames']} |"
            )
        return "\n".join(lines)

    def sequence_table_markdown(self) -> str:
        """Per-sequence tables of AUC, P@20 and fps (rows: sequences and their mean; columns: trackers)."""
        ranked = self.ranked_trackers()
        parts = []
        tables = (("AUC", "auc", ".3f"), ("P@20", "precision_20", ".3f"), ("fps", "fps", ".0f"))
        for title, key, fmt in tables:
            head = "| sequence | frames | " + " | ".join(ranked) + " |"
            rule = "|---|---:|" + "---:|" * len(ranked)
            lines = [f"### {title}", "", head, rule]
            for s in self.sequences:
                vals = []
                for t in ranked:
                    sc, r = self.scores[s, t], self.runs[s, t]
                    v = {"auc": sc.auc, "precision_20": sc.precision_at_20, "fps": r.fps}[key]
                    cell = format(v, fmt) if np.isfinite(v) else "n/a"
                    if key == "auc" and r.error:
                        cell += " (error)"
                    vals.append(cell)
                lines.append(f"| {s} | {self.frames[s]} | " + " | ".join(vals) + " |")
            means = {t: {"auc": self.mean_auc(t), "precision_20": self.mean_precision_at_20(t),
                         "fps": self.fps(t)}[key] for t in ranked}
            total = sum(self.frames[s] for s in self.sequences)
            cells = " | ".join(format(means[t], fmt) for t in ranked)
            lines.append(f"| **mean** | {total} | {cells} |")
            parts.append("\n".join(lines))
        return "\n\n".join(parts)
