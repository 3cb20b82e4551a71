"""One module per ``meanshift`` subcommand (``track``, ``webcam``, ``batch``, ``eval``), loaded on demand.

Each exposes its click command as ``command``; :mod:`meanshift.apps.cli` holds the group and the
options and helpers they share.
"""
