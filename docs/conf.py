"""Sphinx configuration of skgd's documentation.

Build the site from the repository root (``pip install ".[docs]"`` first)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

and open ``docs/_build/html/index.html``. The build runs every gallery example;
add ``-D plot_gallery=0`` to skip running them (the example pages are still
written, without their output). The build needs no internet access, and
neither does the site: the intersphinx inventories of scikit-learn, NumPy and
SciPy are written from the installed packages (``_tools/inventories.py``) into
``_build/inventories``, and MathJax is copied into the site's ``_static``
(``sphinx-mathjax-offline``) rather than loaded from a CDN.
"""

import os
import sys
from pathlib import Path

import skgd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_tools"))

from inventories import intersphinx_mapping as _offline_inventories  # noqa: E402

# The gallery's figures are written to files, never shown.
os.environ.setdefault("MPLBACKEND", "Agg")

project = "skgd"
author = "The skgd developers"
copyright = "The skgd developers"
release = skgd.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # Points mathjax_path at a copy of MathJax in _static: formulas render offline.
    "sphinx-mathjax-offline",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "_templates", "_tools"]
default_role = "literal"

# API reference: one page per public object, written by autosummary.
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_xref_param_type = False

# Links to the projects skgd builds on, resolved offline.
intersphinx_mapping = _offline_inventories(HERE / "_build" / "inventories")

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": "/plot_",
    "image_scrapers": ("matplotlib",),
    # "Examples using X" on each API page (see _templates).
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("skgd",),
    # Used by sphinx-gallery before 0.22; later versions resolve the links to
    # skgd from this build and say so in an info message.
    "reference_url": {"skgd": None},
    "within_subsection_order": "FileNameSortKey",
}

html_theme = "pydata_sphinx_theme"
html_title = f"skgd {release}"
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "header_links_before_dropdown": 6,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "migration": [], "performance": [], "changelog": []}
html_static_path = []
html_show_sourcelink = False
