"""Ingest: config errors, every input format, bad files, bad rows, accounting, privacy.

One hand-made CAD-style export (``export_rows``) is written as UTF-8, UTF-8 with BOM,
cp1252, .xlsx and Parquet; every form must give the same public rows. Its rows carry
planted identifiers (incident numbers, addresses, points, person ids, narratives,
phone numbers) that must not appear in any file the ingest writes.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import shapely

from dashboard.contract.releases import current_release_dir
from dashboard.ingest import accounting, people, readers
from dashboard.ingest.config import load_ingest_config
from dashboard.ingest.config_spec import TimeColumn, normalize_label
from dashboard.ingest.config_tables import IngestConfigError
from dashboard.ingest.input_format import IngestError
from dashboard.ingest.mapper import Mapper
from dashboard.ingest.pipeline import ingest, main
from dashboard.ingest.places import load_assigner, with_boundary_codes
from dashboard.ingest.times import parse_received, parse_times
from dashboard.settings import REPO_ROOT, Settings

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "ingest"
CONFIG = FIXTURES / "testville.toml"
GEO = REPO_ROOT / "geo"
K = 2
SALT = "test-salt-not-secret"
TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
HEADER = ["Incident Number", "Call Received", "First On Scene", "Call Type", "Address", "Longitude",
          "Latitude", "Unit Type", "Disposition", "Backup Requested", "Not Sent Reason", "Person ID",
          "Narrative", "Caller Phone"]
INSIDE = (-104.987612, 39.739234)  # downtown Denver (district 6)
OUTSIDE = (-105.3, 39.5)  # the foothills: in no district


@dataclass
class Row:
    """One export row and what the ingest must make of it."""

    when: datetime | str | None
    call_type: str = "WELFARE CHECK (CRISIS TEAM CRITERIA)"
    unit: str = "STAR"
    disposition: str = "RESOLVED-ON SCENE"
    minutes: float | None = 12
    point: tuple[object, object] = INSIDE
    person: str = ""
    backup: str = "N"
    reason: str = ""
    narrative: str = "RP says SECRETNARRATIVE near Calle Ñandú"
    reject: tuple[str, str, str] | None = None  # (reason, field, detail)
    index: int = field(default=0)

    def cells(self) -> dict[str, object]:
        when = self.when.strftime(TIME_FORMAT) if isinstance(self.when, datetime) else (self.when or "")
        scene = ""
        if isinstance(self.when, datetime) and self.minutes is not None:
            scene = (self.when + timedelta(minutes=self.minutes)).strftime(TIME_FORMAT)
        return {
            "Incident Number": f"INC-PLANT-{self.index:05d}",
            "Call Received": when,
            "First On Scene": scene,
            "Call Type": self.call_type,
            "Address": f"{1000 + self.index} PLANTEDSTREET Ave",
            "Longitude": self.point[0],
            "Latitude": self.point[1],
            "Unit Type": self.unit,
            "Disposition": self.disposition,
            "Backup Requested": self.backup,
            "Not Sent Reason": self.reason,
            "Person ID": self.person,
            "Narrative": self.narrative,
            "Caller Phone": f"303-555-{self.index:04d}",
        }


def export_rows() -> list[Row]:
    """40 good calls in two March 2023 weeks, 2 before the program started, then bad rows.

    Every good row is publishable at k = 2 (none withheld), so the tests below see each
    mapped value in the rows. The rows' classes are week x district x category x program x
    police backup (issue 12): each unit type gets one call type (patrol and CIT calls are
    mental-health calls, the others welfare checks) and so three or more calls a week, the
    two STAR backups share a class, and the only sensitive values (one arrest; persons 0-2
    calling again in the second week, repeat contacts) are at most a third of their class.
    """
    base = datetime(2023, 3, 6, 6, 0, 53)
    rows = []
    units = ["STAR", "PATROL", "STAR", "CIT PATROL", "STAR", "CIRU"]
    for i in range(40):
        unit = units[i % len(units)]
        rows.append(Row(
            base + timedelta(hours=8 * i),
            call_type=("SALUD MENTAL – CRISIS Ñ" if unit in ("PATROL", "CIT PATROL")
                       else "WELFARE CHECK (CRISIS TEAM CRITERIA)"),
            unit=unit,
            disposition="ARREST" if i == 7 else "RESOLVED-ON SCENE",
            minutes=10 + i,
            person=f"PID-PLANT-{i % 37}",
            backup="Y" if i in (0, 1, 2) else "N",  # row 1 is PATROL: not an alternative-team backup
            reason={"PATROL": "OOH", "CIT PATROL": "NO UNIT AVAIL"}.get(unit, ""),
            narrative="SECRETNARRATIVE line one\nline two" if i == 3 else Row.narrative,
        ))
    # Eligible-looking calls before the program's first schedule period: not eligible.
    rows += [Row(datetime(2022, 12, 20, 10, 0, 0)), Row(datetime(2022, 12, 21, 11, 0, 0))]
    # Durations that are nulled (and counted), not rejected.
    rows += [Row(base + timedelta(hours=1), minutes=-10), Row(base + timedelta(hours=2), minutes=30 * 60)]
    # Rejected rows.
    rows += [
        Row("not a time", reject=("unparseable_time", "Call Received", "")),
        Row(None, reject=("missing_required_field", "Call Received", "")),
        Row("13/45/2023 10:00:00 AM", reject=("unparseable_time", "Call Received", "")),
        Row(base, call_type="ALIEN LANDING", reject=("unknown_code", "Call Type", "ALIEN LANDING")),
        Row(base, unit="HELICOPTER", reject=("unknown_code", "Unit Type", "HELICOPTER")),
        Row(base, disposition="=HYPERLINK(1)", reject=("unknown_code", "Disposition", "'=HYPERLINK(1)")),
        Row(base, disposition="X" * 60, reject=("unknown_code", "Disposition", "X" * 39 + "…")),
        Row(base, point=OUTSIDE, reject=("point_outside_city", "Longitude/Latitude", "")),
        Row(base, point=("", INSIDE[1]), reject=("missing_required_field", "Longitude", "")),
        Row(base, point=(INSIDE[0], "95.5"), reject=("bad_coordinates", "Latitude", "")),
        Row(base, point=("east", INSIDE[1]), reject=("bad_coordinates", "Longitude", "")),
    ]
    for i, row in enumerate(rows):
        row.index = i
    return rows


PLANTED = ["INC-PLANT-", "PLANTEDSTREET", "SECRETNARRATIVE", "Ñandú", "303-555-", "PID-PLANT",
           "-104.987612", "39.739234", "06:00:53", "03/06/2023", SALT]


# -- writing the export in each format ------------------------------------------------


def write_csv(rows: list[Row], path: Path, encoding: str = "utf-8") -> Path:
    with path.open("w", newline="", encoding=encoding) as fh:
        writer = csv.DictWriter(fh, HEADER)
        writer.writeheader()
        writer.writerows(r.cells() for r in rows)
    return path


def _typed(name: str, value: object) -> object:
    """Spreadsheet cells hold datetimes and numbers, not text, where they can."""
    if value == "":
        return None
    if name in ("Call Received", "First On Scene"):
        try:
            return datetime.strptime(str(value), TIME_FORMAT)
        except ValueError:
            return value
    if name in ("Longitude", "Latitude"):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def write_xlsx(rows: list[Row], path: Path, sheet: str = "Export") -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Notes"
    book.active.append(["not the data"])
    ws = book.create_sheet(sheet)
    ws.append(HEADER)
    for row in rows:
        ws.append([_typed(k, v) for k, v in row.cells().items()])
    for cells in ws.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a clerk would type it
    book.save(path)
    return path


def write_parquet(rows: list[Row], path: Path) -> Path:
    frame = pd.DataFrame([{k: (None if v == "" else str(v)) for k, v in r.cells().items()} for r in rows])
    frame.to_parquet(path, index=False)
    return path


WRITERS = {
    "utf-8": lambda rows, d: write_csv(rows, d / "export.csv"),
    "utf-8-sig": lambda rows, d: write_csv(rows, d / "export.csv", "utf-8-sig"),
    "cp1252": lambda rows, d: write_csv(rows, d / "export.csv", "cp1252"),
    "utf-16": lambda rows, d: write_csv(rows, d / "export.csv", "utf-16"),
    "xlsx": lambda rows, d: write_xlsx(rows, d / "export.xlsx"),
    "parquet": lambda rows, d: write_parquet(rows, d / "export.parquet"),
}


def run(path: Path, out: Path, config: Path = CONFIG, **options: object) -> accounting.Result:
    return ingest(path, config, out, geo_dir=GEO, k=K, quiet=True, **options)


def rejects_of(result: accounting.Result) -> list[tuple[int, str, str, str]]:
    with result.rejects_file.open(newline="", encoding="utf-8") as fh:
        return [(int(r["line"]), r["reason"], r["field"], r["detail"]) for r in csv.DictReader(fh)]


def expected_rejects(rows: list[Row], *, csv_lines: bool) -> list[tuple[int, str, str, str]]:
    """CSV: the physical line a record starts on; sheets and Parquet: row number + 1."""
    out, line = [], 2
    for row in rows:
        if row.reject:
            out.append((line, *row.reject))
        line += 1 + (row.narrative.count("\n") if csv_lines else 0)
    return out


@pytest.fixture(autouse=True)
def fixed_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(people.SALT_ENV, SALT)


@pytest.fixture(scope="module")
def by_format(tmp_path_factory: pytest.TempPathFactory) -> dict[str, accounting.Result]:
    """The export ingested from each format (same salt: the same release is expected)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(people.SALT_ENV, SALT)
    try:
        results = {}
        for name, writer in WRITERS.items():
            work = tmp_path_factory.mktemp(f"fmt-{name}")
            results[name] = run(writer(export_rows(), work), work / "releases")
        return results
    finally:
        mp.undo()


