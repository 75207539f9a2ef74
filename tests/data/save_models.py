"""Save the models that ``tests/test_saved_models.py`` loads, with what they predict.

    python tests/data/save_models.py

The files in ``saved_models/`` were written by an earlier release of the
package's internals: they check that models users saved keep loading after
classes move. Re-run it only to add models, never to replace the old files.
"""

import pickle
import sys
import warnings
from pathlib import Path

import numpy as np
import skops.io

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent))

from _saved_model_cases import MODELS, outputs  # noqa: E402


def main():
    folder = HERE / "saved_models"
    folder.mkdir(exist_ok=True)
    expected = {}
    for name, (estimator, X, y) in MODELS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimator.fit(X, y)
        with open(folder / f"{name}.pkl", "wb") as file:
            pickle.dump(estimator, file)
        skops.io.dump(estimator, folder / f"{name}.skops")
        for method, values in outputs(estimator, X).items():
            expected[f"{name}/{method}"] = values
    np.savez_compressed(folder / "expected.npz", **expected)
    print(f"saved {len(MODELS)} models")


if __name__ == "__main__":
    main()
