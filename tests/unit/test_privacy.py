"""Privacy rules on the release builder's building blocks (DESIGN.md rules 4 and 5)."""

import numpy as np
import pandas as pd

from dashboard.data import privacy
from dashboard.data.schema import CITYWIDE, CallCategory


def rows_frame(spec):
    """spec: list of (week, district, category, count)."""
    out = []
    for week, district, category, count in spec:
        out += [
            dict(
                call_id=f"{len(out) + i}",
                jurisdiction="denver",
                week=pd.Timestamp(week),
                time_grain="week",
                district=district,
                call_category=category,
            )
            for i in range(count)
        ]
    return pd.DataFrame(out)


def test_big_classes_are_untouched():
    rows = rows_frame([("2023-01-02", "1", "welfare_check", 11)])
    out, stats = privacy.k_anonymize(rows, 11)
    assert (out["time_grain"] == "week").all()
    assert stats == privacy.AnonymizationStats(0, 0, 0, 0)


def test_small_weeks_merge_into_their_month():
    rows = rows_frame([("2023-01-02", "1", "welfare_check", 6), ("2023-01-09", "1", "welfare_check", 5)])
    out, stats = privacy.k_anonymize(rows, 11)
    assert stats.generalized_time == 11 and stats.withheld == 0
    assert (out["week"] == pd.Timestamp("2023-01-01")).all()
    assert (out["time_grain"] == "month").all()
    assert (out["district"] == "1").all()


def test_then_place_then_category_then_withheld():
    rows = rows_frame(
        [
            ("2023-01-02", "1", "welfare_check", 6),
            ("2023-01-02", "2", "welfare_check", 5),  # -> citywide
            ("2023-01-02", "3", "intoxication", 4),
            ("2023-01-02", "3", "public_assist", 7),  # -> other
            ("2023-03-06", "4", "disturbance", 3),  # alone all the way: withheld
        ]
    )
    out, stats = privacy.k_anonymize(rows, 11)
    assert stats.generalized_time == 25
    assert stats.withheld == 3
    assert len(out) == 22
    jan = out[out["week"] == pd.Timestamp("2023-01-01")]
    assert set(jan["district"]) == {CITYWIDE}
    assert privacy.class_size_violations(out, 11) == 0
    assert (jan["call_category"] == CallCategory.OTHER.value).sum() == 11


def test_output_is_always_k_anonymous_on_random_input(rng):
    n = 3000
    rows = pd.DataFrame(
        {
            "call_id": np.arange(n).astype(str),
            "jurisdiction": "denver",
            "week": pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 20, n) * 7, unit="D"),
            "time_grain": "week",
            "district": rng.choice(list("1234567"), n),
            "call_category": rng.choice([c.value for c in CallCategory], n),
        }
    )
    out, stats = privacy.k_anonymize(rows, 11)
    assert privacy.class_size_violations(out, 11) == 0
    assert len(out) + stats.withheld == n


def cube(cells):
    return pd.DataFrame(cells, columns=["district", "precinct", "n"])


def test_small_cells_are_suppressed():
    out = privacy.suppress_cells(
        cube([("1", "a", 50), ("1", "b", 40), ("1", "c", 3), ("1", "d", 5)]), 11, ["district"]
    )
    hidden = out[out["suppressed"]]
    assert set(hidden["precinct"]) == {"c", "d"}
    assert hidden["n"].isna().all()


def test_a_lone_hidden_cell_gets_a_complement():
    out = privacy.suppress_cells(cube([("1", "a", 50), ("1", "b", 40), ("1", "c", 3)]), 11, ["district"])
    assert set(out.loc[out["suppressed"], "precinct"]) == {"b", "c"}  # b is the smallest other cell


def test_zero_cells_serve_as_complements():
    out = privacy.suppress_cells(cube([("1", "a", 0), ("1", "b", 40), ("1", "c", 3)]), 11, ["district"])
    assert set(out.loc[out["suppressed"], "precinct"]) == {"a", "c"}


def test_no_hidden_cell_can_be_recovered_from_the_margin(rng):
    """Solve for hidden cells from published cells and public district totals: must fail."""
    cells = [(d, f"{d}{p}", int(rng.choice([0, 2, 5, 9, 15, 40]))) for d in "1234" for p in range(5)]
    out = privacy.suppress_cells(cube(cells), 11, ["district"])
    truth = cube(cells).set_index("precinct")["n"]
    for district, group in out.groupby("district"):
        hidden = group[group["suppressed"]]
        assert len(hidden) != 1, f"district {district}: one hidden cell equals total minus the rest"
        if len(hidden) >= 2:
            remainder = truth[group["precinct"]].sum() - group["n"].dropna().sum()
            # Many splits of the remainder fit: the hidden cells are not determined.
            assert remainder == truth[hidden["precinct"]].sum()
