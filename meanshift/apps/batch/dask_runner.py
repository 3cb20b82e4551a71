"""Running jobs on a Dask ``distributed`` cluster (or a LocalCluster): one task per video."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

from meanshift.apps.batch.jobs import BatchJob, Task
from meanshift.apps.batch.local import attempts_so_far, remove_scratch, run_job
from meanshift.apps.batch.tracking import VideoReport
from meanshift.io import (
    quiet_opencv,
)

#: What ``pip`` installs for ``scheduler=``; named in the error when it is missing.
DISTRIBUTED_EXTRA = "pip install '.[distributed]' (from the meanshift checkout)"


class SchedulerError(RuntimeError):
    """The Dask scheduler cannot be used: the extra is not installed, or the address does not answer."""




class _AbandonedError(Exception):
    """Raised in a Dask task whose result nobody wants any more, to stop and remove its partial files."""


def _abandon_check(interval: float = 0.5) -> Callable[[int], None]:
    """An ``on_frame`` callback for a Dask task: raise :class:`_AbandonedError` once the scheduler released it.

    Dask cannot stop a running task. Without this check a video whose batch was interrupted (or
    whose client died) would run to its end on the worker and rename its outputs into place, racing
    a rerun that writes the same partial names; the local pool's workers watch their parent likewise.
    """
    from distributed import get_worker

    try:
        worker = get_worker()
        key = worker.get_current_task()
    except (ValueError, KeyError):  # not inside a Dask task
        return lambda _: None
    state = getattr(worker, "state", None)  # the worker's task table (distributed >= 2022.11)
    if state is None:
        return lambda _: None
    next_check = time.monotonic() + interval

    def check(_: int) -> None:
        nonlocal next_check
        now = time.monotonic()
        if now < next_check:
            return  # a dict lookup per frame would be cheap too, but there is no need
        next_check = now + interval
        task = state.tasks.get(key)
        if task is None or task.state in ("cancelled", "released", "forgotten"):
            raise _AbandonedError("the batch no longer wants this video")

    return check


def _run_dask_task(task: Task, quiet: bool) -> VideoReport:
    """One video as a Dask task: :func:`run_job`, with the worker set up as a local pool worker is."""
    import cv2

    cv2.setNumThreads(1)  # the parallelism comes from the workers: one OpenCV thread each
    with quiet_opencv() if quiet else contextlib.nullcontext():
        return run_job(task, on_frame=_abandon_check())


@contextlib.contextmanager
def dask_client(scheduler: str, n_workers: int) -> Iterator[Any]:
    """A Dask client of ``scheduler`` (an address, or ``"local"`` for a new ``LocalCluster``), closed on exit.

    Raises
    ------
    SchedulerError
        ``distributed`` is not installed, the address is malformed, or the scheduler does not
        answer in time (Dask's ``distributed.comm.timeouts.connect``, 30 s by default).
    """
    try:
        from distributed import Client, LocalCluster
        from distributed.comm.addressing import parse_address, parse_host_port
    except ImportError:
        raise SchedulerError(f"a Dask scheduler needs the distributed extra: {DISTRIBUTED_EXTRA}") from None
    cluster = None
    if scheduler == "local":
        import dask

        # Processes with one thread each, like the local pool: tracking a frame holds the GIL in
        # places. Dashboard on a free port: 8787 may belong to another cluster on this machine.
        # Dask's nannies start workers with MALLOC_TRIM_THRESHOLD_=65536, which also turns off glibc's
        # adaptive mmap threshold: every HD frame is then mapped and faulted in afresh, and tracking
        # runs ~1.5x slower than in the local pool. Unset it (the nannies read it when created, and
        # keep it for restarts), so the workers allocate as the local pool's processes do.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster, set_as_default=False)
    else:
        try:
            # Checked first: a Client given a malformed address raises, then hangs a minute in __del__.
            scheme, location = parse_address(scheduler)
            if scheme in ("tcp", "tls", "ws", "wss"):
                parse_host_port(location, 8786)
            client = Client(scheduler, set_as_default=False)
        except (OSError, TimeoutError, ValueError, TypeError) as exc:
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise SchedulerError(f"cannot connect to the Dask scheduler at {scheduler}: {reason} "
                                 f"(expected tcp://HOST:PORT or 'local')") from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def _lost_task_report(job: BatchJob, out_dir: str, exc: BaseException) -> VideoReport:
    """Report of a task that ended in an exception rather than a report (its worker died too often...)."""
    from distributed import KilledWorker

    attempts = max(attempts_so_far(job, out_dir), 1)
    if isinstance(exc, KilledWorker):
        error = f"a worker died while tracking this video, {attempts} times; the scheduler gave up (KilledWorker)"
    else:  # e.g. meanshift not installed on the workers
        error = f"task failed on the cluster: {type(exc).__name__}: {exc}"
    remove_scratch(job, out_dir)
    return VideoReport(job.source, "failed", error=" ".join(error.split()), attempts=attempts)


def run_on_dask(
    tasks: dict[int, Task], client: Any, quiet: bool, log: Callable[[str], Any]
) -> Generator[tuple[int, VideoReport], None, None]:
    """Yield ``(index, report)`` as the tasks finish on a Dask cluster, one task per video.

    A task whose worker dies is run again by the scheduler on another worker (up to Dask's
    ``distributed.scheduler.allowed-failures`` times, 3 by default; Dask's ``retries`` only cover
    tasks that raise, which ours do not); its ``.partial`` files are replaced by the new attempt.
    """
    from uuid import uuid4

    from distributed import as_completed

    futures: dict[Any, int] = {}
    try:
        workers = len(client.scheduler_info(n_workers=-1).get("workers", {}))
        link = ""
        with contextlib.suppress(Exception):  # no dashboard (bokeh missing) or no scheduler info
            link = client.dashboard_link or ""
        log(f"Dask scheduler {client.scheduler.address}: {workers} worker{'' if workers == 1 else 's'}"
            + (f", dashboard {link}" if link else "")
            + ("; the tasks wait until workers join" if not workers else ""))
        run = uuid4().hex[:8]
        for index, task in tasks.items():
            # pure=False and a fresh key: rerunning a command must track again, not reuse a result the
            # cluster still holds; the video's name in the key shows on the dashboard.
            future = client.submit(_run_dask_task, task, quiet, key=f"meanshift-{task[0].name}-{run}", pure=False)
            futures[future] = index
        for future in as_completed(futures, loop=client.loop):  # loop: this client is not the default one
            index = futures[future]
            try:
                report = future.result()
            except Exception as exc:
                report = _lost_task_report(tasks[index][0], tasks[index][1], exc)
            yield index, report
    finally:
        with contextlib.suppress(Exception):
            client.cancel(list(futures))  # running tasks notice it (see _abandon_check) and stop


