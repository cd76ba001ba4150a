"""docs/architecture.md "Privacy rules" 4, the rows: k-anonymity and alpha-diversity, by the ladder."""

import numpy as np
import pandas as pd

from dashboard.contract.schema import CITYWIDE, QUASI_IDENTIFIERS, CallCategory
from dashboard.publish import privacy


def rows_frame(spec):
    """spec: list of (week, district, category, program, count[, outcome])."""
    out = []
    for week, district, category, program, count, *outcome in spec:
        out += [
            dict(
                call_id=f"{len(out) + i}",
                jurisdiction="denver",
                week=pd.Timestamp(week),
                time_grain="week",
                district=district,
                call_category=category,
                response_type=program,
                police_backup=False,
                outcome=outcome[0] if outcome else "resolved_on_scene",
                repeat_contact_90d=False,
                unanswered_reason=None,
            )
            for i in range(count)
        ]
    return pd.DataFrame(out)


def test_big_classes_are_untouched():
    rows = rows_frame([("2023-01-02", "1", "welfare_check", "STAR", 11)])
    out, stats = privacy.k_anonymize(rows, 11)
    assert (out["time_grain"] == "week").all()
    assert stats == privacy.AnonymizationStats(0, 0, 0, 0)


def test_the_program_is_part_of_the_class():
    """11 calls of one week, district and category, but answered by two programs: a
    neighbour who saw the STAR van knows which 6 they are among, so both classes generalize."""
    rows = rows_frame([("2023-01-02", "1", "welfare_check", "STAR", 6),
                       ("2023-01-02", "1", "welfare_check", "PATROL", 5)])
    out, stats = privacy.k_anonymize(rows, 11)
    assert stats.generalized_time == 11
    assert "response_type" in QUASI_IDENTIFIERS and "police_backup" in QUASI_IDENTIFIERS


def test_small_weeks_merge_into_their_month():
    rows = rows_frame([("2023-01-02", "1", "welfare_check", "STAR", 6),
                       ("2023-01-09", "1", "welfare_check", "STAR", 5)])
    out, stats = privacy.k_anonymize(rows, 11)
    assert stats.generalized_time == 11 and stats.withheld == 0
    assert (out["week"] == pd.Timestamp("2023-01-01")).all()
    assert (out["time_grain"] == "month").all()
    assert (out["district"] == "1").all()


def test_then_category_then_place_then_withheld():
    rows = rows_frame(
        [
            ("2023-01-02", "1", "welfare_check", "PATROL", 6),
            ("2023-01-02", "1", "intoxication", "PATROL", 5),  # -> other, with the 6: 11 in district 1
            ("2023-01-02", "2", "welfare_check", "PATROL", 4),
            ("2023-01-02", "3", "public_assist", "PATROL", 7),  # other in 2 and 3: 11, only citywide
            ("2023-03-06", "4", "disturbance", "PATROL", 3),  # alone all the way: withheld
        ]
    )
    out, stats = privacy.k_anonymize(rows, 11)
    assert stats.generalized_time == 25
    assert stats.generalized_category == 25
    assert stats.generalized_place == 14
    assert stats.withheld == 3
    assert len(out) == 22
    jan = out[out["week"] == pd.Timestamp("2023-01-01")]
    assert (jan["call_category"] == CallCategory.OTHER.value).all()
    assert set(jan.loc[jan["district"] != CITYWIDE, "district"]) == {"1"}
    assert (jan["district"] == CITYWIDE).sum() == 11
    assert privacy.class_size_violations(out, 11) == 0


def test_a_class_dominated_by_a_sensitive_outcome_is_generalized():
    """12 calls, 7 ending in arrest: anyone who knows a call is among them would guess
    'arrested' and be right 7 times in 12. The class merges into its month with the month's
    other small classes (23 calls, 7 arrests); a class still dominated is withheld."""
    rows = rows_frame([("2023-01-02", "1", "trespass_unwanted_person", "PATROL", 7, "arrest"),
                       ("2023-01-02", "1", "trespass_unwanted_person", "PATROL", 5),
                       ("2023-01-16", "1", "trespass_unwanted_person", "PATROL", 5),
                       ("2023-01-23", "1", "trespass_unwanted_person", "PATROL", 6),
                       ("2023-03-06", "2", "trespass_unwanted_person", "PATROL", 11, "arrest")])
    assert privacy.class_size_violations(rows.iloc[:12], 11) == 12
    out, stats = privacy.k_anonymize(rows, 11)
    assert stats.generalized_time == 23 + 11
    assert stats.withheld == 11  # all 11 in March were arrests: nothing to merge with
    assert privacy.class_size_violations(out, 11) == 0
    share = (out["outcome"] == "arrest").groupby([out[c] for c in QUASI_IDENTIFIERS]).mean()
    assert (share <= privacy.ALPHA).all() and share.max() == 7 / 23


def test_a_benign_outcome_may_dominate():
    rows = rows_frame([("2023-01-02", "1", "welfare_check", "STAR", 12, "resolved_on_scene")])
    _, stats = privacy.k_anonymize(rows, 11)
    assert stats == privacy.AnonymizationStats(0, 0, 0, 0)


def test_output_is_always_k_anonymous_and_diverse_on_random_input(rng):
    n = 3000
    rows = pd.DataFrame(
        {
            "call_id": np.arange(n).astype(str),
            "jurisdiction": "denver",
            "week": pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 20, n) * 7, unit="D"),
            "time_grain": "week",
            "district": rng.choice(list("1234567"), n),
            "call_category": rng.choice([c.value for c in CallCategory], n),
            "response_type": rng.choice(["STAR", "PATROL", "CIT_OFFICER"], n),
            "police_backup": rng.random(n) < 0.05,
            "outcome": rng.choice(["arrest", "resolved_on_scene", "mental_health_hold"], n,
                                  p=[0.4, 0.4, 0.2]),
            "repeat_contact_90d": rng.random(n) < 0.3,
            "unanswered_reason": None,
        }
    )
    out, stats = privacy.k_anonymize(rows, 11)
    assert privacy.class_size_violations(out, 11) == 0
    assert len(out) + stats.withheld == n
