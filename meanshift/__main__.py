"""``python -m meanshift``: the same command line as the ``meanshift`` console script."""

from meanshift.apps.cli import run

if __name__ == "__main__":
    run()