def calls_csv(result: accounting.Result) -> str:
    return (result.release.path / "calls.csv").read_text(encoding="utf-8")


def manifest(result: accounting.Result) -> dict:
    return json.loads((result.release.path / "manifest.json").read_text())


# -- configuration ------------------------------------------------------------------


def test_config_loads_and_ignores_other_top_level_tables():
    cfg = load_ingest_config(CONFIG)
    assert cfg.city.id == "testville" and cfg.points is not None and cfg.points.boundaries == "denver"
    assert cfg.columns()[0] == "Call Received"
    assert "Narrative" not in cfg.columns()  # an identifier that nothing reads


CONFIG_ERRORS = [
    # (replace this text, with this, message must contain)
    ('column = "Call Received"', 'colum = "Call Received"', "[ingest.received.column] is required"),
    ('format = "%m/%d/%Y %I:%M:%S %p"', 'format = "%m/%d/%Y"\nzone = "UTC"',
     "[ingest.received] unknown key(s): zone"),
    ('"ARREST" = "arrest"', '"ARREST" = "jailed"', "[ingest.outcome[0].map.'ARREST'] 'jailed' is not one of"),
    ('format = "%m/%d/%Y %I:%M:%S %p"', 'format = "%m/%d/%Y %I:%M:%S %p"\ntimezone = "Mars/Olympus"',
     "[ingest.received.timezone] 'Mars/Olympus' is not"),
    ('"Caller Phone"]', '"Caller Phone", "Call Type"]', "'Call Type' cannot be value-mapped"),
    ('"DISTURBANCE" = {', '"welfare  CHECK" = { category = "other", eligible = false }\n"DISTURBANCE" = {',
     "already maps to"),
    ('map = { "RESOLVED-ON SCENE"', 'defer = ["GOA"]\nmap = { "RESOLVED-ON SCENE"',
     "only a table followed by another can defer"),
    ('on_scene_column = "First On Scene"', 'on_scene_column = "First On Scene"\nminutes_columns = ["M"]',
     "exactly one of on_scene_column, minutes_columns"),
    ('person_column = "Person ID"', "person_column = 3", "[ingest.person_column] must be a string"),
    ('category = "disturbance", eligible = false', 'category = "disturbance", eligible = "no"',
     "must be true or false"),
    ('[ingest.received]\ncolumn = "Call Received"\nformat = "%m/%d/%Y %I:%M:%S %p"\n', "",
     "[ingest.received] is required"),
    ('start = "2023-01-01"', 'start = "someday"', "is not a YYYY-MM-DD date"),
]


