"""What a benchmark run does: data sizes, epochs, repeats, shared hyperparameters."""

__all__ = ["ALPHA", "ETA0", "NEWTON_TOL", "SEED", "Config", "make_config"]

from dataclasses import dataclass

from _data import FULL_SIZES, QUICK_SIZES, SEED, DataSizes

# Shared by both sides of every comparison.
ALPHA = 1e-4
# Small enough for a constant step to be stable on standardized dense rows
# (eta * ||x||² ≈ 0.1) and on the sparse rows (about 50 unit-variance values).
ETA0 = 1e-3
NEWTON_TOL = 1e-8


@dataclass(frozen=True)
class Config:
    mode: str
    sizes: DataSizes
    # Epochs of every per-epoch row, dense and sparse: a sparse step costs
    # O(nnz) on both sides (the L2 shrinkage kept in a scale factor).
    epochs: int
    repeats: int


def make_config(quick: bool, repeats: int) -> Config:
    if quick:
        return Config("quick", QUICK_SIZES, epochs=3, repeats=repeats)
    return Config("full", FULL_SIZES, epochs=3, repeats=repeats)
