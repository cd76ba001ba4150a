"""Docs that cannot drift: the README documents every setting and CLI subcommand."""

from dashboard.cli import build_parser
from dashboard.settings import REPO_ROOT, documented_settings

README = (REPO_ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table():
    for env, _default, _help in documented_settings():
        assert f"| `{env}` |" in README, f"README lacks a row for {env}"


def test_every_cli_subcommand_is_in_the_readme():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in sub.choices:
        assert f"crisis-dashboard {name}" in README, name


def test_readme_says_the_sample_is_synthetic():
    assert "SYNTHETIC" in README