@pytest.mark.parametrize(("old", "new", "message"), CONFIG_ERRORS)
def test_config_errors_name_the_file_and_key(tmp_path: Path, old: str, new: str, message: str):
    text = CONFIG.read_text(encoding="utf-8")
    assert old in text, old
    bad = tmp_path / "broken.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(IngestConfigError) as err:
        load_ingest_config(bad)
    assert str(err.value).startswith(str(bad)), err.value
    assert message in str(err.value), err.value


def test_config_without_ingest_section(tmp_path: Path):
    city_only = tmp_path / "city.toml"
    city_only.write_text(CONFIG.read_text(encoding="utf-8").split("[ingest]")[0], encoding="utf-8")
    with pytest.raises(IngestConfigError, match="no \\[ingest\\] section"):
        load_ingest_config(city_only)


def test_labels_match_ignoring_case_and_spaces():
    assert normalize_label("  Engaged   client ") == normalize_label("Engaged Client") == "engaged client"
    assert normalize_label(10.0) == normalize_label("10") and normalize_label(None) == ""


# -- formats and accounting ----------------------------------------------------------


def test_every_format_gives_the_same_release_rows(by_format):
    reference = calls_csv(by_format["utf-8"])
    assert reference.count("\n") > 40
    for name, result in by_format.items():
        assert calls_csv(result) == reference, name
    assert by_format["utf-8"].source.encoding == "utf-8"
    assert by_format["utf-8-sig"].source.encoding == "utf-8-sig"
    assert by_format["cp1252"].source.encoding == "cp1252"
    assert by_format["utf-16"].source.encoding == "utf-16"
    assert by_format["xlsx"].source.sheet == "Export"


def test_accounting_identity_for_every_format(by_format):
    rows = export_rows()
    n_rejected = sum(r.reject is not None for r in rows)
    for name, result in by_format.items():
        counts = manifest(result)["rows"]
        assert counts["read"] == len(rows) == counts["accepted"] + counts["rejected"], name
        assert counts["rejected"] == n_rejected == len(rejects_of(result)), name
        assert counts["published"] + counts["withheld"] == counts["accepted"], name
        text = accounting.summary(result)
        assert f"read = accepted + rejected: {len(rows)} = {len(rows) - n_rejected} + {n_rejected}" in text


def test_bad_rows_are_rejected_with_line_numbers_reasons_and_fields(by_format):
    rows = export_rows()
    assert rejects_of(by_format["utf-8"]) == expected_rejects(rows, csv_lines=True)
    assert rejects_of(by_format["cp1252"]) == expected_rejects(rows, csv_lines=True)
    assert rejects_of(by_format["xlsx"]) == expected_rejects(rows, csv_lines=False)
    assert rejects_of(by_format["parquet"]) == expected_rejects(rows, csv_lines=False)
    reasons = manifest(by_format["utf-8"])["ingest"]["rejected_by_reason"]
    assert reasons == {"bad_coordinates": 2, "missing_required_field": 2, "point_outside_city": 1,
                       "unknown_code": 4, "unparseable_time": 2}


def test_absurd_durations_are_nulled_and_counted_not_rejected(by_format):
    """Minutes are published per minute in rollup_minutes (not in the rows): the two nulled
    calls are rows without a minute there, and every other call has its own minutes."""
    nulled = manifest(by_format["utf-8"])["ingest"]["response_minutes_nulled"]
    assert nulled == {"negative": 1, "over_24h": 1, "unparseable": 0}
    path = by_format["utf-8"].release.path
    calls = pd.read_csv(path / "calls.csv")
    minutes = pd.read_parquet(path / "rollup_minutes.parquet")
    assert len(calls) - minutes["n"].sum() == 2
    timed = Counter(minutes.groupby("response_minutes")["n"].sum().to_dict())
    good = [r.minutes for r in export_rows() if r.reject is None and r.minutes is not None
            and 0 <= r.minutes <= 24 * 60]
    assert timed == Counter(good)  # 10..49 for the 40 calls, 12 twice for the two December ones


def test_mapped_values_eligibility_and_backup(by_format):
    calls = pd.read_csv(by_format["utf-8"].release.path / "calls.csv", dtype={"district": "string"})
    assert manifest(by_format["utf-8"])["rows"]["withheld"] == 0  # see export_rows: every value is here
    before = calls[calls["week"] < "2023-01-01"]
    assert len(before) == 2 and not before["star_eligible"].any()  # program not yet operating
    assert before["unanswered_reason"].isna().all()
    march = calls[calls["week"] >= "2023-03-01"]
    assert march["star_eligible"].sum() == 42  # 40 + the two duration rows, all criteria calls
    assert (calls["outcome"] == "arrest").sum() == 1
    assert calls["police_backup"].sum() == 2  # the PATROL row's "Y" is no alternative-team backup
    not_star = march[march["response_type"] != "STAR"]
    assert set(not_star["unanswered_reason"]) == {"out_of_hours", "no_team_available", "unknown"}
    assert set(calls["district"]) <= {"6", "citywide"}


# -- privacy ---------------------------------------------------------------------------


def output_texts(root: Path) -> dict[Path, str]:
    """Every file under ``root`` as text; Parquet decoded (its pages are compressed)."""
    texts = {}
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8", errors="replace")
        if path.suffix == ".parquet":
            table = pq.read_table(path)
            text += table.to_pandas().to_csv() + str(table.schema.metadata)
        texts[path] = text
    return texts


def test_no_identifier_reaches_any_output_file(by_format):
    for name, result in by_format.items():
        root = result.rejects_file.parents[2]  # the releases dir of this run
        texts = output_texts(root)
        assert any(p.name == "calls.csv" for p in texts) and any("rejects" in p.parts for p in texts)
        for path, text in texts.items():
            for planted in PLANTED:
                assert planted not in text, f"{planted!r} in {path} ({name})"
            for person in {r.person for r in export_rows() if r.person}:
                digest = hashlib.blake2b(person.encode(), key=SALT.encode(), digest_size=16).hexdigest()
                assert digest not in text, f"hashed person key in {path}"


