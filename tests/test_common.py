"""scikit-learn's estimator checks over every estimator × solver, at the defaults.

Each instance sets ``solver`` and nothing else (the classifier's newton
also takes ``loss="log_loss"``: its default hinge loss has no second
derivative): the checks run on what a user gets.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skgd import GDClassifier, GDRegressor, PerceptronGD

FIRST_ORDER = ("batch", "sgd", "minibatch", "momentum")


def _estimators():
    for solver in FIRST_ORDER:
        yield GDRegressor(solver=solver)
        yield GDClassifier(solver=solver)
        yield PerceptronGD(solver=solver)
    yield GDRegressor(solver="newton")
    yield GDClassifier(solver="newton", loss="log_loss")


def _expected_failed_checks(estimator):
    # minibatch and momentum pass these checks at their default batch of 32:
    # the checks' 15 weighted rows (about 30 repeated) fit in one batch, so
    # each step sees every row. With batches smaller than the data they visit
    # rows in a random order too, and would fail as sgd does.
    if estimator.solver == "sgd":
        reason = (
            "A stochastic solver visits rows in a random order, so weighting a row "
            "by 2 is not the same computation as repeating it."
        )
        return {
            "check_sample_weight_equivalence_on_dense_data": reason,
            "check_sample_weight_equivalence_on_sparse_data": reason,
        }
    return {}


@parametrize_with_checks(list(_estimators()), expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
