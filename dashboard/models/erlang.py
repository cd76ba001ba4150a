"""Erlang's loss (B) and queueing (C) formulas, scalar and over arrays of loads.

The planner's estimate (``dashboard.models.planner``, whose docstring gives the model)
uses the array forms per weekday-hour; the scalar forms are the checked public API.
Separate because they are textbook formulas with no notion of calls, plans or dates.
"""

from __future__ import annotations

import numpy as np

from dashboard.models.checks import check_real, check_whole


def erlang_b_array(servers: int, load: np.ndarray) -> np.ndarray:
    """Erlang B for one number of servers and an array of loads (the recursion, vectorized)."""
    blocking = np.ones_like(load, dtype=float)
    for j in range(1, servers + 1):
        blocking = load * blocking / (j + load * blocking)
    return blocking


def _erlang_c_array(servers: int, load: np.ndarray) -> np.ndarray:
    blocking = erlang_b_array(servers, load)
    stable = load < servers
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = servers * blocking / (servers - load * (1.0 - blocking))
    return np.where(stable, waiting, 1.0)


def service_level_array(
    servers: int, load: np.ndarray, max_wait: float, minutes_per_call: float
) -> np.ndarray:
    waiting = _erlang_c_array(servers, load)
    stable = load < servers
    level = 1.0 - waiting * np.exp(-(servers - load) * max_wait / minutes_per_call)
    return np.where(stable, level, 0.0)


def erlang_b(servers: int, load: float) -> float:
    """Erlang loss probability: share of calls that find all ``servers`` busy and are lost.

    ``load`` is the offered load in Erlangs (arrivals per hour x mean hours per call).
    ``erlang_b(0, a) == 1`` and ``erlang_b(c, 0) == 0`` for ``c >= 1``.
    """
    c = check_whole(servers, "servers", 0)
    a = check_real(load, "load")
    return float(erlang_b_array(c, np.array([a]))[0])


def erlang_c(servers: int, load: float) -> float:
    """Erlang C: probability that a call must wait in an M/M/c queue (1 when ``load >= servers``)."""
    c = check_whole(servers, "servers", 0)
    a = check_real(load, "load")
    return float(_erlang_c_array(c, np.array([a]))[0])


def erlang_c_service_level(servers: int, load: float, max_wait: float, minutes_per_call: float) -> float:
    """Erlang C service level: probability a call waits at most ``max_wait`` minutes.

    ``P(W <= t) = 1 - C(c, a) exp(-(c - a) t / m)`` with ``m = minutes_per_call``; 0 when
    ``load >= servers`` (the queue grows without bound).
    """
    c = check_whole(servers, "servers", 0)
    a = check_real(load, "load")
    t = check_real(max_wait, "max_wait")
    m = check_real(minutes_per_call, "minutes_per_call", open_low=True)
    return float(service_level_array(c, np.array([a]), t, m)[0])
