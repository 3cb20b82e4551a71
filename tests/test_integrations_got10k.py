"""The got10k interface: got10k's own tracking loop and reports score our preset as `meanshift.evaluation` does.

Needs the ``got10k`` extra (skips and says so without it) and, for the runs on real footage, the shared
sequences. A GOT-10k ``val`` layout is built in a temporary folder from two shared sequences;
``ExperimentGOT10k`` runs on it unchanged. ``ExperimentOTB`` is used with its own ``run``, ``report``,
``_calc_metrics`` and ``_calc_curves``, but on that same local dataset: its constructor insists on
fetching every missing sequence of the whole OTB benchmark from the network, so the harness subclass
below replaces only the constructor.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from meanshift.evaluation.datasets import load_dataset

HAS_GOT10K = importlib.util.find_spec("got10k") is not None
needs_got10k = pytest.mark.skipif(not HAS_GOT10K, reason="got10k is not installed: pip install '.[got10k]'")

SEQUENCES = ("Crossing", "vot2017_ball1")
MAX_FRAMES = 60  # keeps the test to a few seconds; both runs see the same frames
PRESET = "generalized"


def _got10k_layout(root: Path, sequences_dir: Path) -> Path:
    """``root/val/``: list.txt and one folder per sequence, as the GOT-10k toolkit reads them."""
    val = root / "val"
    val.mkdir(parents=True)
    seqs = load_dataset(sequences_dir, names=SEQUENCES, max_frames=MAX_FRAMES)
    for seq in seqs:
        folder = val / seq.name
        folder.mkdir()
        for i, src in enumerate(seq.frame_paths, start=1):
            os.symlink(src.resolve(), folder / f"{i:08d}.jpg")
        # The boxes as stored (1-based for OTB, 0-based for VOT): got10k and meanshift.evaluation score
        # both runs against the same numbers.
        np.savetxt(folder / "groundtruth.txt", seq.groundtruth, fmt="%.4f", delimiter=",")
        n = len(seq)
        height, width = seq.frame(0).shape[:2]
        (folder / "meta_info.ini").write_text(
            f"[METAINFO]\nobject_class: object\nresolution: ({width}, {height})\nfps: 30\nframes: {n}\n"
        )
        for label, value in (("cover", 8), ("absence", 0), ("cut_by_image", 0)):
            np.savetxt(folder / f"{label}.label", np.full(n, value), fmt="%d")
    (val / "list.txt").write_text("\n".join(SEQUENCES) + "\n")
    return root


# --------------------------------------------------------------------------- without the extra


def test_import_meanshift_needs_no_got10k():
    code = "import sys, meanshift, meanshift.integrations; assert 'got10k' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_extra_names_the_install_command():
    # A fresh interpreter in which `import got10k` fails, whether or not it is installed here.
    code = (
        "import sys; sys.modules['got10k'] = None\n"
        "try:\n"
        "    import meanshift.integrations.got10k\n"
        "except ImportError as exc:\n"
        "    assert \"pip install '.[got10k]'\" in str(exc), exc\n"
        "else:\n"
        "    raise SystemExit('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------- with got10k


@needs_got10k
def test_docstring_examples_run():
    import doctest

    from meanshift.integrations import got10k as module

    failures, tried = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert tried > 0 and failures == 0


@needs_got10k
def test_rgb_frames_become_bgr_and_boxes_arrays():
    from PIL import Image

    from meanshift.integrations.got10k import MeanShiftTracker, to_bgr

    rgb = np.zeros((120, 160, 3), np.uint8)
    rgb[40:80, 60:100] = (230, 40, 20)  # a red square on black
    bgr = to_bgr(Image.fromarray(rgb))
    assert bgr.flags.c_contiguous and bgr.dtype == np.uint8
    assert bgr[50, 70].tolist() == [20, 40, 230]
    assert to_bgr(Image.fromarray(rgb).convert("L")).shape == (120, 160, 3)  # got10k's other modes too
    with pytest.raises(ValueError, match="RGB"):
        to_bgr(np.zeros((4, 4)))

    tracker = MeanShiftTracker(PRESET)
    assert tracker.name == "meanshift-generalized" and tracker.is_deterministic
    with pytest.raises(RuntimeError, match="init"):
        tracker.update(Image.fromarray(rgb))
    tracker.init(Image.fromarray(rgb), [60, 40, 40, 40])
    box = tracker.update(Image.fromarray(np.roll(rgb, 3, axis=1)))
    assert box.shape == (4,) and box.dtype == np.float64
    assert abs(box[0] - 63) < 2 and tracker.last_result.ok
    with pytest.raises(ValueError, match="unknown preset"):
        MeanShiftTracker("no-such-preset")


@needs_got10k
@pytest.mark.slow
def test_got10k_experiments_score_as_meanshift_evaluate(tmp_path, sequences_dir):
    from got10k.datasets import GOT10k
    from got10k.experiments import ExperimentGOT10k, ExperimentOTB

    from meanshift.evaluation import evaluate
    from meanshift.integrations.got10k import MeanShiftTracker

    class LocalExperimentOTB(ExperimentOTB):
        """ExperimentOTB on a local dataset (the harness's only change: no download of all of OTB)."""

        def __init__(self, dataset, result_dir, report_dir):  # noqa: N805 - same signature style as got10k
            self.dataset = dataset
            self.result_dir = os.path.join(result_dir, "OTB-local")
            self.report_dir = os.path.join(report_dir, "OTB-local")
            self.nbins_iou = 21
            self.nbins_ce = 51

    root = _got10k_layout(tmp_path / "GOT-10k", sequences_dir)
    results, reports = str(tmp_path / "results"), str(tmp_path / "reports")
    tracker = MeanShiftTracker(PRESET)

    otb = LocalExperimentOTB(GOT10k(str(root), subset="val"), results, reports)
    otb.run(tracker)  # got10k's loop: PIL RGB frames through Tracker.track
    performance = otb.report([tracker.name])[tracker.name]

    ours = evaluate(sequences_dir, [f"meanshift-{PRESET}"], sequences=SEQUENCES, max_frames=MAX_FRAMES,
                    progress=False, plots=False)
    name = f"meanshift-{PRESET}"
    for seq in SEQUENCES:
        theirs = performance["seq_wise"][seq]["success_score"]
        assert round(theirs, 3) == round(ours.scores[(seq, name)].auc, 3), (seq, theirs, ours.scores[(seq, name)].auc)
    assert round(performance["overall"]["success_score"], 3) == round(ours.mean_auc(name), 3)
    assert Path(reports, "OTB-local", tracker.name, "success_plots.png").is_file()

    # ExperimentGOT10k as it is: average overlap = mean IoU over the frames after the first.
    got = ExperimentGOT10k(str(root), subset="val", result_dir=results, report_dir=reports)
    got.run(tracker)
    ao = got.report([tracker.name])[tracker.name]["overall"]["ao"]
    mean_iou = np.mean(np.concatenate([ours.scores[(seq, name)].ious[1:] for seq in SEQUENCES]))
    assert ao == pytest.approx(mean_iou, abs=1e-3)
