"""What code a measurement ran: the commit, and a digest of skgd's source files.

A row measured on another machine (the GPU rows) records both. The digest
needs no git, so it can be taken on a machine that has a copy of the work
tree only, and compared later with the current source to tell whether the
code measured has changed since (``figures.py`` does).
"""

import hashlib
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIGEST_LENGTH = 12


def source_digest(root=ROOT):
    """A short SHA-256 over the paths and contents of ``root/skgd/**/*.py``."""
    package = Path(root) / "skgd"
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py"), key=lambda p: p.relative_to(package).as_posix()):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:DIGEST_LENGTH]


def commit(root=ROOT):
    """The short commit of ``root``'s checkout, or ``"unknown"`` where git cannot tell."""
    try:
        completed = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return completed.stdout.strip()
