"""Models saved by an earlier layout of the package still load and predict identically.

The pickle and skops files in ``tests/data/saved_models`` were written before
the solver redesign moved skgd's internal classes (``save_models.py`` there).
"""

import pickle
from pathlib import Path

import numpy as np
import pytest
import skops.io
from _saved_model_cases import MODELS, outputs

FOLDER = Path(__file__).parent / "data" / "saved_models"
EXPECTED = np.load(FOLDER / "expected.npz")


def _load(name, fmt):
    path = FOLDER / f"{name}.{'pkl' if fmt == 'pickle' else 'skops'}"
    if fmt == "pickle":
        with open(path, "rb") as file:
            return pickle.load(file)
    untrusted = skops.io.get_untrusted_types(file=path)
    # What skops asks the user to trust: skgd's own classes, nothing else.
    assert untrusted and all(name.startswith("skgd.") for name in untrusted), untrusted
    return skops.io.load(path, trusted=untrusted)


@pytest.mark.parametrize("fmt", ["pickle", "skops"])
@pytest.mark.parametrize("name", list(MODELS))
def test_saved_model_loads_and_predicts_identically(name, fmt):
    estimator = _load(name, fmt)
    X = MODELS[name][1]
    got = outputs(estimator, X)
    assert sorted(got) == sorted(
        key.split("/")[1] for key in EXPECTED if key.startswith(f"{name}/")
    )
    for method, values in got.items():
        expected = EXPECTED[f"{name}/{method}"]
        assert values.dtype == expected.dtype, method
        np.testing.assert_array_equal(values, expected, err_msg=method)
