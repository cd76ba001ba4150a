"""The ingest's refusals (issue 14 item 5): a truncated file, a shrink, too many rejects.

Each refusal must exit 3 through the command line, name the lines or months, and leave
the current release exactly as it was: every byte under the releases folder (hashed
before and after), ``CURRENT`` included, and no scratch left behind. The operator's
flags let a shrink or a reject rate through, and the manifest records that they did.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from dashboard.cli import build_parser
from dashboard.contract.releases import MANIFEST, current_release_dir, read_pointer
from dashboard.ingest import guard, people
from dashboard.ingest.config import load_ingest_config
from dashboard.ingest.config_tables import IngestConfigError
from dashboard.ingest.pipeline import REFUSED_EXIT, main
from dashboard.settings import Settings

from .test_ingest import CONFIG, GEO, HEADER, SALT, K, export_rows, run, snapshot, write_csv

CITY = "testville"


@pytest.fixture(autouse=True)
def fixed_salt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(people.SALT_ENV, SALT)


@pytest.fixture
def served(tmp_path: Path) -> Path:
    """A releases folder whose current testville release is the whole test export."""
    (tmp_path / "good").mkdir()
    run(write_csv(export_rows(), tmp_path / "good" / "export.csv"), tmp_path / "releases")
    return tmp_path / "releases"


def cli(path: Path, out: Path, *flags: str, config: Path = CONFIG) -> int:
    args = build_parser().parse_args(["ingest", str(path), "--city", str(config), "--out", str(out),
                                      "--quiet", *flags])
    return main(args, Settings(data_dir=out.parent / "data", geo_dir=GEO, privacy_k=K))


def refused(served: Path, bad: Path, capsys: pytest.CaptureFixture[str], *flags: str,
            config: Path = CONFIG) -> str:
    """Run the CLI on ``bad``; assert it refused and changed nothing; return stderr."""
    before, pointer = snapshot(served), (served / CITY / "CURRENT").read_bytes()
    current = current_release_dir(served, CITY)
    assert cli(bad, served, *flags, config=config) == REFUSED_EXIT
    err = capsys.readouterr().err
    assert err.startswith("ingest: refused: ") and "Traceback" not in err, err
    assert snapshot(served) == before  # every byte, the rejects folder included
    assert (served / CITY / "CURRENT").read_bytes() == pointer
    assert current_release_dir(served, CITY) == current
    assert not any((served / ".work").iterdir())  # the scratch folder went too
    assert not [p for p in (served / CITY).iterdir() if p.name.startswith(".")]
    return err


def manifest_of(out: Path) -> dict:
    return json.loads((current_release_dir(out, CITY) / MANIFEST).read_text())


# -- a truncated file ----------------------------------------------------------------


def _cut(path: Path, keep: float) -> int:
    """Cut the file inside its last line (``keep`` of that line's characters); return the
    line the cut record starts on."""
    text = path.read_text(encoding="utf-8").rstrip("\r\n")
    start = text.rfind("\n") + 1
    path.write_text(text[: start + int((len(text) - start) * keep)], encoding="utf-8")
    return text.count("\n") + 1


def test_a_file_cut_mid_line_is_refused_naming_the_line(served: Path, tmp_path: Path, capsys):
    path = write_csv(export_rows(), tmp_path / "export.csv")
    line = _cut(path, 0.4)
    err = refused(served, path, capsys)
    assert f"last record (line {line}) has" in err and "of the header's 14 fields" in err, err


def test_a_file_cut_inside_a_quoted_value_is_refused(served: Path, tmp_path: Path, capsys):
    """Cut inside the last column's quotes, the record still has every field: only the
    open quote shows it is incomplete (both CSV readers would take the cut value)."""
    path = tmp_path / "export.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, HEADER, quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(r.cells() for r in export_rows())
    text = path.read_text(encoding="utf-8").rstrip("\r\n")
    path.write_text(text[:-3], encoding="utf-8")  # '..."303-555-0054"' -> '..."303-555-00'
    line = text.count("\n") + 1
    err = refused(served, path, capsys, "--accept-rejects", "--accept-shrink")  # no flag overrides it
    assert f"last record (line {line}) ends inside an open quote" in err, err


def test_a_missing_final_newline_is_not_a_truncation(tmp_path: Path):
    path = write_csv(export_rows(), tmp_path / "export.csv")
    path.write_text(path.read_text(encoding="utf-8").rstrip("\r\n"), encoding="utf-8")
    result = run(path, tmp_path / "releases")
    assert result.tally.read == len(export_rows())


def test_check_last_record_after_blank_lines_and_multiline_values(tmp_path: Path):
    path = tmp_path / "x.csv"
    path.write_text('a,b,c\n1,"two\nlines",3\n\n\n', encoding="utf-8")
    guard.check_last_record(path, "utf-8", ",", 3, 2)  # complete: no error
    path.write_text('a,b,c\n1,2,3\n4,"fi', encoding="utf-8")
    with pytest.raises(guard.Refused, match=r"line 3\) ends inside an open quote"):
        guard.check_last_record(path, "utf-8", ",", 3, 3)


# -- the reject rate -------------------------------------------------------------------


@pytest.fixture
def default_config(tmp_path: Path) -> Path:
    """testville.toml with the default reject threshold (0.10): its export rejects 20%."""
    path = tmp_path / "testville.toml"
    path.write_text("\n".join(line for line in CONFIG.read_text(encoding="utf-8").splitlines()
                              if not line.startswith("max_reject_rate")) + "\n", encoding="utf-8")
    assert load_ingest_config(path).max_reject_rate == guard.DEFAULT_MAX_REJECT_RATE == 0.10
    return path


def test_a_high_reject_rate_is_refused_naming_reasons_and_lines(served, tmp_path, capsys,
                                                               default_config):
    path = write_csv(export_rows(), tmp_path / "export.csv")
    err = refused(served, path, capsys, config=default_config)
    assert "11 of 55 rows rejected (20.0%), more than max_reject_rate 10%" in err, err
    assert "unknown_code 4 (lines 50, 51, 52, 53;" in err, err  # line 5 holds two lines
    assert "'ALIEN LANDING'" in err and "unparseable_time 2 (lines 47, 49)" in err, err
    assert "--accept-rejects" in err


def test_the_operator_can_let_a_high_reject_rate_through(served, tmp_path, capsys, default_config):
    path = write_csv(export_rows(), tmp_path / "export.csv")
    assert cli(path, served, "--accept-rejects", config=default_config) == 0
    out = capsys.readouterr().out
    assert "warning: 11 of 55 rows rejected (20.0%)" in out and "--accept-rejects was given" in out
    assert manifest_of(served)["ingest"]["guard"] == {
        "max_shrink": 0.05, "max_reject_rate": 0.1, "shrink_accepted": [], "rejects_accepted": True}
    # A higher threshold on the command line passes it without the flag.
    assert cli(path, served, "--max-reject-rate", "0.2", config=default_config) == 0
    assert manifest_of(served)["ingest"]["guard"]["rejects_accepted"] is False


# -- a shrink ----------------------------------------------------------------------------


def _half_of_march(tmp_path: Path) -> Path:
    rows = export_rows()  # 20 of the 40 March calls, and none of the rejected rows
    return write_csv(rows[:20] + rows[40:44], tmp_path / "export.csv")


def test_a_month_that_loses_calls_is_refused_naming_it(served: Path, tmp_path: Path, capsys):
    assert "accepted_by_month" not in manifest_of(served)["ingest"]  # withheld per month stays private
    err = refused(served, _half_of_march(tmp_path), capsys)
    assert "1 month(s) the current release" in err
    assert "more than max_shrink 5% (published calls by the month of the week's Monday)" in err
    assert "2023-03 42 -> 22 (-48%)" in err and "2022-12" not in err, err
    assert "--accept-shrink" in err


def test_the_shrink_threshold_and_flag(served: Path, tmp_path: Path, capsys):
    path = _half_of_march(tmp_path)
    assert cli(path, served, "--max-shrink", "0.5") == 0  # a fall of 48% is within 50%
    capsys.readouterr()
    (tmp_path / "again").mkdir()
    fewer = write_csv(export_rows()[:10] + export_rows()[40:44], tmp_path / "again" / "export.csv")
    assert cli(fewer, served, "--accept-shrink") == 0
    out = capsys.readouterr().out
    assert "warning: 1 month(s)" in out and "2023-03 22 -> 12" in out, out
    assert manifest_of(served)["ingest"]["guard"]["shrink_accepted"] == [
        {"month": "2023-03", "before": 22, "after": 12}]


def test_the_same_or_a_longer_export_passes(served: Path, tmp_path: Path):
    first = current_release_dir(served, CITY).name
    same = run(write_csv(export_rows(), tmp_path / "export.csv"), served)
    assert not same.warnings
    rows = export_rows()
    later = export_rows()[:6]
    for r in later:  # a month the current release does not cover is new, never a shrink
        r.when = r.when.replace(month=4)
    (tmp_path / "longer").mkdir()
    longer = run(write_csv(rows + later, tmp_path / "longer" / "export.csv"), served)
    assert read_pointer(served / CITY).release_id == longer.release.release_id not in (
        first, same.release.release_id)


def test_shrunk_months_are_per_month_worst_first():
    before = {"2024-01": 100, "2024-02": 100, "2024-03": 100, "2024-04": 10}
    after = {"2024-01": 95, "2024-02": 94, "2024-04": 5, "2024-05": 1}
    assert guard.shrunk_months(before, after, 0.05) == [
        ("2024-03", 100, 0), ("2024-04", 10, 5), ("2024-02", 100, 94)]
    assert guard.shrunk_months(before, after, 1.0) == []


@pytest.mark.parametrize("value", ["1.5", "-0.1", '"5%"', "true"])
def test_thresholds_in_the_config_are_checked(tmp_path: Path, value: str):
    path = tmp_path / "bad.toml"
    path.write_text(CONFIG.read_text(encoding="utf-8").replace("max_reject_rate = 0.25",
                                                               f"max_shrink = {value}"))
    with pytest.raises(IngestConfigError, match=r"\[ingest.max_shrink\]"):
        load_ingest_config(path)


def test_thresholds_on_the_command_line_are_checked(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", "x.csv", "--city", "c.toml", "--max-shrink", "2"])
    assert "must be from 0 to 1" in capsys.readouterr().err


def test_main_takes_a_namespace_without_the_guard_flags(served: Path, tmp_path: Path):
    """Callers that build the arguments themselves (older scripts, tests) get the defaults."""
    args = argparse.Namespace(input=str(_half_of_march(tmp_path)), city=str(CONFIG), out=str(served),
                              quiet=True)
    assert main(args, Settings(data_dir=tmp_path / "data", geo_dir=GEO, privacy_k=K)) == REFUSED_EXIT
