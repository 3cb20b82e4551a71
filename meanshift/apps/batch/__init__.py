"""Track many videos in one go, in parallel, resumably; the library behind ``meanshift batch``.

Each video is tracked from its initial box to its last frame; its box table (and optionally an
annotated video) is written under a temporary name and renamed into place only when complete, so
an interrupted run never leaves a truncated file that looks finished, and a rerun skips what is
already done. A video that cannot be read is reported, not fatal: :func:`run_batch` returns one
:class:`VideoReport` per video and writes them to ``summary.csv``.

The videos run in local worker processes, or, with ``scheduler=``, as one task each on a Dask
``distributed`` cluster (the optional extra: ``pip install '.[distributed]'`` in the checkout). Both run the
same per-video job, :func:`~meanshift.apps.batch.local.run_job`, with the same temporary names, resume
rule and summary; on a cluster the output folder must be a path that every worker and this process can reach.

Inputs
------
* a folder of videos with sidecar boxes: ``clip.mp4`` + ``clip.box`` (one line ``x,y,w,h``);
  sub-folders of frames in OTB layout (``Seq/img/*.jpg`` + ``Seq/groundtruth_rect.txt``) count
  as videos too;
* or a CSV manifest with rows ``video,x,y,w,h[,preset]`` (an optional header line; relative paths
  are relative to the manifest; ``video`` may be a frame folder).

Examples
--------
>>> from meanshift.apps.batch import load_jobs, run_batch, TrackerOptions
>>> reports = run_batch(load_jobs("clips/"), "tracked/", options=TrackerOptions("camshift"))  # doctest: +SKIP
>>> [r.status for r in reports]  # doctest: +SKIP
['ok', 'ok', 'failed']
"""

from meanshift.apps.batch.dask_runner import SchedulerError
from meanshift.apps.batch.jobs import (
    BatchJob,
    job_settings,
    jobs_from_folder,
    jobs_from_manifest,
    load_jobs,
    outputs_for,
)
from meanshift.apps.batch.runner import SUMMARY_COLUMNS, check_batch_outputs, run_batch, write_summary
from meanshift.apps.batch.tracking import PluginError, TrackerOptions, VideoReport, load_plugins, track_video

__all__ = [
    "SUMMARY_COLUMNS",
    "TrackerOptions",
    "PluginError",
    "load_plugins",
    "job_settings",
    "check_batch_outputs",
    "VideoReport",
    "BatchJob",
    "track_video",
    "jobs_from_folder",
    "jobs_from_manifest",
    "load_jobs",
    "outputs_for",
    "run_batch",
    "write_summary",
    "SchedulerError",
]
