"""Dask arrays as input: the estimators fitted where the data lie.

A dask array is a grid of NumPy blocks held by the workers of a cluster (or
computed on demand). skgd fits on it without ever gathering ``X`` into one
process:

- **validation** is lazy (:mod:`._validation`): dtype, dimensions, number of
  features and chunking are read from the array's metadata; finiteness is
  checked by the workers as part of the first pass;
- **objectives** (:mod:`._objective`) implement the interface the solvers use
  as reductions over row blocks: each block builds the NumPy objective on its
  rows, returns an O(d) gradient (an O(d²) Hessian for Newton), and the
  client sums the partials. Raw predictions ``X w`` stay on the workers,
  one vector per block (:mod:`._blocks`), kept by the actor that runs each
  worker's blocks on a distributed cluster (:mod:`._runner`);
- **sampled-row solvers** (sgd, minibatch, momentum) walk the blocks in turn
  (:mod:`._epoch`): each block runs the compiled NumPy epoch on the worker
  that holds it, and only the solver state (coefficients, velocity,
  averages) travels from block to block;
- **predictions** are lazy dask arrays, each block predicted by the NumPy
  estimator (:mod:`._estimators`);
- **lost workers** cost the fit seconds: every wait on the cluster is
  bounded (:mod:`._cluster`), the scheduler recomputes lost blocks and
  epoch tasks, and a pass whose actor is lost runs again on new actors
  (:mod:`._runner`).

Dask is optional: this module imports it only when it is given a dask array.
"""

import sys


def is_dask_array(X):
    """Whether ``X`` is a dask array, without importing dask.

    A dask array can only exist once ``dask.array`` has been imported, so an
    absent module means ``X`` is not one.
    """
    dask_array = sys.modules.get("dask.array")
    return dask_array is not None and isinstance(X, dask_array.Array)