# -- malformed files ------------------------------------------------------------------


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A releases dir with a current testville release (the one a bad ingest must leave)."""
    work = tmp_path / "good"
    work.mkdir()
    run(write_csv(export_rows(), work / "export.csv"), tmp_path / "releases")
    return tmp_path / "releases"


def snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _xlsx_bytes(tmp: Path) -> bytes:
    return write_xlsx(export_rows(), tmp / "x.xlsx").read_bytes()


def _bad_file(kind: str, tmp: Path) -> Path:
    rows = export_rows()
    if kind == "missing column":
        path = write_csv(rows, tmp / "export.csv")
        frame = pd.read_csv(path, dtype=str).drop(columns=["Call Type"])
        frame.to_csv(path, index=False)
        return path
    if kind == "empty":
        (tmp / "export.csv").write_bytes(b"")
        return tmp / "export.csv"
    if kind == "header only":
        (tmp / "export.csv").write_text(",".join(HEADER) + "\n")
        return tmp / "export.csv"
    if kind == "binary":
        noise = np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)
        (tmp / "export.csv").write_bytes(bytes(noise))
        return tmp / "export.csv"
    if kind == "workbook named csv":
        (tmp / "export.csv").write_bytes(_xlsx_bytes(tmp))
        return tmp / "export.csv"
    if kind == "wrong sheet":
        return write_xlsx(rows, tmp / "export.xlsx", sheet="Calls")
    if kind == "semicolons":
        path = write_csv(rows, tmp / "export.csv")
        path.write_text(path.read_text().replace(",", ";"))
        return path
    if kind == "not parquet":
        (tmp / "export.parquet").write_bytes(b"PAR1 this is not really parquet")
        return tmp / "export.parquet"
    raise AssertionError(kind)


MALFORMED = [
    ("missing column", "missing column(s) required by testville.toml: 'Call Type'"),
    ("empty", "is empty"),
    ("header only", "no data rows"),
    ("binary", "not CSV text: binary data"),
    ("workbook named csv", "has the extension .csv but its content is an Excel .xlsx workbook"),
    ("wrong sheet", "has no sheet 'Export' (sheets: 'Notes', 'Calls')"),
    ("semicolons", "is the delimiter wrong?"),
    ("not parquet", "is not a readable Parquet file"),
]


@pytest.mark.parametrize(("kind", "message"), MALFORMED)
def test_malformed_file_fails_before_writing_anything(served: Path, tmp_path: Path, capsys, kind, message):
    before = snapshot(served)
    current = current_release_dir(served, "testville")
    bad = _bad_file(kind, tmp_path)
    settings = Settings(data_dir=tmp_path / "data", geo_dir=GEO, privacy_k=K)
    args = argparse.Namespace(input=str(bad), city=str(CONFIG), out=str(served), quiet=True)
    assert main(args, settings) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err, err
    assert err.startswith("ingest: error: ")
    assert snapshot(served) == before
    assert current_release_dir(served, "testville") == current


def test_bad_config_fails_through_main_too(tmp_path: Path, capsys):
    bad = tmp_path / "broken.toml"
    bad.write_text(CONFIG.read_text().replace('"ARREST" = "arrest"', '"ARREST" = "jail"'))
    args = argparse.Namespace(input=str(tmp_path / "nothing.csv"), city=str(bad), out=str(tmp_path),
                              quiet=True)
    assert main(args, Settings(data_dir=tmp_path, geo_dir=GEO)) == 1
    assert "'jail' is not one of" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == [bad]


def test_main_prints_the_reconciling_summary(tmp_path: Path, capsys):
    path = write_csv(export_rows(), tmp_path / "export.csv")
    args = argparse.Namespace(input=str(path), city=str(CONFIG), out=str(tmp_path / "rel"), quiet=False)
    assert main(args, Settings(data_dir=tmp_path, geo_dir=GEO, privacy_k=K)) == 0
    captured = capsys.readouterr()
    assert "read = accepted + rejected: 55 = 44 + 11" in captured.out
    assert "rows read (" in captured.err and "rows/s" in captured.err  # progress on stderr


# -- places, repeat contacts, chunks, times ------------------------------------------


def _border_point() -> tuple[float, float, str]:
    """A vertex on the shared border of districts 2 and 6, and the id the rule must pick."""
    from dashboard.geo.boundaries import id_sort_key, load_city_layers, read_sources

    layers = load_city_layers(read_sources(GEO / "denver" / "source"))["districts"]
    polygons = dict(zip(layers["id"].astype(str), layers.geometry, strict=True))
    border = polygons["2"].boundary.intersection(polygons["6"].boundary)
    x, y = shapely.get_coordinates(border)[0]
    inside = [i for i, g in polygons.items() if shapely.intersects_xy(g, x, y)]
    assert {"2", "6"} <= set(inside)
    return float(x), float(y), min(inside, key=id_sort_key)


def test_border_points_are_assigned_to_the_smallest_id_whatever_the_row_order(tmp_path: Path):
    x, y, expected = _border_point()
    when = datetime(2023, 3, 7, 10, 0, 0)
    rows = [Row(when + timedelta(hours=i), point=(repr(x), repr(y))) for i in range(4)]
    districts = []
    for order, name in ((rows, "a"), (rows[::-1], "b")):
        for i, r in enumerate(order):
            r.index = i
        result = run(write_csv(order, tmp_path / f"{name}.csv"), tmp_path / f"rel-{name}")
        calls = pd.read_csv(result.release.path / "calls.csv", dtype={"district": "string"})
        districts.append(set(calls["district"]))
    assert districts == [{expected}, {expected}]


def test_repeat_contacts_look_back_90_days(tmp_path: Path):
    def call(day: str, person: str = "") -> Row:
        return Row(datetime.fromisoformat(day), person=person)

    rows = [
        call("2023-01-02 10:00", "PID-A"), call("2023-04-01 10:00", "PID-A"),  # 89 days: repeat
        call("2023-01-03 10:00", "PID-B"), call("2023-04-04 10:00", "PID-B"),  # 91 days: not
        call("2023-01-04 10:00", "PID-C"), call("2023-01-04 15:00", "PID-C"),  # same day: repeat
        call("2023-01-06 10:00", "PID-E"), call("2023-04-06 10:00", "PID-E"),  # 90 days: repeat
        call("2023-01-05 10:00"),  # no person: never a repeat
        call("2023-03-31 09:00"), call("2023-04-05 09:00"),  # fillers: classes of at least k
    ]
    for i, r in enumerate(rows):
        r.index = i
    salt = "caller-given-salt"  # the sample generator passes its own (and says synthetic)
    result = run(write_csv(rows, tmp_path / "export.csv"), tmp_path / "rel", salt=salt, synthetic=True)
    calls = pd.read_csv(result.release.path / "calls.csv")
    info = manifest(result)
    assert info["rows"]["withheld"] == 0 and info["synthetic"] is True
    assert "given by the caller" in info["ingest"]["repeat_contacts"]
    assert calls["repeat_contact_90d"].sum() == 3
    for path, text in output_texts(tmp_path / "rel").items():
        assert "PID-" not in text and salt not in text, path
        for person in ("PID-A", "PID-B", "PID-C", "PID-E"):
            assert hashlib.blake2b(person.encode(), key=salt.encode(), digest_size=16).hexdigest() not in text


def test_followed_looks_ahead_90_days_and_is_unknown_past_the_data(tmp_path: Path):
    """``followed_90d``: the person's next call within 90 days; unknown without a person,
    or when the 90 days run past the export's last call and no later call came first."""
    from dashboard.ingest.people import repeat_contacts

    calls = [  # (received, person, followed)
        ("2023-01-02 10:00", "A", True), ("2023-04-01 10:00", "A", False),  # 89 days, then none
        ("2023-01-03 10:00", "B", False), ("2023-04-04 10:00", "B", False),  # 91 days: not
        ("2023-01-06 10:00", "E", True), ("2023-04-06 10:00", "E", False),  # 90 days: followed
        ("2023-11-01 10:00", "C", None),  # 90 days run past the last call: unknown
        ("2023-11-01 10:00", "D", True), ("2023-12-01 10:00", "D", None),  # a later call: known
        ("2023-05-05 10:00", None, None),  # no person
        ("2023-12-31 10:00", "F", None),  # the export's last call
    ]
    stage = pd.DataFrame({"seq": np.arange(len(calls)), "received_at": pd.to_datetime([c[0] for c in calls]),
                          "person_hash": [c[1] for c in calls], "payload": np.arange(len(calls))})
    stage.to_parquet(tmp_path / "stage.parquet")
    repeat_contacts(tmp_path / "stage.parquet", tmp_path / "out.parquet", has_person=True, work=tmp_path)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["payload"].tolist() == list(range(len(calls)))  # input order, flags by position
    assert [None if pd.isna(v) else bool(v) for v in out["followed_90d"]] == [c[2] for c in calls]
    repeat_contacts(tmp_path / "stage.parquet", tmp_path / "none.parquet", has_person=False, work=tmp_path)
    assert pd.read_parquet(tmp_path / "none.parquet")["followed_90d"].isna().all()


