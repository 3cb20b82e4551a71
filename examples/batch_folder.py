"""Track every video of a folder in parallel, each from the box in its sidecar file.

The folder holds ``clip.mp4`` next to ``clip.box`` (one line: ``x,y,w,h``), and so on. Results go
to OUT_DIR/clip.csv, with OUT_DIR/summary.csv listing what worked and what did not. Run it again
and the videos already done are skipped.

Usage::

    python examples/batch_folder.py clips/ results/ [--jobs 2] [--scheduler tcp://HOST:8786 | local]

The same as ``meanshift batch clips/ --out results/``, from Python; with ``--scheduler`` the videos
run as Dask tasks (``pip install '.[distributed]'`` in the checkout).
"""

import argparse

from meanshift.apps.batch import TrackerOptions, load_jobs, run_batch


def main() -> int:
    parser = argparse.ArgumentParser(description="Track every video of a folder.")
    parser.add_argument("folder", help="videos with sidecar .box files, or a CSV manifest")
    parser.add_argument("out_dir")
    parser.add_argument("--jobs", type=int, default=None, help="processes (default: one per core)")
    parser.add_argument("--preset", default="generalized")
    parser.add_argument("--scheduler", default=None, help="Dask scheduler address, or 'local' for a LocalCluster")
    args = parser.parse_args()

    jobs = load_jobs(args.folder)
    reports = run_batch(jobs, args.out_dir, options=TrackerOptions(args.preset), n_jobs=args.jobs,
                        scheduler=args.scheduler)
    for r in reports:
        print(f"{r.status:8} {r.frames:6d} frames {r.fps:7.1f} fps  {r.video}  {r.error}  (attempts: {r.attempts})")
    return 1 if any(r.status == "failed" for r in reports) else 0


# The guard matters: worker processes are started with "spawn" and import this file again.
if __name__ == "__main__":
    raise SystemExit(main())
