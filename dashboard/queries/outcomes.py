"""What happened after the response, per program: the Outcomes page's numbers.

Every figure here is a count of published rows: one scan of ``rollup_counts`` (an exact
GROUP BY of ``calls.csv``) per view, cached like ``queries``; every function below is a
small pandas step over that scan, so switching the comparison costs no query. A
journalist recomputes any number from the "rows behind this view" download by the
definitions below.

**Same calls before comparing** (docs/architecture.md "The data contract":
"Comparisons of programs are always made on
the same call categories"). The programs are sent different calls (different categories,
and a dispatcher's risk screening), so a raw outcome share is not a verdict on a program.
A ``Comparison`` says which calls are counted:

* ``eligible`` (the page's default): only calls that met the alternative team's dispatch
  criteria (``star_eligible`` true). Those are the calls the alternative team could have
  taken, so this is the closest the rows come to like for like: same categories, same
  criteria. Eligibility is only assessed while the program operates, so a view with no
  eligible call has nothing to compare (``resolve_comparison`` falls back to ``shared``).
* ``shared``: only the call categories every shown program answered at least ``k`` times
  in the view (``k`` = the privacy k: a handful of calls says nothing about a program;
  programs with fewer than ``k`` calls in all take no part in the choice).
* ``all``: every call, for completeness; not a like-for-like comparison.

Even within the same categories the mix differs (one program may get more suicidal
threats than another), which the page says in plain words.

Definitions:
* outcome share: calls of a program ending in an outcome / the program's calls counted.
* police backup share: the program's calls with ``police_backup`` / its calls. The
  contract records backup as "the alternative team asked for police" (ingest and the
  sample set it only on the city's alternative program), so it applies to that program
  alone; the others have no value (NaN), not a made-up 0%.
* repeat contact share: the program's calls with ``repeat_contact_90d`` / its calls.

Pure data: no Dash, no Flask (import-linter contract).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, cast

import pandas as pd

from dashboard.contract.schema import CallCategory, Outcome, ResponseType
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries.overview import view_where

Comparison = Literal["eligible", "shared", "all"]
COMPARISONS: tuple[Comparison, ...] = ("eligible", "shared", "all")
DEFAULT_COMPARISON: Comparison = "eligible"


#: Outcomes in display order, from "handled without custody" to "custody", then "no contact".
OUTCOME_ORDER: tuple[Outcome, ...] = (
    Outcome.RESOLVED_ON_SCENE,
    Outcome.REFERRED_TO_SERVICES,
    Outcome.TRANSPORTED_SHELTER,
    Outcome.TRANSPORTED_HOSPITAL,
    Outcome.TRANSPORTED_DETOX,
    Outcome.MENTAL_HEALTH_HOLD,
    Outcome.CITATION,
    Outcome.ARREST,
    Outcome.GONE_ON_ARRIVAL,
    Outcome.REFUSED,
)
#: The outcomes the headline calls "resolved on scene or referred to services".
RESOLVED_OR_REFERRED: tuple[Outcome, ...] = (Outcome.RESOLVED_ON_SCENE, Outcome.REFERRED_TO_SERVICES)

_BASE_COLUMNS = ["call_category", "response_type", "outcome", "star_eligible", "backup", "repeat", "calls"]


def base_counts(store: Store, f: Filters) -> pd.DataFrame:
    """One cached scan: calls by category, program, outcome, eligibility, backup and repeat.

    City, period, districts and categories of ``f`` apply; programs do not (the page picks
    the programs it shows, and the ``shared`` comparison looks at every shown program).
    A few thousand rows at most (9 x 4 x 10 x 2 x 2 x 2), whatever the size of the release.
    """
    base = f.with_(programs=())
    where, params = view_where(base)

    def compute() -> pd.DataFrame:
        frame = store.frame(
            f"""SELECT call_category, response_type, outcome,
                       coalesce(star_eligible, false) AS star_eligible,
                       coalesce(police_backup, false) AS backup,
                       coalesce(repeat_contact_90d, false) AS repeat,
                       sum(n)::BIGINT AS calls
                FROM rollup_counts WHERE {where} GROUP BY ALL""",
            params,
        )
        return frame[_BASE_COLUMNS].astype(
            {"call_category": "object", "response_type": "object", "outcome": "object"}
        )

    return store.cached(("outcomes_base", base), compute)


def programs_shown(store: Store, f: Filters) -> list[str]:
    """The programs the page compares: those of the URL's ``program`` filter, else all the city's."""
    city_programs = store.cities[f.city].programs
    return [p.value for p in city_programs if not f.programs or p in f.programs]


def shared_categories(base: pd.DataFrame, programs: Sequence[str], k: int) -> tuple[CallCategory, ...]:
    """Categories in which every program in ``programs`` answered at least ``k`` calls."""
    part = base[base["response_type"].isin(programs)]
    counts = part.pivot_table(
        index="call_category", columns="response_type", values="calls", aggfunc="sum", fill_value=0
    ).reindex(columns=list(programs), fill_value=0)
    keep = counts.index[(counts >= k).all(axis=1)] if len(programs) else counts.index[:0]
    return tuple(c for c in CallCategory if c.value in set(keep))


@dataclass(frozen=True)
class Scope:
    """The calls a comparison counts: the rows of ``counts`` (base_counts' columns)."""

    comparison: Comparison
    programs: tuple[str, ...]
    #: For ``shared``: the categories kept (empty for the other comparisons: all kept).
    categories: tuple[CallCategory, ...]
    counts: pd.DataFrame


def resolve_comparison(
    store: Store, f: Filters, wanted: Comparison, k: int
) -> tuple[Scope, Comparison | None]:
    """The calls counted for ``wanted``, plus the comparison asked for when it had to change.

    ``eligible`` with no eligible call in the view (before the program started) falls back
    to ``shared``; ``shared`` with no category every program answered falls back to ``all``.
    The second value is None when ``wanted`` was used.
    """
    base = base_counts(store, f)
    programs = tuple(programs_shown(store, f))
    base = base[base["response_type"].isin(programs)]
    order: list[Comparison] = list(COMPARISONS[COMPARISONS.index(wanted):])
    for comparison in order:
        scope = _scope(base, programs, comparison, k)
        if comparison == "all" or int(scope.counts["calls"].sum()) > 0:
            return scope, (None if comparison == wanted else wanted)
    raise AssertionError("unreachable: 'all' always returns")  # pragma: no cover


def _scope(base: pd.DataFrame, programs: tuple[str, ...], comparison: Comparison, k: int) -> Scope:
    if comparison == "eligible":
        counts = base[base["star_eligible"].astype(bool)]
        return Scope(comparison, programs, (), counts.reset_index(drop=True))
    if comparison == "shared":
        # Programs with a handful of calls in the view (a team before it started) would
        # leave no category at all; they take no part in choosing the categories.
        totals = base.groupby("response_type")["calls"].sum()
        active = [p for p in programs if int(totals.get(p, 0)) >= k]
        categories = shared_categories(base, active, k)
        counts = base[base["call_category"].isin([c.value for c in categories])]
        return Scope(comparison, programs, categories, counts.reset_index(drop=True))
    return Scope(cast(Comparison, "all"), programs, (), base.reset_index(drop=True))


def outcome_table(scope: Scope) -> pd.DataFrame:
    """Calls and share of the program's calls, per program and outcome (zeros included).

    Columns: response_type, outcome, calls, total (the program's calls with an outcome
    recorded), share (NaN when the program has no such call, and for the not-recorded
    row: those calls are counted beside the shares, never as an outcome of their own).
    Programs in the city's order, outcomes in ``OUTCOME_ORDER`` then ``not_recorded``.
    """
    outcomes = [o.value for o in OUTCOME_ORDER] + [Outcome.NOT_RECORDED.value]
    grid = pd.MultiIndex.from_product([list(scope.programs), outcomes], names=["response_type", "outcome"])
    got = scope.counts.groupby(["response_type", "outcome"])["calls"].sum()
    out = got.reindex(grid, fill_value=0).astype("int64").rename("calls").reset_index()
    recorded = out["outcome"] != Outcome.NOT_RECORDED.value
    totals = out["calls"].where(recorded, 0).groupby(out["response_type"]).transform("sum")
    out["total"] = totals.astype("int64")
    share = out["calls"] / out["total"].where(out["total"] > 0)
    out["share"] = share.where(recorded).astype("float64")
    return out


def program_flags(scope: Scope, alternative: ResponseType) -> pd.DataFrame:
    """Per program: calls, backups, backup_share, repeats, repeat_share.

    ``backup_share`` is NaN for every program but ``alternative`` (the city's
    alternative program: the only one backup is recorded for) and for programs with no
    call; ``repeat_share`` is NaN without calls.
    """
    rows = []
    counts = scope.counts
    for program in scope.programs:
        part = counts[counts["response_type"] == program]
        calls = int(part["calls"].sum())
        backups = int(part.loc[part["backup"].astype(bool), "calls"].sum())
        repeats = int(part.loc[part["repeat"].astype(bool), "calls"].sum())
        applies = ResponseType(program) is alternative
        rows.append(
            {
                "response_type": program,
                "calls": calls,
                "backups": backups,
                "backup_share": backups / calls if calls and applies else float("nan"),
                "repeats": repeats,
                "repeat_share": repeats / calls if calls else float("nan"),
            }
        )
    return pd.DataFrame(
        rows, columns=["response_type", "calls", "backups", "backup_share", "repeats", "repeat_share"]
    ).astype({"calls": "int64", "backups": "int64", "repeats": "int64"})


def flow_table(scope: Scope) -> pd.DataFrame:
    """Calls by category, program and outcome (non-zero combinations), largest first.

    Columns: call_category, response_type, outcome, calls. Summed over categories it is
    ``outcome_table``; summed over outcomes, the calls of each category per program.
    """
    got = (
        scope.counts.groupby(["call_category", "response_type", "outcome"], as_index=False)["calls"]
        .sum()
        .astype({"calls": "int64"})
    )
    got = got[got["calls"] > 0]
    return got.sort_values(
        ["calls", "call_category", "response_type", "outcome"], ascending=[False, True, True, True]
    ).reset_index(drop=True)


@dataclass(frozen=True)
class Headline:
    """The numbers of the page's headline sentence for one program."""

    program: str
    calls: int
    resolved_or_referred: float | None
    arrest: float | None
    #: Of ``calls``, those with no outcome recorded (left out of the shares).
    not_recorded: int = 0


def headline(table: pd.DataFrame, program: str) -> Headline:
    """Calls, share resolved on scene or referred, share arrested, of one program (from
    ``outcome_table``). Shares are of the calls with an outcome recorded, None when there
    is none."""
    part = table[table["response_type"] == program]
    calls = int(part["calls"].sum())
    missing = int(part.loc[part["outcome"] == Outcome.NOT_RECORDED.value, "calls"].sum())
    recorded = calls - missing
    if not recorded:
        return Headline(program, calls, None, None, missing)
    good = int(part.loc[part["outcome"].isin([o.value for o in RESOLVED_OR_REFERRED]), "calls"].sum())
    arrests = int(part.loc[part["outcome"] == Outcome.ARREST.value, "calls"].sum())
    return Headline(program, calls, good / recorded, arrests / recorded, missing)
