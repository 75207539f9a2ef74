"""The documentation's formulas render offline: MathJax comes with the site.

One page with a formula is built in a temporary project that takes
``docs/conf.py``'s extensions and theme (all but the gallery, which runs
every example); its HTML must load MathJax from the site's own ``_static``
files, which the build must have copied, and from no other address.
"""

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

CONF = Path(__file__).resolve().parents[1] / "docs" / "conf.py"
OFFLINE_MATHJAX = "sphinx-mathjax-offline"
GALLERY = "sphinx_gallery.gen_gallery"
# What the docs extra installs that this build imports.
DOCS_MODULES = ("sphinx", "numpydoc", "pydata_sphinx_theme", OFFLINE_MATHJAX)
PAGE = r"""Objective
=========

.. math::

   J(w) = \frac{1}{n} \sum_{i=1}^n L(y_i, x_i^\top w) + \alpha \lVert w \rVert^2
"""


def _conf_settings():
    """``extensions`` and ``html_theme`` as docs/conf.py sets them (literals)."""
    settings = {}
    for node in ast.parse(CONF.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("extensions", "html_theme"):
                settings[node.targets[0].id] = ast.literal_eval(node.value)
    return settings


def _missing_docs_modules():
    return [name for name in DOCS_MODULES if importlib.util.find_spec(name) is None]


def test_the_docs_configuration_bundles_mathjax():
    extensions = _conf_settings()["extensions"]
    assert OFFLINE_MATHJAX in extensions
    # It sets the path that sphinx.ext.mathjax reads, so it must come after it.
    assert extensions.index(OFFLINE_MATHJAX) > extensions.index("sphinx.ext.mathjax")


@pytest.mark.skipif(
    bool(_missing_docs_modules()),
    reason=f"needs the docs extra (pip install '.[docs]'): {_missing_docs_modules()} missing",
)
def test_a_page_built_offline_loads_mathjax_from_the_sites_own_files(tmp_path):
    settings = _conf_settings()
    source, html = tmp_path / "source", tmp_path / "html"
    source.mkdir()
    extensions = [name for name in settings["extensions"] if name != GALLERY]
    (source / "conf.py").write_text(
        f"extensions = {extensions!r}\nhtml_theme = {settings['html_theme']!r}\n",
        encoding="utf-8",
    )
    (source / "index.rst").write_text(PAGE, encoding="utf-8")
    # A fresh process: Sphinx registers directives with docutils globally.
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(source), str(html)],
        check=True,
    )
    page = (html / "index.html").read_text(encoding="utf-8")

    scripts = re.findall(r'<script[^>]*\bsrc="([^"]+)"', page)
    mathjax = [src for src in scripts if "mathjax" in src.lower()]
    assert len(mathjax) == 1, scripts
    assert mathjax[0].startswith("_static/"), mathjax
    assert (html / mathjax[0]).is_file()
    # MathJax fetches its fonts relative to its own script: they came along too.
    assert any((html / "_static" / "mathjax" / "output" / "chtml" / "fonts").rglob("*.woff"))
    assert not re.search(r"https?://[^\"']*mathjax", page, flags=re.IGNORECASE)
    # The formula is on the page, in the delimiters MathJax typesets.
    assert r"\[J(w) = \frac{1}{n} \sum_{i=1}^n" in page
