"""Pinned fits: refactoring the solvers leaves every fitted model as it was.

``tests/data/pinned_fits.npz`` holds ``coef_``, ``intercept_``, ``n_iter_``
and ``t_`` of every case in ``tests/_pinned_cases.py``, recorded by
``tests/data/record_pinned_fits.py`` (or the error message's first clause, for
a fit that raises). A change that alters a fit on purpose re-records the
file in a commit of its own that says why.
"""

import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from _pinned_cases import case_ids, fit_case, fitted_arrays

PINNED = np.load(Path(__file__).parent / "data" / "pinned_fits.npz")


def _tolerance(name, dtype):
    if dtype == np.float32 and "newton" in name:
        # A float32 Newton step solves a float32 system, which magnifies the
        # BLAS's rounding: with NumPy 2.0 and 2.1 the coefficients land up
        # to 4e-5 from those recorded with NumPy 2.4, with NumPy 2.5 up to
        # 1.2e-4 (on a scale of 1). The float64 twins of these fits hold 1e-12.
        return 1e-3
    if dtype == np.float32:
        return 1e-5
    # Multinomial fits sum over classes in a kernel order that may change.
    return 1e-9 if "multinomial" in name else 1e-12


@pytest.mark.parametrize(
    "name, case, storage, dtype, mode", case_ids(), ids=[ids[0] for ids in case_ids()]
)
def test_fit_matches_pinned(name, case, storage, dtype, mode):
    if f"{name}/error" in PINNED:
        with pytest.raises(ValueError, match=re.escape(str(PINNED[f"{name}/error"]))):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fit_case(case, storage, dtype, mode)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = fit_case(case, storage, dtype, mode)
    rtol = _tolerance(name, dtype)
    for field, value in fitted_arrays(estimator).items():
        expected = PINNED[f"{name}/{field}"]
        if field in ("n_iter", "t"):
            np.testing.assert_array_equal(value, expected, err_msg=field)
            continue
        # Entries that cancel to about zero are compared on the coefficients' scale.
        atol = rtol * max(1.0, float(np.max(np.abs(expected), initial=0.0)))
        np.testing.assert_allclose(value, expected, rtol=rtol, atol=atol, err_msg=field)
