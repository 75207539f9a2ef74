"""Objectives: a loss over data plus a penalty, and every pass a solver asks of them."""

from skgd._objective._base import Objective, take_rows
from skgd._objective._linear import LinearObjective
from skgd._objective._multinomial import MultinomialObjective, center

__all__ = ["LinearObjective", "MultinomialObjective", "Objective", "center", "take_rows"]
