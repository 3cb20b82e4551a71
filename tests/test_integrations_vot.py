"""The VOT toolkit integration: our TraX server under the toolkit's own `vot test`, `vot evaluate` and `vot analysis`.

Needs the ``vot`` extra (vot-trax and vot-toolkit); without it these tests skip and say so. The toolkit
checks GitHub for a newer version at every command: the tests point its HTTP(S) proxy at a closed
loopback port, so that check fails at once and nothing leaves the machine.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
VOT_CLI = Path(sys.executable).with_name("vot")
HAS_TRAX = importlib.util.find_spec("trax") is not None
HAS_TOOLKIT = importlib.util.find_spec("vot") is not None and VOT_CLI.is_file()
needs_trax = pytest.mark.skipif(not HAS_TRAX, reason="vot-trax is not installed: pip install '.[vot]'")
needs_toolkit = pytest.mark.skipif(
    not HAS_TOOLKIT, reason="vot-toolkit (the `vot` command) is not installed: pip install '.[vot]'"
)

# A tracker entry as a user writes it in trackers.ini, with this interpreter; the timeout allows for a
# first start that compiles the Numba kernels.
TRACKERS_INI = f"""\
[meanshift_generalized]
label = meanshift (generalized)
protocol = trax
command = {sys.executable} -m meanshift.integrations.vot --preset generalized
timeout = 300
"""


def _toolkit_env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    # The toolkit's update check goes to a closed local port (refused at once), never to the network.
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        env[name] = "http://127.0.0.1:9"
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    env["TMPDIR"] = str(tmp_path)  # the dummy sequence and the tracker's working folders go here
    env["MPLBACKEND"] = "Agg"
    return env


def _vot(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 240) -> str:
    proc = subprocess.run(
        [str(VOT_CLI), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"vot {' '.join(args)} exited {proc.returncode}:\n{output[-4000:]}"
    return output


def _iou(a, b) -> float:
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    w = max(0.0, min(ax + aw, bx + bw) - max(ax, bx))
    h = max(0.0, min(ay + ah, by + bh) - max(ay, by))
    inter = w * h
    return inter / (aw * ah + bw * bh - inter)


# --------------------------------------------------------------------------- without any extra


def test_import_meanshift_needs_no_toolkit():
    code = (
        "import sys, meanshift, meanshift.integrations, meanshift.integrations.vot; "
        "assert 'trax' not in sys.modules and 'vot' not in sys.modules, sorted(sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_missing_extra_names_the_install_command(monkeypatch):
    from meanshift.integrations import vot

    monkeypatch.setitem(sys.modules, "trax", None)  # import trax -> ImportError
    with pytest.raises(ImportError, match=re.escape("pip install '.[vot]'")):
        vot.require_trax()


def test_started_by_hand_it_explains_and_exits_2(monkeypatch, capsys):
    from meanshift.integrations import vot

    monkeypatch.delenv("TRAX", raising=False)
    assert vot.main(["--preset", "camshift"]) == 2
    assert "VOT toolkit starts it" in capsys.readouterr().err


# --------------------------------------------------------------------------- region conversion (vot-trax)


@needs_trax
def test_regions_become_bounding_boxes():
    import trax

    from meanshift.integrations.vot import region_to_box

    assert region_to_box(trax.Rectangle.create(5, 6, 30, 40)) == (5.0, 6.0, 30.0, 40.0)
    rotated = trax.Polygon.create([(10.0, 20.0), (50.0, 18.0), (52.0, 60.0), (12.0, 62.0)])
    assert region_to_box(rotated) == pytest.approx((10.0, 18.0, 42.0, 44.0))
    mask = np.zeros((10, 20), np.uint8)
    mask[2:5, 3:9] = 1
    assert region_to_box(trax.Mask.create(mask, x=100, y=50)) == (103.0, 52.0, 6.0, 3.0)
    with pytest.raises(ValueError, match="empty"):
        region_to_box(trax.Mask.create(np.zeros((4, 4), np.uint8)))
    with pytest.raises(ValueError, match="special"):
        region_to_box(trax.Special.create(0))


# --------------------------------------------------------------------------- the toolkit itself


@needs_toolkit
@pytest.mark.slow
def test_vot_test_passes_on_the_toolkits_synthetic_sequence(tmp_path):
    (tmp_path / "trackers.ini").write_text(TRACKERS_INI)
    output = _vot(["test", "meanshift_generalized"], tmp_path, _toolkit_env(tmp_path))
    # `vot test` exits 0 even when the tracker fails: what it prints is the verdict.
    assert "Error during tracker execution" not in output, output[-4000:]
    assert "Test concluded successfuly" in output, output[-4000:]  # (sic) the toolkit's spelling

    # We declare multi-object support, so the toolkit sends its three-object dummy: 50 frames x 3 cows.
    states = [
        tuple(float(v) for v in m.split(","))
        for m in re.findall(r'@@TRAX:state "([-0-9.e,]+)"', output)
    ]
    assert len(states) == 150 and all(np.isfinite(states).all(axis=1))
    dummy = next(tmp_path.glob("vot_dummy_50_*_3"))
    truths = []
    for path in sorted(dummy.glob("groundtruth_*.txt")):
        truths.append([tuple(float(v) for v in line.split(",")) for line in path.read_text().split()])
    tracks = [states[k::3] for k in range(3)]
    for track in tracks:
        (truth,) = [t for t in truths if t[0] == track[0]]  # matched by the initial box
        overlap = np.mean([_iou(a, b) for a, b in zip(track, truth, strict=True)])
        assert overlap > 0.5, f"mean IoU {overlap:.3f} on the dummy sequence"


@needs_toolkit
@pytest.mark.slow
def test_offline_workspace_evaluates_and_analyses(tmp_path, sequences_dir):
    workspace = tmp_path / "workspace"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "vot_workspace.py"), str(workspace), str(sequences_dir),
         "-s", "Crossing,vot2017_ball1", "--max-frames", "30"],
        check=True, capture_output=True, text=True,
    )
    # vot2017_ball1 keeps its VOT polygons: the server starts on their bounding box.
    first = (workspace / "sequences" / "vot2017_ball1" / "groundtruth.txt").read_text().splitlines()[0]
    assert len(first.split(",")) == 8
    assert (workspace / "sequences" / "list.txt").read_text().split() == ["Crossing", "vot2017_ball1"]

    env = _toolkit_env(tmp_path)
    output = _vot(["evaluate", "meanshift_generalized"], workspace, env)
    assert "Evaluation concluded successfuly" in output, output[-4000:]
    output = _vot(["analysis", "meanshift_generalized", "--name", "offline"], workspace, env)
    assert "Analysis successful" in output, output[-4000:]

    analysis = json.loads((workspace / "analysis" / "offline.json").read_text())
    accuracy = analysis["results"]["baseline"]["results"][0][0][0]  # average overlap over both sequences
    assert 0.3 < accuracy <= 1.0
    assert not any(workspace.joinpath("sequences").glob("*.zip"))  # nothing was downloaded
