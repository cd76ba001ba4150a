"""City configuration: the TOML loader and per-city program names."""

import pytest

from dashboard.data.cities import CityConfigError, load_city
from dashboard.data.schema import ResponseType
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
        (MINIMAL.replace('population = 1000\n', ''), "population"),
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
