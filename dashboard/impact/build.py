"""``crisis-dashboard impact``: before/after estimates on a city's offense reports, offline.

Reads the city's ``[impact]`` configuration (``dashboard.contract.impact``) and its
reference file of offense reports by month, precinct and type, and writes to
``data/impact/<city>/`` what the Impact page shows, each file as Parquet (the page reads
it through DuckDB) and CSV (the download):

* ``offense_panel``: reports per group, precinct and month (precincts with reports in at
  least half the months; "unknown" codes left out), with ``served`` (the
  precinct is in the configured area): the panel every estimate is fitted on, so a reader
  can refit any of them;
* ``estimates``: per group, the headline estimate (``variant`` = ``main``, with its
  permutation p-value), each precinct left out in turn (``leave_out:<precinct>``, when
  the area is approximate) and each fake start date (``placebo:<date>``);
* ``event_study``: per group, the monthly differences with their 95% band;
* ``impact.json``: what was compared (area, dates, offense types, sources), the input
  file's sha256, the estimator and its settings.

Estimates take a few seconds per group (the permutation test most of it), too slow for a
page: computed once here, when the reference file or the configuration changes, and
committed with the project like a release.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import asdict
from datetime import date
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from dashboard.contract.cities import City, CityConfigError, load_cities
from dashboard.contract.impact import CATEGORY_PREFIX, GROUPS, ImpactConfig
from dashboard.models.impact import did, event_study, permutation_p
from dashboard.settings import Settings

#: Random precinct sets of the permutation test, and its seed (fixed: a rebuild of the
#: same inputs writes the same p-values).
PERMUTATIONS = 199
SEED = 20200601
#: A precinct id is kept when it has reports in at least this share of the months: the
#: reference file's data-entry errors (ids seen once or twice) and blanks drop out.
MIN_MONTH_SHARE = 0.5
TABLES = ("offense_panel", "estimates", "event_study")


def read_offenses(path: Path) -> pd.DataFrame:
    """The reference file: month (Timestamp), precinct, category, type, offenses."""
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    return pd.DataFrame({
        "month": pd.to_datetime(raw["month"] + "-01"),
        "precinct": raw["precinct_id"].str.strip(),
        "category": raw["offense_category_id"], "type": raw["offense_type_id"],
        "offenses": pd.to_numeric(raw["offenses"]).astype("int64"),
    })


def group_mask(offenses: pd.DataFrame, entries: tuple[str, ...]) -> pd.Series:
    """Rows of ``offenses`` in a group: its types, and whole categories (``category:``)."""
    if not entries:
        return pd.Series(True, index=offenses.index)
    categories = {e.removeprefix(CATEGORY_PREFIX) for e in entries if e.startswith(CATEGORY_PREFIX)}
    types = {e for e in entries if not e.startswith(CATEGORY_PREFIX)}
    return offenses["type"].isin(types) | offenses["category"].isin(categories)


def build_panel(offenses: pd.DataFrame, config: ImpactConfig) -> pd.DataFrame:
    """Reports per group x precinct x month over the window, zeros filled in."""
    first, last = pd.Timestamp(config.first_month), pd.Timestamp(config.area.end)
    placed = offenses["precinct"].str.fullmatch(r"\d+") & ~offenses["precinct"].isin(config.unknown_precincts)
    window = offenses[offenses["month"].between(first, last) & placed]
    months = pd.date_range(first, last, freq="MS")
    seen = window.groupby("precinct")["month"].nunique()
    precincts = sorted(seen.index[seen >= MIN_MONTH_SHARE * len(months)])
    grid = pd.MultiIndex.from_product([GROUPS, precincts, months], names=["group", "precinct", "month"])
    parts = []
    for group in GROUPS:
        part = window[group_mask(window, config.group(group))]
        parts.append(part.groupby(["precinct", "month"])["offenses"].sum().rename(group))
    wide = pd.concat(parts, axis=1).fillna(0).reset_index()
    counts = wide.melt(id_vars=["precinct", "month"], var_name="group", value_name="offenses")
    counts = counts.set_index(["group", "precinct", "month"])["offenses"]
    panel = counts.reindex(grid, fill_value=0).astype("int64").reset_index()
    panel["served"] = panel["precinct"].isin(config.area.precincts)
    return panel


def _unit_panel(panel: pd.DataFrame, group: str, drop: str | None = None) -> pd.DataFrame:
    part = panel[(panel["group"] == group) & (panel["precinct"] != drop)]
    return part.rename(columns={"precinct": "unit", "offenses": "count"})[["unit", "month", "count"]]


def estimates(panel: pd.DataFrame, config: ImpactConfig, draws: int = PERMUTATIONS) -> pd.DataFrame:
    """Every estimate the page shows (module doc), one row each."""
    start = pd.Timestamp(config.area.start)
    served = [p for p in config.area.precincts if p in set(panel["precinct"])]
    rows = []
    for group in GROUPS:
        units = _unit_panel(panel, group)
        main = did(units, served, start)
        rows.append({"group": group, "variant": "main", "start": start.date(), **asdict(main),
                     "p_permutation": permutation_p(units, served, start, draws, SEED)})
        if config.area.approximate:
            for precinct in served:
                rest = [p for p in served if p != precinct]
                rows.append({"group": group, "variant": f"leave_out:{precinct}", "start": start.date(),
                             **asdict(did(_unit_panel(panel, group, precinct), rest, start))})
        for fake in config.placebo_starts:
            # Only the months before the real start: the fake start has them all to itself.
            before = units[units["month"] < start]
            rows.append({"group": group, "variant": f"placebo:{fake.isoformat()}", "start": fake,
                         **asdict(did(before, served, pd.Timestamp(fake)))})
    return pd.DataFrame(rows)


def event_studies(panel: pd.DataFrame, config: ImpactConfig) -> pd.DataFrame:
    start = pd.Timestamp(config.area.start)
    served = list(config.area.precincts)
    frames = [event_study(_unit_panel(panel, g), served, start).assign(group=g) for g in GROUPS]
    out = pd.concat(frames, ignore_index=True)
    return out[["group", "event_month", "month", "effect", "low", "high"]]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(city: City, settings: Settings, out: Path | None = None, draws: int = PERMUTATIONS) -> Path:
    """Compute and write the city's impact files; returns their folder."""
    config = city.impact
    if config is None:
        raise CityConfigError(f"{city.id}: no [impact] section in the city configuration")
    source = settings.data_dir / config.offenses
    panel = build_panel(read_offenses(source), config)
    tables = {"offense_panel": panel, "estimates": estimates(panel, config, draws),
              "event_study": event_studies(panel, config)}
    folder = out or settings.data_dir / "impact" / city.id
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        frame = frame.assign(month=frame["month"].dt.date) if "month" in frame else frame
        frame.to_parquet(folder / f"{name}.parquet", index=False)
        frame.to_csv(folder / f"{name}.csv", index=False, float_format="%.6g")
    meta = {
        "city": city.id,
        "offenses_file": config.offenses, "offenses_sha256": _sha256(source),
        "offenses_source": config.offenses_source,
        "window": [config.first_month.isoformat(), config.area.end.isoformat()],
        "service_area": {**asdict(config.area), "start": config.area.start.isoformat(),
                         "end": config.area.end.isoformat()},
        "groups": {g: list(config.group(g)) for g in GROUPS},
        "placebo_starts": [d.isoformat() for d in config.placebo_starts],
        "unknown_precincts": list(config.unknown_precincts),
        "precincts": sorted(panel["precinct"].unique().tolist()),
        "estimator": "Poisson regression with precinct and month fixed effects, errors clustered by "
                     "precinct (statsmodels GLM); permutation test over random precinct sets",
        "permutations": draws, "seed": SEED, "statsmodels": version("statsmodels"),
        "built": date.today().isoformat(),
    }
    (folder / "impact.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return folder


def main(args: argparse.Namespace, settings: Settings) -> int:
    cities = load_cities(settings.cities_dir)
    wanted = args.city or [c for c, city in cities.items() if city.impact is not None]
    for city_id in wanted:
        if city_id not in cities:
            print(f"impact: no city {city_id!r} (known: {', '.join(cities)})", file=sys.stderr)  # noqa: T201
            return 2
        try:
            folder = build(cities[city_id], settings, draws=args.permutations)
        except (CityConfigError, OSError, ValueError) as exc:
            print(f"impact: {city_id}: {exc}", file=sys.stderr)  # noqa: T201 - CLI error report
            return 1
        print(f"{city_id}: impact estimates -> {folder}")  # noqa: T201 - the CLI's summary
    return 0
