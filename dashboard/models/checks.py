"""Argument checks of the planner's models: numbers in range, or ValueError naming the argument.

The planner's inputs come from a page's form and the API as well as from code, so every
public function of ``dashboard.models`` checks its numbers the same way and says which
argument is wrong. Separate so that the Erlang formulas, plans, demand and the estimate
share one set of checks without importing each other.
"""

from __future__ import annotations

import math
from numbers import Real


def check_whole(value: object, name: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or ValueError naming ``name``."""
    bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok and float(value).is_integer():
        number = int(value)
        if number >= low and (high is None or number <= high):
            return number
    raise ValueError(f"{name}: must be a whole number {bound}, got {value!r}")


def check_real(
    value: object, name: str, low: float = 0.0, high: float | None = None, *, open_low: bool = False
) -> float:
    """``value`` as a finite float in the given range, or ValueError naming ``name``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        number = float(value)
        above = number > low if open_low else number >= low
        if above and (high is None or number <= high):
            return number
    if high is None:
        bound = f"greater than {low:g}" if open_low else f"at least {low:g}"
    else:
        bound = f"between {low:g} and {high:g}"
    raise ValueError(f"{name}: must be a number {bound}, got {value!r}")


def check_share(value: object, name: str) -> float:
    return check_real(value, name, 0.0, 1.0)
