"""Intersphinx inventories for scikit-learn, NumPy and SciPy, written offline.

The documentation builds without internet access, so intersphinx cannot
download these projects' ``objects.inv``. This module writes equivalent files
from the installed packages instead: every public class and function of the
listed modules (and the public methods of scikit-learn's classes), each linked
to its page in the project's online documentation. The format is Sphinx's
inventory version 2, the one intersphinx reads.
"""

import importlib
import inspect
import zlib
from pathlib import Path

# name: (project, online documentation, modules listed, page of an object).
PROJECTS = {
    "sklearn": (
        "scikit-learn",
        "https://scikit-learn.org/stable/",
        [f"sklearn.{name}" for name in ("base", "utils")]
        + [
            f"sklearn.{name}"
            for name in importlib.import_module("sklearn").__all__
            if name.islower() and name not in ("experimental", "externals")
        ],
        "modules/generated/{}.html",
    ),
    "numpy": (
        "NumPy",
        "https://numpy.org/doc/stable/",
        ["numpy", "numpy.linalg"],
        "reference/generated/{}.html",
    ),
    "scipy": (
        "SciPy",
        "https://docs.scipy.org/doc/scipy/",
        ["scipy.linalg", "scipy.optimize", "scipy.sparse", "scipy.sparse.linalg", "scipy.special"],
        "reference/generated/{}.html",
    ),
}


def _entries(modules, page):
    """``(name, role, uri)`` for each public class, function and class method."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a submodule that is not a module (sklearn.clone)
            continue
        for name in getattr(module, "__all__", dir(module)):
            try:
                obj = getattr(module, name, None)
            except ImportError:  # experimental names that need an explicit enable
                continue
            full = f"{module_name}.{name}"
            # NumPy's scalar types share one page, not a page each: left out.
            if name.startswith("_") or inspect.ismodule(obj) or _is_scalar_type(obj):
                continue
            if inspect.isclass(obj):
                yield full, "py:class", page.format(full) + "#$"
                if module_name.startswith("sklearn."):
                    for method, _ in inspect.getmembers(obj, inspect.isfunction):
                        if not method.startswith("_"):
                            uri = page.format(full) + f"#{full}.{method}"
                            yield f"{full}.{method}", "py:method", uri
            elif callable(obj):
                yield full, "py:function", page.format(full) + "#$"


# The user-guide labels and glossary terms that the docstrings skgd inherits from
# scikit-learn's mixins refer to.
SKLEARN_LABELS = [
    ("metadata_routing", "std:label", "metadata_routing.html#metadata-routing"),
    ("accuracy_score", "std:label", "modules/model_evaluation.html#accuracy-score"),
    ("r2_score", "std:label", "modules/model_evaluation.html#r2-score"),
    ("meta-estimator", "std:term", "glossary.html#term-meta-estimator"),
]


def _is_scalar_type(obj):
    return inspect.isclass(obj) and issubclass(obj, importlib.import_module("numpy").generic)


def write_inventory(name, folder):
    """Write ``name``'s inventory under ``folder``; return its path."""
    project, _, modules, page = PROJECTS[name]
    version = importlib.import_module(name).__version__
    path = Path(folder) / f"{name}-{version}.inv"
    entries = [*_entries(modules, page), *(SKLEARN_LABELS if name == "sklearn" else [])]
    lines = sorted({f"{obj} {role} 1 {uri} -\n" for obj, role, uri in entries})
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n# Version: {version}\n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress("".join(lines).encode()))
    return path


def intersphinx_mapping(folder):
    """The ``intersphinx_mapping`` of ``conf.py``: online URLs, local inventories."""
    return {name: (PROJECTS[name][1], str(write_inventory(name, folder))) for name in PROJECTS}
