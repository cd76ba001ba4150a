"""City configuration: the TOML loader and per-city program names."""

import pytest

from dashboard.contract.cities import CityConfigError, load_cities, load_city
from dashboard.contract.schema import ResponseType
from dashboard.figures import monthly_figure, program_label
from dashboard.settings import REPO_ROOT

MINIMAL = """
id = "testville"
name = "Testville"
timezone = "America/Denver"
population = 1000
alternative_program = "STAR"
programs = ["STAR", "PATROL"]
"""


def test_shipped_configs_load():
    denver = load_city(REPO_ROOT / "data" / "cities" / "denver.toml")
    assert denver.alternative_program is ResponseType.STAR
    assert [p.vans for p in denver.schedule] == [1, 2, 6, 8]
    assert denver.period_at(denver.schedule[0].start).hours == (10, 18)
    assert denver.label_map == {}


def test_population_is_optional(tmp_path):
    """Issue 14: a city may give no census total; per-capita figures are then withheld."""
    path = tmp_path / "t.toml"
    path.write_text(MINIMAL.replace("population = 1000\n", ""))
    assert load_city(path).population is None


def test_a_city_names_its_own_programs(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(MINIMAL + '[labels]\nSTAR = "Mobile crisis team"\n')
    city = load_city(path)
    assert city.label_map == {"STAR": "Mobile crisis team"}
    assert program_label(ResponseType.STAR, "en", city.label_map) == "Mobile crisis team"
    assert program_label(ResponseType.PATROL, "en", city.label_map) == "Patrol officers"
    assert program_label(ResponseType.STAR, "en") == "STAR team"
    import pandas as pd

    df = pd.DataFrame({"month": pd.to_datetime(["2024-01-01"]), "response_type": ["STAR"],
                       "calls": [8], "weeks": [5], "per_week": [1.6]})
    fig = monthly_figure(df, lang="en", labels=city.label_map).to_dict()
    assert fig["data"][0]["name"] == "Mobile crisis team"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (MINIMAL.replace('population = 1000\n', 'population = "lots"\n'), "population|lots"),
        (MINIMAL.replace('"STAR", "PATROL"', '"SWAT"'), "SWAT"),
        (MINIMAL + '[labels]\nNOPE = "x"\n', "NOPE"),
        ("id = [", "t.toml"),
    ],
)
def test_bad_configs_name_the_problem(tmp_path, text, fragment):
    path = tmp_path / "t.toml"
    path.write_text(text)
    with pytest.raises(CityConfigError, match=fragment):
        load_city(path)


def test_every_shipped_city_has_its_own_words_in_spanish():
    """A Spanish page shows the city's district label, notes, milestones and team names in
    Spanish: each shipped config's ``[translations.es]`` covers every English one."""
    for city in load_cities(REPO_ROOT / "data" / "cities").values():
        text = dict(city.translations).get("es")
        assert text is not None, city.id
        assert text.district_label, city.id
        assert bool(text.precinct_note) == bool(city.geo.precinct_note), city.id
        assert len(text.milestones) == len(city.milestones), city.id
        assert dict(text.labels).keys() == city.label_map.keys(), city.id
        spanish = city.localized("es")
        assert spanish.geo.district_label == text.district_label
        assert [m.label for m in spanish.milestones] == list(text.milestones)
        assert [m.when for m in spanish.milestones] == [m.when for m in city.milestones]
        assert city.localized("en") is city


def test_district_values_that_are_words_are_translated_and_place_names_are_not():
    """Lane County's places are Eugene, Springfield and the words "Other"/"Unknown": a
    Spanish reader sees the words in Spanish, the place names as they are."""
    lane = load_cities(REPO_ROOT / "data" / "cities")["lane_county"]
    spanish = lane.localized("es")
    assert spanish.district_name("Other") == "Resto del condado"
    assert spanish.district_name("Unknown") == "Desconocida"
    assert spanish.district_name("Eugene") == "Eugene"
    assert lane.district_name("Other") == "Other"
    assert spanish.localized("es").district_names == spanish.district_names


@pytest.mark.parametrize("lang", ["en", "es"])
def test_no_shipped_city_labels_its_areas_like_the_city_selector(lang):
    """Lane County's areas were labelled "City", as the city selector is: two filters of
    one page read "City" (issue 14). A city's area label must not repeat the selector's."""
    from dashboard.i18n import t

    selector = t("filters.city", lang).casefold()
    for city in load_cities(REPO_ROOT / "data" / "cities").values():
        label = city.localized(lang).geo.district_label
        assert label.casefold() != selector, (city.id, lang, label)
