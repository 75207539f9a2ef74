import importlib.util
import os

# scikit-learn reads this when it first imports scipy's array-API support: set it
# before anything imports scikit-learn, so the array-API input check runs.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

# skgd works without dask; the modules of its dask support import dask, so
# their doctests are collected only where dask is installed.
collect_ignore_glob = [] if importlib.util.find_spec("dask") else ["skgd/_dask/_*.py"]