def test_fast_and_exact_csv_readers_agree(tmp_path: Path):
    """Arrow's reader (fast) and Python's csv (exact) give the same rows and line numbers,
    with CRLF endings, newlines inside quoted values, blank lines and all-empty records."""
    path = write_csv(export_rows(), tmp_path / "export.csv")  # CRLF, one value spans 2 lines
    text = path.read_bytes().decode("utf-8").replace("line one\nline two", "line one\r\nline\ntwo")
    lines = text.split("\r\n")
    lines[10:10] = ["", ",,,,,,,,,,,,,", ""]
    path.write_bytes("\r\n".join(lines).encode("utf-8"))
    cfg = load_ingest_config(CONFIG)
    src = readers.open_input(path, cfg)
    assert src.fast
    fast = list(src.chunks(cfg, 7))
    exact = list(replace(src, fast=False).chunks(cfg, 7))
    frame = {name: pd.concat([c.frame for c in chunks], ignore_index=True) for name, chunks in
             (("fast", fast), ("exact", exact))}
    pd.testing.assert_frame_equal(frame["fast"], frame["exact"])
    assert len(frame["fast"]) == len(export_rows())
    lines = {name: np.concatenate([c.lines for c in chunks]).tolist() for name, chunks in
             (("fast", fast), ("exact", exact))}
    assert lines["fast"] == lines["exact"]
    assert lines["fast"][8] - lines["fast"][7] == 4  # two blank lines and an empty record between


def test_rows_with_the_wrong_number_of_fields_are_rejected(tmp_path: Path):
    """A ragged row sends the ingest to the exact reader, which rejects it by line."""
    rows = export_rows()[:40]
    path = write_csv(rows, tmp_path / "export.csv")
    text = path.read_text(encoding="utf-8")
    first = text.count("\n") + 1  # the line the appended records start on
    extra = ",".join(str(v) for v in rows[0].cells().values()) + ",EXTRA"
    last = ",".join(str(v) for v in rows[1].cells().values())  # a short last record is a cut file
    path.write_text(text + "\r\n".join([extra, "", "a,b", last, ""]), encoding="utf-8")
    result = run(path, tmp_path / "rel")
    assert not result.source.fast  # the fast reader gave up on the ragged row
    assert rejects_of(result) == [(first, "malformed_row", "(row)", "field count differs from header"),
                                  (first + 2, "malformed_row", "(row)", "field count differs from header")]
    assert manifest(result)["rows"]["read"] == 43 == manifest(result)["rows"]["accepted"] + 2


