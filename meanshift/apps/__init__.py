"""The applications over the library: the command line, the live window, batch runs (local and Dask)."""
