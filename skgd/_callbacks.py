"""scikit-learn's callbacks (``sklearn.callback``) on skgd's fits.

The task tree follows ``LogisticRegression``'s: the root task is the fit;
its subtasks are the iterations (epochs for the sampled solvers), or, for a
one-vs-rest classifier, one task per binary problem, each with its
iterations. A solver sees only an :class:`IterationMonitor`: ``begin()``
before an iteration and ``end(coef, intercept)`` after it, which returns
True when a callback asks the fit to stop.
"""

import copy

from skgd._solvers import SolverResult


class FitTasks:
    """The callback contexts of one ``fit`` or ``partial_fit`` call.

    Parameters
    ----------
    estimator : BaseGD
        The estimator being fitted; it must carry callbacks
        (``estimator._skl_callbacks``).
    X, y : the data as given to ``fit``.
    metadata : dict or None
        Passed to the hooks (``{"sample_weight": ...}``).
    states : list of EpochState
        The solver states, one per problem; the reconstructed estimator
        takes every other problem's current coefficients from them.
    max_iter : int
    labels : list or None
        The positive class of each one-vs-rest problem (None: one problem).
    fitted_extras : dict
        Fitted attributes known before the solve (``classes_``).
    """

    def __init__(self, estimator, X, y, metadata, states, max_iter, labels, fitted_extras):
        self.estimator = estimator
        self.states = states
        self.max_iter = max_iter
        self.fitted_extras = fitted_extras
        self.dtype = X.dtype
        n_problems = len(states)
        if n_problems == 1:
            self.root = estimator._init_callback_context(max_subtasks=max_iter)
        else:
            # One-vs-rest problems may run in threads (n_jobs): not sequential.
            self.root = estimator._init_callback_context(
                max_subtasks=n_problems, sequential_subtasks=False
            )
        self.labels = labels
        # What every hook is told, besides the fitted attributes.
        self.hook_args = {"estimator": estimator, "X": X, "y": y, "metadata": metadata}
        self.root.call_on_fit_task_begin(**self.hook_args)

    def monitor(self, k):
        """The iteration monitor of problem ``k``."""
        if len(self.states) == 1:
            return IterationMonitor(self, self.root, k)
        task = self.root.subcontext(
            task_name=f"one-vs-rest, class {self.labels[k]}",
            task_id=k,
            max_subtasks=self.max_iter,
        )
        task.call_on_fit_task_begin(**self.hook_args)
        return IterationMonitor(self, task, k, owns_task=True)

    def reconstruction(self, k=None, coef=None, intercept=None):
        """The fitted attributes of the model with problem ``k`` at ``coef``."""
        results = [
            SolverResult(state.coef, state.intercept, 0, 0.0, False, [], "")
            for state in self.states
        ]
        if k is not None:
            results[k] = results[k]._replace(coef=coef, intercept=intercept)
        twin = copy.copy(self.estimator)
        twin._set_coef(results, self.dtype)
        attributes = dict(self.fitted_extras)
        for name in ("coef_", "intercept_", "_softmax"):
            if name in vars(twin):
                attributes[name] = vars(twin)[name]
        return attributes

    def end(self):
        """End the root task; the estimator holds its fitted attributes."""
        self.root.call_on_fit_task_end(
            **self.hook_args, reconstruction_attributes=self.reconstruction
        )


class IterationMonitor:
    """What a solver calls around each iteration (or epoch) of one problem."""

    def __init__(self, tasks, parent, k, owns_task=False):
        self.tasks, self.parent, self.k = tasks, parent, k
        self.owns_task = owns_task
        self.iteration = None

    def begin(self):
        self.iteration = self.parent.subcontext(task_name="iteration")
        self.iteration.call_on_fit_task_begin(**self.tasks.hook_args)

    def end(self, coef, intercept):
        """End the current iteration at ``(coef, intercept)``; True means stop."""
        tasks = self.tasks
        stop = self.iteration.call_on_fit_task_end(
            **tasks.hook_args,
            # Evaluated only if a callback asks for the fitted estimator.
            reconstruction_attributes=lambda: tasks.reconstruction(self.k, coef, intercept),
        )
        return bool(stop)

    def close(self):
        """End this problem's task (one-vs-rest) once its solver returns."""
        if self.owns_task:
            tasks = self.tasks
            self.parent.call_on_fit_task_end(
                **tasks.hook_args, reconstruction_attributes=tasks.reconstruction
            )