def test_chunk_boundaries_change_nothing(by_format, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(readers, "CHUNK_ROWS", 7)  # the multi-line record sits across chunks
    result = run(write_csv(export_rows(), tmp_path / "export.csv"), tmp_path / "rel")
    assert calls_csv(result) == calls_csv(by_format["utf-8"])
    assert rejects_of(result) == rejects_of(by_format["utf-8"])


def test_times_naive_local_offsets_and_utc():
    tz = "America/Denver"
    iso = TimeColumn("t")
    text = pd.Series(["2023-07-01 12:30:00", "2023-07-01T18:30:00Z", "2023-07-01T12:30:00-06:00", "", "bad"])
    got = parse_times(text, iso, tz)
    assert list(got[:3]) == [pd.Timestamp("2023-07-01 12:30")] * 3
    assert got[3:].isna().all()
    utc = parse_times(pd.Series(["2023-01-15 17:00:00"]), replace(iso, timezone="UTC"), tz)
    assert utc[0] == pd.Timestamp("2023-01-15 10:00")  # MST = UTC-7
    aware = pd.Series(pd.to_datetime(["2023-01-15 17:00:00"]).tz_localize("UTC"))
    assert parse_times(aware, iso, tz)[0] == pd.Timestamp("2023-01-15 10:00")
    cells = pd.Series([datetime(2023, 1, 15, 9, 5), "01/15/2023 09:05:00 AM"], dtype=object)
    assert parse_times(cells, TimeColumn("t", TIME_FORMAT), tz).nunique() == 1


def test_a_workbook_is_read_row_by_row_with_sheet_row_numbers(tmp_path: Path):
    """Empty sheet rows are not rows, and the numbers still point at the right sheet row."""
    import openpyxl

    rows = export_rows()
    path = write_xlsx(rows, tmp_path / "export.xlsx")
    book = openpyxl.load_workbook(path)
    book["Export"].insert_rows(5, amount=2)  # two empty rows after sheet row 4
    book.save(path)
    result = run(path, tmp_path / "rel")
    assert manifest(result)["rows"]["read"] == len(rows)
    shifted = [line + 2 for line, *_ in expected_rejects(rows, csv_lines=False)]
    assert [r[0] for r in rejects_of(result)] == shifted


def test_ingest_error_is_raised_for_a_missing_input(tmp_path: Path):
    with pytest.raises(IngestError, match="cannot read"):
        run(tmp_path / "nope.csv", tmp_path / "rel")
    assert not (tmp_path / "rel").exists()


def test_shipped_inputs_are_copied_into_the_project():
    """Ingest input comes from the project, never from ../shared at run time."""
    served_dir = current_release_dir(REPO_ROOT / "data" / "releases", "lane_county")
    assert (REPO_ROOT / "data" / "reference" / "lane_county" / "SOURCE.md").is_file()
    source = json.loads((served_dir / "manifest.json").read_text())["source"]
    assert (REPO_ROOT / "data" / "reference" / "lane_county" / source).is_file()


# -- busy minutes (dispatch -> cleared) ---------------------------------------------------

BUSY_HEADER = [*HEADER, "Unit Dispatched", "Unit Cleared"]


def busy_config(tmp_path: Path, *, dispatched: bool = True) -> Path:
    """Testville's config with a cleared-time column (and, optionally, a dispatch one)."""
    extra = 'dispatched_column = "Unit Dispatched"\n' if dispatched else ""
    text = CONFIG.read_text(encoding="utf-8").replace(
        'on_scene_column = "First On Scene"\n',
        f'on_scene_column = "First On Scene"\n{extra}cleared_column = "Unit Cleared"\n', 1)
    path = tmp_path / "testville.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _stamp(base: datetime, minutes: float | None) -> str:
    return "" if minutes is None else (base + timedelta(minutes=minutes)).strftime(TIME_FORMAT)


def busy_rows() -> list[tuple[Row, str, str, float | None]]:
    """(row, Unit Dispatched, Unit Cleared, expected busy minutes) in March 2023.

    Every row is a good call: busy times decide nothing about acceptance. The last row's
    received time is bad, so it is rejected for that, as before.
    """
    base = datetime(2023, 3, 7, 9, 0, 11)
    cases: list[tuple[float | str | None, float | str | None, float | None]] = [
        # (dispatched, cleared: minutes after received, or a raw cell), expected minutes
        (2, 47, 45),
        (1, 31.4, 30),  # 30 min 24 s: whole minutes, rounded
        (0, 0.5, 0),  # half a minute rounds to even: 0
        (None, None, None),  # not the alternative team's call: no times, no minutes
        (None, 50, None),  # cleared but never dispatched: no duration (not a data error)
        (5, -5, None),  # cleared before dispatched: negative
        (3, 3 + 25 * 60, None),  # over a day
        (3, "yesterday-ish", None),  # unparseable cleared time
        ("13/45/2023 10:00:00 AM", 90, None),  # unparseable dispatch time
    ]
    rows = []
    for i, (dispatched, cleared, expected) in enumerate(cases):
        when = base + timedelta(hours=3 * i)
        cells = [c if isinstance(c, str) else _stamp(when, c) for c in (dispatched, cleared)]
        rows.append((Row(when), cells[0], cells[1], expected))
    rows.append((Row("not a time", reject=("unparseable_time", "Call Received", "")),
                 _stamp(base, 1), _stamp(base, 9), None))
    for i, (row, *_rest) in enumerate(rows):
        row.index = i
    return rows


def write_busy_csv(rows: list[tuple[Row, str, str, float | None]], path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, BUSY_HEADER)
        writer.writeheader()
        for row, dispatched, cleared, _ in rows:
            writer.writerow({**row.cells(), "Unit Dispatched": dispatched, "Unit Cleared": cleared})
    return path


def mapped_busy(path: Path, config: Path) -> list[float | None]:
    """Busy minutes of the accepted rows, as the ingest stages them (never published)."""
    cfg = load_ingest_config(config)
    mapper = Mapper(cfg, SALT.encode(), load_assigner(cfg, GEO))
    (chunk,) = readers.open_input(path, cfg).chunks(cfg)
    accepted, *_ = mapper.map(chunk, 0)
    return [None if v is None else float(v) for v in accepted.column("busy_minutes").to_pylist()]


def test_busy_time_columns_are_configured_like_the_on_scene_time(tmp_path: Path):
    cfg = load_ingest_config(busy_config(tmp_path))
    assert cfg.response.cleared == TimeColumn("Unit Cleared", TIME_FORMAT, "local")
    assert cfg.response.dispatched == TimeColumn("Unit Dispatched", TIME_FORMAT, "local")
    assert {"Unit Dispatched", "Unit Cleared"} <= set(cfg.columns())
    assert load_ingest_config(busy_config(tmp_path, dispatched=False)).response.dispatched is None
    plain = load_ingest_config(CONFIG)
    assert plain.response.cleared is None and "Unit Cleared" not in plain.columns()


BUSY_CONFIG_ERRORS = [
    # (replace this text, with this, message must contain)
    ('cleared_column = "Unit Cleared"\n', "", "[ingest.response.dispatched_column] needs cleared_column"),
    ('cleared_column = "Unit Cleared"\n', 'cleared_format = "%Y"\n', "[ingest.response.cleared_format] needs "
     "cleared_column"),
    ('cleared_column = "Unit Cleared"\n', 'cleared_column = ""\n', "must be a non-empty string"),
    ('cleared_column = "Unit Cleared"\n', 'cleared_column = "Unit Cleared"\ncleared_timezone = "Mars/Base"\n',
     "[ingest.response.cleared_timezone] 'Mars/Base' is not"),
    ('cleared_column = "Unit Cleared"\n', 'cleared_column = "Unit Cleared"\ncleared_colour = "x"\n',
     "unknown key(s): cleared_colour"),
]


@pytest.mark.parametrize(("old", "new", "message"), BUSY_CONFIG_ERRORS)
def test_busy_time_config_errors_name_the_key(tmp_path: Path, old: str, new: str, message: str):
    path = busy_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(IngestConfigError) as err:
        load_ingest_config(path)
    assert message in str(err.value), err.value


def test_a_cleared_column_alone_is_a_valid_response_section(tmp_path: Path):
    path = busy_config(tmp_path, dispatched=False)
    path.write_text(path.read_text(encoding="utf-8").replace('on_scene_column = "First On Scene"\n', "", 1),
                    encoding="utf-8")
    cfg = load_ingest_config(path)
    assert cfg.response.on_scene is None and cfg.response.cleared is not None
    assert "First On Scene" not in cfg.columns()


def test_busy_minutes_from_dispatch_to_cleared_with_bad_durations_nulled(tmp_path: Path):
    rows = busy_rows()
    path = write_busy_csv(rows, tmp_path / "export.csv")
    expected = [e for row, _, _, e in rows if row.reject is None]
    assert mapped_busy(path, busy_config(tmp_path)) == expected


def test_without_a_dispatch_column_busy_time_runs_from_the_call_received(tmp_path: Path):
    rows = busy_rows()
    path = write_busy_csv(rows, tmp_path / "export.csv")
    got = mapped_busy(path, busy_config(tmp_path, dispatched=False))
    # cleared - received: 47, 31.4, 0.5 (-> 0), none, 50, -5 (null), 1503 (null), bad, 90
    assert got == [47, 31, 0, None, 50, None, None, None, 90]


def test_bad_busy_durations_are_warned_about_and_the_calls_kept(tmp_path: Path):
    rows = busy_rows()
    path = write_busy_csv(rows, tmp_path / "export.csv")
    plain = run(write_csv([r for r, *_ in rows], tmp_path / "plain.csv"), tmp_path / "rel-plain")
    result = run(path, tmp_path / "rel", config=busy_config(tmp_path))
    for res in (plain, result):  # the busy columns change no row's fate
        counts = manifest(res)["rows"]
        assert counts["read"] == len(rows) == counts["accepted"] + counts["rejected"]
        assert counts["rejected"] == 1 and rejects_of(res) == [(11, "unparseable_time", "Call Received", "")]
    assert calls_csv(result) == calls_csv(plain)
    busy = manifest(result)["ingest"]["busy_minutes"]
    assert busy == {"from": "Unit Dispatched", "to": "Unit Cleared", "filled": 3,
                    "nulled": {"negative": 1, "over_24h": 1, "unparseable": 2}}
    text = accounting.summary(result)
    assert ("busy minutes on 3 calls; nulled (kept the call): negative 1, over 24 h 1, unparseable 2"
            in text)
    assert "warning: 4 busy duration(s) negative, over 24 h or unparseable: nulled, the calls kept" in text
    assert "busy_minutes" not in calls_csv(result).splitlines()[0]  # never published row by row


def test_without_a_cleared_column_busy_minutes_are_empty(by_format):
    result = by_format["utf-8"]
    busy = manifest(result)["ingest"]["busy_minutes"]
    assert busy["filled"] == 0 and busy["from"] is None and busy["to"] is None
    text = accounting.summary(result)
    assert "busy minutes: none (the config names no cleared-time column)" in text
    assert "warning" not in text


# -- district codes that are the boundary file's own ids (issue 14 item 2) -----------------


def beat_config(tmp_path: Path) -> Path:
    """Testville with a district column instead of points: only one exception mapped."""
    text = CONFIG.read_text(encoding="utf-8").replace(
        '[ingest.place]\nlon = "Longitude"\nlat = "Latitude"\nboundaries = "denver"\n',
        '[ingest.place]\ncolumn = "Beat"\nmap = { "D-THREE" = "3" }\n',
    )
    assert 'column = "Beat"' in text
    path = tmp_path / "testville.toml"
    path.write_text(text, encoding="utf-8")
    return path


def write_beats(path: Path, beats: list[str]) -> Path:
    rows = export_rows()[: len(beats)]
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, [*HEADER, "Beat"])
        writer.writeheader()
        writer.writerows({**row.cells(), "Beat": beat} for row, beat in zip(rows, beats, strict=True))
    return path


