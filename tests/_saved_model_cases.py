"""The models saved to ``tests/data/saved_models`` and what they must go on predicting."""

import numpy as np
import scipy.sparse as sp
from sklearn.datasets import make_classification, make_regression

from skgd import GDClassifier, GDRegressor, PerceptronGD

SOLVERS = ("batch", "sgd", "minibatch", "momentum", "newton")
X_REG, Y_REG = make_regression(n_samples=60, n_features=4, noise=1.0, random_state=0)
X_CLF, Y_CLF = make_classification(
    n_samples=60, n_features=4, n_informative=3, n_redundant=0, n_classes=3, random_state=0
)


def _models():
    models = {}
    for solver in SOLVERS:
        params = {"solver": solver, "max_iter": 10, "random_state": 0, "batch_size": 8}
        stochastic = solver in ("sgd", "minibatch", "momentum")
        average = {"average": True} if stochastic else {}
        models[f"regressor-{solver}"] = (GDRegressor(**params, **average), X_REG, Y_REG)
        models[f"regressor-{solver}-csr-float32"] = (
            GDRegressor(**params),
            sp.csr_matrix(X_REG.astype(np.float32)),
            Y_REG,
        )
        loss = "log_loss" if solver == "newton" else "hinge"
        models[f"classifier-{solver}-binary"] = (
            GDClassifier(loss=loss, **params),
            X_CLF,
            Y_CLF > 0,
        )
        models[f"classifier-{solver}-ovr"] = (
            GDClassifier(loss="log_loss", **params, **average),
            X_CLF,
            Y_CLF,
        )
        models[f"classifier-{solver}-multinomial"] = (
            GDClassifier(loss="log_loss", multi_class="multinomial", **params),
            X_CLF,
            Y_CLF,
        )
        if solver != "newton":
            models[f"perceptron-{solver}"] = (PerceptronGD(**params), X_CLF, Y_CLF)
    return models


MODELS = _models()


def outputs(estimator, X):
    """Everything a saved model computes from X."""
    result = {"predict": np.asarray(estimator.predict(X))}
    for method in ("decision_function", "predict_proba"):
        if hasattr(estimator, method):
            result[method] = np.asarray(getattr(estimator, method)(X))
    return result
