"""``python -m meanshift``: the same command line as the ``meanshift`` console script."""

from meanshift.apps.cli import main

if __name__ == "__main__":
    main(prog_name="meanshift")