def test_district_codes_equal_to_boundary_ids_need_no_map(tmp_path: Path):
    """Codes equal to the boundary ids (trimmed, case-folded) match directly; the map is
    for exceptions; other codes are rejected, counted and named in the summary."""
    geo = tmp_path / "geo"
    (geo / "testville").mkdir(parents=True)
    shutil.copytree(GEO / "denver" / "web", geo / "testville" / "web")  # Denver's districts 1-7
    beats = [" 1", "2 ", "d-three", "4", "5 ", "6"] * 6 + ["99", "99", "ZZ", "1"]
    export = write_beats(tmp_path / "export.csv", beats)
    config = beat_config(tmp_path)
    result = ingest(export, config, tmp_path / "rel", geo_dir=geo, k=K, quiet=True)
    assert result.tally.read == 40 and result.tally.accepted == 37
    assert dict(result.tally.rejected_by_reason) == {"unknown_code": 3}
    assert result.tally.unknown_codes == Counter({("Beat", "99"): 2, ("Beat", "ZZ"): 1})
    assert "unknown codes, most frequent: Beat '99' 2, Beat 'ZZ' 1" in accounting.summary(result)
    staged = pd.read_csv(result.release.path / "calls.csv", dtype=str)
    assert set(staged["district"]) <= {"1", "2", "3", "4", "5", "6", "citywide"}
    assert "3" in set(staged["district"])  # the one exception, through the map

    # Without a boundary layer for the city only the map applies.
    cfg = load_ingest_config(config)
    assert with_boundary_codes(cfg, tmp_path / "nogeo") is cfg
    matched = with_boundary_codes(cfg, geo).district.sources[0].values.entries
    assert matched["7"] == "7" and matched["d-three"] == "3"


