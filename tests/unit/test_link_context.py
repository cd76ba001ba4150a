"""What a link keeps from page to page (issue 15 item 7): ``params.context``."""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.params.context import MAX_CARRIED, context_params, page_district
from dashboard.params.districts import area_view_query
from dashboard.params.filters import Filters


@pytest.mark.parametrize(
    ("path", "search", "expected"),
    [
        ("/", "?city=denver&start=2023-01-01&end=2023-12-31&category=welfare_check&metric=count",
         [("city", "denver"), ("start", "2023-01-01"), ("end", "2023-12-31"), ("category", "welfare_check")]),
        # lang goes last, as the pages write it; page parameters (metric, compare, shift) stay behind.
        ("/outcomes", "?lang=es&compare=all&program=STAR&program=PATROL",
         [("program", "STAR"), ("program", "PATROL"), ("lang", "es")]),
        # A police district's page is that district; a council district's is none.
        ("/district/3", "?city=denver&start=2023-01-01&shift=2-0123456-22-2",
         [("city", "denver"), ("start", "2023-01-01"), ("district", "3")]),
        ("/district/council-10", "?city=denver", [("city", "denver")]),
        ("/district/3", "?district=1", [("district", "1")]),
        ("/", None, []),
        ("/", 42, []),
        (None, "?city=denver", [("city", "denver")]),
    ],
)
def test_context_is_the_filters_language_and_a_district_page(path, search, expected):
    assert context_params(path, search) == expected


def test_context_is_bounded():
    long = "x" * 65
    assert context_params("/", f"?city={long}") == []
    assert len(context_params("/", "?" + "&".join(f"district={i}" for i in range(500)))) == MAX_CARRIED
    assert page_district("/district/" + "9" * 100) is None
    assert page_district("/district/3/extra") is None
    assert page_district("/districts") is None


def test_a_district_page_links_to_the_overview_and_outcomes_with_its_district():
    f = Filters(city="denver", start=date(2023, 1, 1), end=date(2023, 12, 1))
    assert area_view_query(f, "police", "3", "es") == [
        ("city", "denver"), ("start", "2023-01-01"), ("end", "2023-12-31"), ("district", "3"), ("lang", "es")]
    assert ("district", "10") not in area_view_query(f, "council", "10")
