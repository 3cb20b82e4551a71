"""The distribution: ``python -m build`` gives an sdist and a wheel, and the wheel alone is a working install.

The wheel is built from the sdist (what ``python -m build`` does), so a file the sdist forgets fails
here too. It is installed with ``--no-deps`` into a new, empty venv; that venv reaches the third-party
dependencies (NumPy, Numba, OpenCV, click, tqdm) through a ``.pth`` line naming this test venv's
site-packages, because downloading and unpacking them again would take a minute and would test pip,
not us. ``.pth`` lines add a folder to ``sys.path`` without running that folder's own ``.pth`` files,
so the editable install of the checkout stays invisible: every ``meanshift`` module the commands load
comes from the wheel, which the test checks. The first track compiles the Numba kernels in the fresh
install (about 20 s), as a user's first run does.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

import meanshift

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "examples" / "data"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    # setuptools prints its deprecations (e.g. of the old `license = {text = ...}` table) as warnings
    assert "Deprecat" not in done.stdout + done.stderr
    return out


def _one(folder: Path, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    assert len(found) == 1, found
    return found[0]


def test_wheel_and_sdist_contents(dist):
    version = meanshift.__version__
    wheel = _one(dist, f"meanshift-{version}-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package_files = {p.relative_to(ROOT).as_posix() for p in (ROOT / "meanshift").rglob("*")
                     if p.is_file() and "__pycache__" not in p.parts}
    assert "meanshift/py.typed" in package_files
    assert package_files <= names, package_files - names
    assert f"meanshift-{version}.dist-info/licenses/LICENSE" in names
    metadata = zipfile.ZipFile(wheel).read(f"meanshift-{version}.dist-info/METADATA").decode()
    assert f"\nVersion: {version}\n" in metadata
    assert "\nLicense-Expression: MIT\n" in metadata

    sdist = _one(dist, f"meanshift-{version}.tar.gz")
    members = set(tarfile.open(sdist).getnames())
    for name in ("pyproject.toml", "README.md", "LICENSE", "meanshift/py.typed", "meanshift/__init__.py"):
        assert f"meanshift-{version}/{name}" in members, name


def test_wheel_installs_and_tracks(dist, tmp_path):
    wheel = _one(dist, "meanshift-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                    "--no-index", str(wheel)], check=True, capture_output=True)
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  check=True, capture_output=True, text=True).stdout.strip())
    (purelib / "_dependencies_from_test_venv.pth").write_text(sysconfig.get_path("purelib") + "\n")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    cli = str(venv / "bin" / "meanshift")

    def run(*args: str) -> subprocess.CompletedProcess:
        done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done

    assert run(cli, "--version").stdout.strip() == f"meanshift {meanshift.__version__}"
    where = run(str(python), "-c", "import importlib.metadata as m, importlib.resources as r, meanshift; "
                "print(meanshift.__file__); print(m.version('meanshift')); "
                "print(r.files('meanshift').joinpath('py.typed').is_file())").stdout.split()
    assert Path(where[0]).is_relative_to(purelib), where  # the wheel's copy, not the checkout
    assert where[1:] == [meanshift.__version__, "True"]

    boxes = tmp_path / "x.csv"
    run(cli, "track", str(DEMO / "demo.mp4"), "--box-file", str(DEMO / "demo.box"), "--output", str(boxes),
        "--max-frames", "30", "--quiet")
    rows = list(csv.DictReader(boxes.open()))
    assert len(rows) == 30
    assert all(row["ok"] in ("1", "True", "true") for row in rows), rows[:3]
    # and every meanshift module loaded came from the installed wheel
    loaded = run(str(python), "-c", "import sys, meanshift, meanshift.apps.cli, meanshift.io; "
                 "meanshift.generalized(); "
                 "print('\\n'.join(m.__file__ for n, m in sys.modules.items() "
                 "if n.split('.')[0] == 'meanshift' and getattr(m, '__file__', None)))").stdout.split()
    assert loaded and all(Path(f).is_relative_to(purelib) for f in loaded), loaded