# -- the received time split over columns, with fallbacks and placeholders (issue 14 item 3) --

FALLBACK_RECEIVED = '''[ingest.received]
column = "Call Received"
format = "%m/%d/%Y %I:%M:%S %p"
placeholders = ["01/01/1900 12:00:00 AM", "1900-01-01"]
[[ingest.received.fallback]]
date_column = "Call Date"
time_column = "Call Time"
format = "%Y-%m-%d %H:%M"
'''


def fallback_config(tmp_path: Path, received: str = FALLBACK_RECEIVED) -> Path:
    text = CONFIG.read_text(encoding="utf-8")
    old = '[ingest.received]\ncolumn = "Call Received"\nformat = "%m/%d/%Y %I:%M:%S %p"\n'
    assert old in text
    path = tmp_path / "testville.toml"
    path.write_text(text.replace(old, received), encoding="utf-8")
    return path


def test_the_received_time_falls_back_past_placeholders_to_a_date_and_a_time_column(tmp_path: Path):
    """A main time column of placeholders no longer rejects the row: the date and time
    columns are read instead; a bad value is never hidden by a fallback."""
    cfg = load_ingest_config(fallback_config(tmp_path))
    assert cfg.received_fallbacks[0].columns == ("Call Date", "Call Time")
    assert {"Call Date", "Call Time"} <= set(cfg.columns())
    frame = pd.DataFrame({
        "Call Received": ["03/06/2023 02:15:00 PM", "01/01/1900 12:00:00 AM", "", "01/01/1900 12:00:00 AM",
                          "not a time", "01/01/1900 12:00:00 AM", None],
        "Call Date": ["2023-03-07", "2023-03-08", "2023-03-09", "", "2023-03-10", "2023-13-45", "1900-01-01"],
        "Call Time": ["09:00", "23:59", "07:05", "10:00", "10:00", "10:00", "10:00"],
    })
    rej = accounting.Rejects(len(frame))
    chunk = readers.Chunk(frame, np.arange(2, 2 + len(frame)), np.zeros(len(frame), bool))
    got = parse_received(chunk, cfg, rej)
    assert got[0] == pd.Timestamp("2023-03-06 14:15")  # the main column when it holds a time
    assert got[1] == pd.Timestamp("2023-03-08 23:59")  # placeholder: date + time columns
    assert got[2] == pd.Timestamp("2023-03-09 07:05")  # blank: date + time columns
    assert list(rej.reason[3:]) == ["missing_required_field", "unparseable_time", "unparseable_time",
                                    "missing_required_field"]
    assert list(rej.column[3:]) == ["Call Received", "Call Received", "Call Date + Call Time",
                                    "Call Received"]
    assert not rej.rejected[:3].any() and got[3:].isna().all()


@pytest.mark.parametrize(("received", "message"), [
    ('[ingest.received]\ncolumn = "A"\ndate_column = "B"\ntime_column = "C"\n',
     "[ingest.received.column] give either column, or date_column and time_column"),
    ('[ingest.received]\ndate_column = "B"\n', "[ingest.received.time_column] is required"),
    ('[ingest.received]\ncolumn = "A"\nplaceholders = [""]\n', "[ingest.received.placeholders]"),
    ('[ingest.received]\ncolumn = "A"\n[[ingest.received.fallback]]\ncolum = "B"\n',
     "[ingest.received.fallback[0].column] is required"),
])
def test_received_config_errors_name_the_key(tmp_path: Path, received: str, message: str):
    with pytest.raises(IngestConfigError) as err:
        load_ingest_config(fallback_config(tmp_path, received))
    assert message in str(err.value)


def test_typed_date_and_time_cells_combine_whatever_the_format(tmp_path: Path):
    """A workbook's date cell and time cell (typed, not text) make one datetime."""
    from datetime import time as clock

    cfg = load_ingest_config(fallback_config(tmp_path))
    frame = pd.DataFrame({
        "Call Received": [None, None],
        "Call Date": [datetime(2023, 3, 8), datetime(2023, 3, 9, 0, 0)],
        "Call Time": [clock(23, 59, 30), datetime(1899, 12, 30, 7, 5)],  # Excel's time-only cell
    })
    chunk = readers.Chunk(frame, np.arange(2, 4), np.zeros(2, bool))
    got = parse_received(chunk, cfg, accounting.Rejects(2))
    assert list(got) == [pd.Timestamp("2023-03-08 23:59:30"), pd.Timestamp("2023-03-09 07:05")]


def test_the_summary_counts_accepted_published_and_withheld_calls_per_program(by_format):
    """Issue 14: the operator sees, per program, the calls the export held (accepted) and
    what the privacy rules withheld; a program with every call withheld is flagged."""
    result = by_format["utf-8"]
    assert sum(a for a, _ in result.by_program.values()) == result.tally.accepted
    published = json.loads((result.release.path / "manifest.json").read_text())["rows"]["published"]
    assert sum(p for _, p in result.by_program.values()) == published
    text = accounting.summary(result)
    assert "  by program:" in text and "STAR" in text
    lines = accounting._program_summary({"CIT_OFFICER": (3, 0), "STAR": (40, 40)})
    assert lines[1].strip().startswith("CIT_OFFICER") and "withheld        3  (all withheld" in lines[1]
    assert "(all withheld" not in lines[2]
