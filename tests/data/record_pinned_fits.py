"""Record the pinned fits that ``tests/test_pinned_fits.py`` checks against.

    python tests/data/record_pinned_fits.py

Run it only to pin new results on purpose, in a commit that says why they
changed.
"""

import sys
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from _pinned_cases import case_ids, fit_case, fitted_arrays  # noqa: E402


def main():
    arrays = {}
    for name, case, storage, dtype, mode in case_ids():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                estimator = fit_case(case, storage, dtype, mode)
        except ValueError as error:
            # A fit that fails is pinned too: it must go on failing the same way.
            arrays[f"{name}/error"] = np.asarray(str(error).split(":")[0])
            continue
        for field, value in fitted_arrays(estimator).items():
            arrays[f"{name}/{field}"] = value
    np.savez_compressed(HERE / "pinned_fits.npz", **arrays)
    n_failed = sum(key.endswith("/error") for key in arrays)
    print(f"recorded {len(case_ids())} fits, {n_failed} of which raise")


if __name__ == "__main__":
    main()
