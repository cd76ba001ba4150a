"""Property-based attempts to break docs/architecture.md "Privacy rules" 1-5 with adversarial input.

Hypothesis builds internal frames out of the situations that break naive anonymizers (a
single rare call in a one-precinct district, one person with many calls, a burst in one
week, every call in one district, many rare categories, an identifier hidden in a column
the contract does not know) and for each:

* the release builds (``build_release`` validates before publishing, so a violation
  would raise) and ``validate`` finds it clean;
* the DuckDB path's rows are byte-identical to the pandas reference's;
* no output holds the hidden identifier, its column name or the person key.

The DuckDB ladder is also checked against the pandas reference on its own, and cube
suppression on random two-way tables against scipy's LP. Runtime is kept to a few seconds per property.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from dashboard.contract.schema import CITYWIDE, CallCategory, Outcome, ResponseType, UnansweredReason
from dashboard.publish import complements, linear_system, privacy
from dashboard.publish.release import build_release
from dashboard.publish.validate import validate_release

from .test_release import reference_calls_parquet

CATEGORIES = [c.value for c in CallCategory]
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
BUILDS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: Text no output may contain: planted in a column the contract does not know.
SENTINEL = "QZXJ-SENTINEL"
PERSON = "person-QZXJ-0001"


# -- the ladder: DuckDB equals the pandas reference -------------------------------------


@st.composite
def quasi_identifier_rows(draw: st.DrawFn) -> tuple[pd.DataFrame, int]:
    """Rows of a few weeks (month boundaries included), districts, categories and programs,
    in clumps of 1..15 identical classes (many just under or over k), each clump with its
    own mix of outcomes (some dominated by arrests or holds)."""
    first = date(2023, 1, 2) + timedelta(weeks=draw(st.integers(0, 60)))
    weeks = [first + timedelta(weeks=i) for i in range(draw(st.integers(1, 9)))]
    districts = draw(st.lists(st.sampled_from(["1", "2", "3", "4", "5", CITYWIDE]), min_size=1, max_size=5,
                              unique=True))
    categories = draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=9, unique=True))
    programs = draw(st.lists(st.sampled_from([r.value for r in ResponseType]), min_size=1, max_size=4,
                             unique=True))
    outcomes = st.sampled_from(["resolved_on_scene", "arrest", "mental_health_hold", "referred_to_services"])
    clumps = draw(st.lists(
        st.tuples(st.sampled_from(weeks), st.sampled_from(districts), st.sampled_from(categories),
                  st.sampled_from(programs), st.booleans(), st.integers(1, 15),
                  st.lists(outcomes, min_size=1, max_size=3), st.booleans()),
        min_size=1, max_size=30,
    ))
    rows = [
        {"call_id": f"{i}-{j}", "jurisdiction": "denver", "week": pd.Timestamp(week), "time_grain": "week",
         "district": district, "call_category": category, "response_type": program,
         "police_backup": backup and program == "STAR", "outcome": mix[j % len(mix)],
         "repeat_contact_90d": repeat and j % 2 == 0, "unanswered_reason": None}
        for i, (week, district, category, program, backup, count, mix, repeat) in enumerate(clumps)
        for j in range(count)
    ]
    frame = pd.DataFrame(rows)
    frame["week"] = frame["week"].astype("datetime64[s]")
    frame["unanswered_reason"] = frame["unanswered_reason"].astype("string")
    return frame, draw(st.integers(2, 12))


@FAST
@given(quasi_identifier_rows())
def test_the_sql_ladder_equals_the_pandas_reference(case):
    rows, k = case
    expected, expected_stats = privacy.k_anonymize(rows, k)
    got, stats = privacy.k_anonymize_sql(rows, k)
    assert stats == expected_stats
    pd.testing.assert_frame_equal(got, expected)
    assert privacy.class_size_violations(got, k) == 0
    assert len(got) + stats.withheld == len(rows)


# -- cube suppression: protect, then attack with an independent LP -----------------------


@FAST
@given(
    # Rectangular by construction (a filter on equal row lengths threw most draws away and
    # tripped Hypothesis's filter_too_much health check now and then).
    st.integers(2, 6).flatmap(lambda width: st.lists(
        st.lists(st.sampled_from([0, 0, 1, 2, 3, 5, 9, 10, 11, 12, 40, 300]), min_size=width, max_size=width),
        min_size=2, max_size=6)),
    st.integers(3, 12),
)
def test_protected_two_way_tables_resist_an_independent_lp_attack(table, k):
    """A table with both margins public (a district's hours and the city's hour, say):
    after ``protect``, scipy's own LP finds every hidden cell able to reach 0 and k-1 (or
    its margin), whatever the counts."""
    values = np.array(table, dtype=float)
    rows_n, cols_n = values.shape
    b = linear_system.SystemBuilder()
    cells = b.add_cells([f"t r{r} c{c}" for r in range(rows_n) for c in range(cols_n)], values.ravel(),
                        np.zeros(values.size, bool))
    b.add_relations(np.repeat(np.arange(rows_n), cols_n), cells, 1.0, values.sum(1), constant=True)
    b.add_relations(np.tile(np.arange(cols_n), rows_n), cells, 1.0, values.sum(0), constant=True)
    system = b.build()
    hidden = complements.protect(system, k, b"test-key")
    assert hidden[complements.primary(values.ravel(), k)].all()
    h = np.flatnonzero(hidden)
    if not len(h):
        return

    def interval(columns: np.ndarray, j: int, published: np.ndarray) -> tuple[float, float]:
        rhs = system.rhs - system.matrix @ published
        cost = np.zeros(len(columns))
        cost[j] = 1.0
        a = system.matrix[:, columns]
        lo = linprog(cost, A_eq=a, b_eq=rhs, bounds=(0, None), method="highs").fun
        hi = -linprog(-cost, A_eq=a, b_eq=rhs, bounds=(0, None), method="highs").fun
        return lo, hi

    everything = np.arange(values.size)
    for j, cell in enumerate(h):
        lo, hi = interval(h, j, np.where(hidden, 0.0, values.ravel()))
        if lo >= k - 1e-6:
            continue  # provably not a small count
        # What the margins alone (no cell published) already tell about the cell.
        base_lo, base_hi = interval(everything, int(cell), np.zeros(values.size))
        assert lo <= max(0.0, base_lo) + 1e-6, (system.labels[cell], lo)
        assert hi >= min(k - 1, base_hi) - 1e-6, (system.labels[cell], hi)


# -- whole releases from adversarial internal frames ------------------------------------

SCENARIOS = ("rare_call_tiny_precinct", "one_person_many_calls", "burst_in_one_week", "all_in_one_district",
             "many_rare_categories", "identifier_in_unexpected_column")
HIDING_PLACES = ("notes", "Caller Phone", "addr", "x", "misc", "geo", "INCIDENT#", "extra_1", "comments")
HIDDEN_VALUES = ("303-555-0142", "1500 N Broadway St", "39.7392,-104.9903", "DPD-23-004512", "p000123456")


def calls(rng: np.random.Generator, n: int, *, start: str = "2023-01-02", days: int = 120,
          districts: tuple[str, ...] = ("1", "2", "3"), categories: list[str] | None = None) -> pd.DataFrame:
    """``n`` ordinary calls; every field drawn, precincts nested in districts."""
    categories = categories or CATEGORIES
    district = rng.choice(list(districts), n)
    return pd.DataFrame({
        "jurisdiction": "denver",
        "received_hour": pd.Timestamp(start) + pd.to_timedelta(rng.integers(0, days * 24, n), unit="h"),
        "district": district,
        "precinct": pd.array(np.char.add(district.astype(str), rng.choice(["01", "02"], n)), dtype="string"),
        "neighborhood": None,
        "council_district": None,
        "call_category": rng.choice(categories, n),
        "star_eligible": rng.random(n) < 0.4,
        "response_type": rng.choice([r.value for r in ResponseType], n),
        "response_minutes": pd.array(np.where(rng.random(n) < 0.1, 0, rng.integers(1, 60, n)), dtype="Int32"),
        "outcome": rng.choice([o.value for o in Outcome], n),
        "police_backup": rng.random(n) < 0.05,
        "unanswered_reason": pd.array(
            np.where(rng.random(n) < 0.7, None, rng.choice([u.value for u in UnansweredReason], n)),
            dtype="string"),
        "repeat_contact_90d": rng.random(n) < 0.2,
        "person_key": pd.array(np.char.mod("k%06d", rng.integers(0, 10_000, n)), dtype="string"),
    })


@st.composite
def adversarial_internal(draw: st.DrawFn) -> tuple[pd.DataFrame, int, int, set[str]]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scenarios = draw(st.sets(st.sampled_from(SCENARIOS), min_size=1, max_size=4))
    parts = [calls(rng, draw(st.integers(1, 300)))]
    if "rare_call_tiny_precinct" in scenarios:
        # District 9 has one precinct and one call, at 3 a.m., in a rare category, far
        # from every other call: a unique combination in every dimension.
        lone = calls(rng, 1, start="2024-08-14 03:00", days=1, districts=("9",),
                     categories=[CallCategory.INDECENT_EXPOSURE.value])
        parts.append(lone.assign(precinct=pd.array(["901"], dtype="string"),
                                 received_hour=pd.Timestamp("2024-08-14 03:00")))
    if "one_person_many_calls" in scenarios:
        many = calls(rng, draw(st.integers(20, 150)))
        many["person_key"] = PERSON
        many["repeat_contact_90d"] = True
        parts.append(many)
    if "burst_in_one_week" in scenarios:
        parts.append(calls(rng, draw(st.integers(30, 300)), start="2023-03-06", days=7, districts=("2",),
                           categories=[CallCategory.WELFARE_CHECK.value]))
    if "many_rare_categories" in scenarios:
        for category in CATEGORIES:
            parts.append(calls(rng, draw(st.integers(1, 3)), start="2023-06-05", days=200,
                               categories=[category]))
    frame = pd.concat(parts, ignore_index=True)
    if "all_in_one_district" in scenarios:
        frame["district"] = "3"
        frame["precinct"] = pd.array(np.where(frame.index % 2 == 0, "301", "302"), dtype="string")
    hidden: set[str] = set()
    if "identifier_in_unexpected_column" in scenarios:
        column = draw(st.sampled_from(HIDING_PLACES))
        value = draw(st.sampled_from(HIDDEN_VALUES))
        frame[column] = f"{SENTINEL} {value}"
        hidden = {column}
    k = draw(st.integers(2, 11))
    return frame.sample(frac=1, random_state=int(rng.integers(1 << 31))).reset_index(drop=True), k, \
        draw(st.integers(0, 1000)), hidden


def public_text(path: Path) -> str:
    """Every column name and value of every file of a release, as text."""
    chunks = []
    for file in sorted(path.iterdir()):
        if file.suffix == ".parquet":
            table = pq.read_table(file)
            chunks.append(" ".join(table.column_names))
            chunks.append(table.to_pandas().astype(str).to_csv(index=False))
        else:
            chunks.append(file.read_text())
    return "\n".join(chunks)


@BUILDS
@given(adversarial_internal())
def test_adversarial_input_makes_a_clean_release_equal_to_the_reference(case):
    frame, k, seed, hidden_columns = case
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        info = build_release(frame, root / "releases", city="denver", source="property test",
                             synthetic=True, k=k, seed=seed)  # validates, raises on any violation
        assert validate_release(info.path) == []
        assert validate_release(info.path, k=k) == []

        reference_calls_parquet(frame, root / "reference.parquet", k, seed)
        assert (info.path / "calls.parquet").read_bytes() == (root / "reference.parquet").read_bytes()

        text = public_text(info.path)
        assert SENTINEL not in text
        assert PERSON not in text
        for column in hidden_columns:
            assert all(column not in pq.read_schema(f).names for f in info.path.glob("*.parquet"))
            assert column not in (info.path / "calls.csv").read_text().splitlines()[0].split(",")
