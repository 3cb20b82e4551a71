"""`meanshift batch --scheduler`: the same batch as Dask tasks, on a LocalCluster of worker processes.

These tests need the optional extra (``pip install '.[distributed]'``, which ``make test``
installs); without it they are skipped, saying so.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner
from test_batch import make_folder, partial_files, rows_of, summary, wait_until

from meanshift.apps.batch import SchedulerError, load_jobs, run_batch
from meanshift.apps.cli import main
from meanshift.io import VideoWriter
from meanshift.synthetic import moving_target_sequence

distributed = pytest.importorskip(
    "distributed", reason="Dask's distributed is not installed (pip install '.[distributed]')"
)

FRAMES = 240  # long enough (0.4 s or more per video) for a kill to land mid-video


def write_ping_pong_clip(path: Path, seed: int) -> tuple[float, ...]:
    """FRAMES frames: half of them rendered, then played backwards (rendering is the slow part)."""
    frames = [frame for frame, _ in moving_target_sequence(FRAMES // 2, (240, 320), seed=seed, base_size=(30, 24))]
    with VideoWriter(path, fps=30) as writer:
        for frame in frames + frames[::-1]:
            writer.write(frame)
    return next(moving_target_sequence(1, (240, 320), seed=seed, base_size=(30, 24)))[1]


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> list[tuple[Path, tuple]]:
    """Two different clips, so that outputs swapped between videos would not compare equal."""
    folder = tmp_path_factory.mktemp("clips")
    return [(folder / f"c{seed}.avi", write_ping_pong_clip(folder / f"c{seed}.avi", seed)) for seed in range(2)]


def folder_of(path: Path, clips: list[tuple[Path, tuple]], names: list[str]) -> Path:
    for number, name in enumerate(names):
        make_folder(path, clips[number % len(clips)], [name])
    return path


def test_a_local_cluster_writes_the_same_files_as_the_local_pool(tmp_path, clips):
    folder = folder_of(tmp_path / "in", clips, ["a", "b", "c", "d"])
    pool, cluster = tmp_path / "pool", tmp_path / "cluster"
    local = CliRunner().invoke(main, ["batch", str(folder), "--out", str(pool), "--jobs", "2", "-q"])
    assert local.exit_code == 0, local.output
    dask = CliRunner().invoke(main, ["batch", str(folder), "--out", str(cluster), "--scheduler", "local",
                                     "--jobs", "2", "-q"])
    assert dask.exit_code == 0, dask.output
    assert "Dask scheduler tcp://" in dask.output and "2 workers" in dask.output

    names = sorted(p.name for p in pool.iterdir())
    expected = sorted([*(f"{n}.csv" for n in "abcd"), *(f"{n}.run.json" for n in "abcd"), "summary.csv"])
    assert names == sorted(p.name for p in cluster.iterdir()) == expected
    for name in (f"{n}.csv" for n in "abcd"):
        assert (cluster / name).read_bytes() == (pool / name).read_bytes(), name
        assert len(rows_of(cluster / name)) == FRAMES
    assert (pool / "a.csv").read_bytes() != (pool / "b.csv").read_bytes()  # the clips do differ
    timing = ("fps", "seconds")  # all but the timings match, attempts included
    for video, row in summary(pool).items():
        other = summary(cluster)[video]
        assert {k: v for k, v in row.items() if k not in timing} == {k: v for k, v in other.items() if k not in timing}
        assert row["status"] == "ok" and row["attempts"] == "1"

    # Same resume rule: done videos are skipped (and no cluster is started for nothing).
    again = CliRunner().invoke(main, ["batch", str(folder), "--out", str(cluster), "--scheduler", "local", "-q"])
    assert again.exit_code == 0 and "Dask scheduler" not in again.output
    assert {r["status"] for r in summary(cluster).values()} == {"skipped"}


def busy_video(out: Path) -> tuple[str, int] | None:
    """A video being tracked right now, and the pid of the worker doing it (its attempts file says)."""
    if not out.is_dir():
        return None
    for marker in out.glob(".*.partial.attempts"):
        try:
            lines = marker.read_text().split("\n")
        except OSError:
            continue
        if lines and len(lines[0].split()) == 2:
            return marker.name[1:].split(".partial")[0], int(lines[0].split()[1])
    return None


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_worker_killed_mid_video_is_retried_and_nothing_is_truncated(tmp_path, clips):
    names = ["k1", "k2", "k3", "k4"]
    folder = folder_of(tmp_path / "in", clips, names)
    out = tmp_path / "out"
    killed: list[tuple[str, int]] = []

    def kill_a_busy_worker():
        # As a machine of the cluster crashing: SIGKILL the worker process in the middle of a video.
        seen: list[tuple[str, int]] = []
        if wait_until(lambda: bool(seen.append(busy_video(out)) or seen[-1]), timeout=60, interval=0.01):
            name, pid = seen[-1]
            os.kill(pid, signal.SIGKILL)
            killed.append((name, pid))

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        killer = threading.Thread(target=kill_a_busy_worker)
        killer.start()
        reports = run_batch(load_jobs(folder), out, scheduler=cluster.scheduler_address, progress=False)
        killer.join()
    assert killed, "no worker was seen tracking a video"
    victim = killed[0][0]
    assert [r.status for r in reports] == ["ok"] * len(names), [r.error for r in reports]
    attempts = {Path(r.video).stem: r.attempts for r in reports}
    assert attempts == {name: 2 if name == victim else 1 for name in names}
    assert {Path(v).stem: r["attempts"] for v, r in summary(out).items()} == {n: str(a) for n, a in attempts.items()}
    for name in names:
        assert len(rows_of(out / f"{name}.csv")) == FRAMES
    assert partial_files(out) == []


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path, clips):
    import dask

    folder = folder_of(tmp_path / "in", clips, ["u"])
    out = tmp_path / "out"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        result = CliRunner().invoke(main, ["batch", str(folder), "--out", str(out), "--scheduler",
                                           "tcp://127.0.0.1:9"])
    assert result.exit_code == 1, result.output
    assert "Error: cannot connect to the Dask scheduler at tcp://127.0.0.1:9" in result.output
    assert "Traceback" not in result.output and not (out / "summary.csv").exists()
    with pytest.raises(SchedulerError, match="expected tcp://HOST:PORT"):
        run_batch(load_jobs(folder), out, scheduler="tcp://host:port", progress=False)
    usage = CliRunner().invoke(main, ["batch", str(folder), "--out", str(out), "--scheduler", "tcp://h:1",
                                      "--jobs", "2"])
    assert usage.exit_code == 2 and "--jobs sets the number of local workers" in usage.output
