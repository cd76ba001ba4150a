"""docs/architecture.md stays true: what it names exists, what the code cites is in it.

* Every module, test and file it names exists: ``dashboard/...`` and ``tests/...`` paths,
  dotted ``dashboard.x.y`` names (a module, or a class, function or constant defined in
  one, found by parsing the source: nothing is imported), top-level files such as
  ``pyproject.toml``, and bare file names in a table row that starts with a folder
  (``| `dashboard/engine/` | ... `store.py` ...``: ``dashboard/engine/store.py``). Rename
  ``dashboard/engine/store.py`` and this fails.
* Every section cited as ``docs/architecture.md "Section"`` anywhere in the repository
  is a heading of the doc, and the sections the project relies on are there.
* No file points at the design note that used to live outside the repository.

Paths with a placeholder (``<city>``, ``*``) are patterns, not files, and are skipped.
"""

from __future__ import annotations

import ast
import os
import re
from functools import cache
from pathlib import Path

import pytest

from dashboard.settings import REPO_ROOT

DOC_PATH = "docs/architecture.md"
DOC = REPO_ROOT / DOC_PATH
#: The old note's file name, spelt so that this file does not match its own search.
OLD_NOTE = "DESIGN" + ".md"

#: Sections other files cite or the issue asked for; each must stay a heading.
REQUIRED_SECTIONS = (
    "Users",
    "Architecture",
    "Layers and import contracts",
    "From URL to figure",
    "State lives in the URL",
    "Where state lives",
    "The data contract",
    "A release",
    "From raw export to release",
    "Privacy rules",
    "Bad input",
    "In the browser",
    "Maps",
    "Payload",
    "Security headers",
    "Performance budgets",
    "Known pitfalls",
    "How to add a page, a measure, a city or an engine",
    "A page",
    "A measure",
    "A city",
    "An engine",
)

#: Folders never searched: virtualenvs, caches, generated and bulky data.
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".ruff_cache",
             ".hypothesis", "work", "releases", "screenshots"}
TEXT_SUFFIXES = {".py", ".md", ".toml", ".txt", ".cfg", ".ini", ".sh", ".js", ".css", ".json", ".yml",
                 ".yaml", ".conf"}
TEXT_NAMES = {"Makefile", "Procfile", "run"}

_PATH = re.compile(r"(?<![\w./-])((?:dashboard|tests|benchmarks|assets|data|geo|docs|\.ci)/[\w./<>*-]*[\w/])")
_DOTTED = re.compile(r"(?<![\w./-])(dashboard(?:\.[A-Za-z_]\w*)+)")
_TOP_LEVEL = re.compile(r"`((?:[\w.-]+\.(?:toml|md|py|cfg))|Makefile|Procfile)`")
#: A table row naming a folder first: its bare file names are files of that folder.
_FOLDER_ROW = re.compile(r"^\|\s*`((?:dashboard|tests|benchmarks|assets|data|geo|docs)/[\w/]*/)`\s*\|")
_BARE_FILE = re.compile(r"`([\w.-]+\.(?:py|json|toml|md|cfg))`")
#: ``docs/architecture.md "A" and "B"``, ``docs/architecture.md, "A"``, ``(... ("A")``:
#: the quoted titles after a citation, up to the first ``:``, ``)`` or end of line.
_CITATION = re.compile(r"docs/architecture\.md([^\n:)]*)")
_TITLE = re.compile(r'"([^"\n]+)"')


def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def headings(text: str) -> set[str]:
    return {m.group(1).strip() for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, re.MULTILINE)}


@cache
def _module_file(dotted: str) -> Path | None:
    """The source file of module ``dotted`` under the repository, if there is one."""
    base = REPO_ROOT.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def _defined_names(path: Path) -> dict[str, ast.AST]:
    """Top-level names a module defines (functions, classes, assignments, imports)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return _names_in(tree.body)


def _names_in(body: list[ast.stmt]) -> dict[str, ast.AST]:
    names: dict[str, ast.AST] = {}
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names[node.target.id] = node
        elif isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
    return names


def dotted_exists(dotted: str) -> bool:
    """``dashboard.a.b`` is a module, or the longest module prefix defines the rest
    (``Class`` or ``Class.member``; one level of class body is looked into)."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        path = _module_file(".".join(parts[:cut]))
        if path is None:
            continue
        rest = parts[cut:]
        if not rest:
            return True
        names = _defined_names(path)
        node = names.get(rest[0])
        if node is None:
            # A submodule named through its package (``dashboard.views.mapview``) is
            # handled by the longer cut; here it is a name the module does not define.
            return False
        if len(rest) == 1:
            return True
        if isinstance(node, ast.ClassDef) and len(rest) == 2:
            return rest[1] in _names_in(node.body)
        return False
    return False


def path_exists(path: str) -> bool:
    return (REPO_ROOT / path.rstrip("/")).exists()


def is_pattern(path: str) -> bool:
    return any(ch in path for ch in "<>*")


def named_paths(text: str) -> set[str]:
    return {m.group(1) for m in _PATH.finditer(text)}


def named_modules(text: str) -> set[str]:
    return {m.group(1) for m in _DOTTED.finditer(text)}


def named_top_level_files(text: str) -> set[str]:
    """Bare file names outside folder rows: files at the top of the repository."""
    lines = [line for line in text.splitlines() if not _FOLDER_ROW.match(line)]
    return {m.group(1) for m in _TOP_LEVEL.finditer("\n".join(lines))}


def named_folder_files(text: str) -> set[str]:
    """Bare file names in a table row that starts with a folder, as paths in that folder."""
    out = set()
    for line in text.splitlines():
        row = _FOLDER_ROW.match(line)
        if row:
            out |= {row.group(1) + name for name in _BARE_FILE.findall(line)}
    return out


def missing_names(text: str) -> list[str]:
    """Everything ``text`` names that the repository does not have."""
    paths = named_paths(text) | named_folder_files(text)
    missing = [p for p in sorted(paths) if not is_pattern(p) and not path_exists(p)]
    missing += [d for d in sorted(named_modules(text)) if not dotted_exists(d)]
    missing += [f for f in sorted(named_top_level_files(text)) if not (REPO_ROOT / f).is_file()]
    return missing


def repo_text_files() -> list[Path]:
    out = []
    for root, dirs, files in os.walk(REPO_ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        for name in files:
            path = Path(root) / name
            if path.suffix in TEXT_SUFFIXES or name in TEXT_NAMES:
                out.append(path)
    return sorted(out)


def citations(text: str) -> list[str]:
    """The section titles ``text`` cites after ``docs/architecture.md``."""
    return [title for m in _CITATION.finditer(text) for title in _TITLE.findall(m.group(1))]


@cache
def all_citations() -> dict[str, list[str]]:
    """Cited section -> files citing it, over the repository's text files."""
    out: dict[str, list[str]] = {}
    for path in repo_text_files():
        if path in (DOC, Path(__file__).resolve()):  # the doc itself; this file's examples
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for title in citations(text):
            out.setdefault(title, []).append(str(path.relative_to(REPO_ROOT)))
    return out


# -- the doc names only what exists ---------------------------------------------------------


def test_every_module_and_file_the_doc_names_exists():
    missing = missing_names(doc_text())
    assert not missing, f"{DOC_PATH} names what the repository lacks: {', '.join(missing)}"


def test_the_doc_names_the_modules_it_is_about():
    """The checks above are not vacuous: the doc names the core modules and tests."""
    text = doc_text()
    paths, modules = named_paths(text) | named_folder_files(text), named_modules(text)
    assert len(paths) >= 100 and len(modules) >= 40, (len(paths), len(modules))
    for core in ("dashboard/contract/schema.py", "dashboard/engine/store.py", "dashboard/publish/release.py",
                 "dashboard/publish/privacy.py", "dashboard/params/filters.py",
                 "dashboard/queries/overview.py", "dashboard/app.py", "dashboard/settings.py",
                 "tests/unit/test_architecture_doc.py"):
        assert core in paths, core
    assert {"pyproject.toml", "Makefile", "Procfile"} <= named_top_level_files(text)


@pytest.mark.parametrize(
    "text",
    [
        "`dashboard/engine/stroe.py`",  # a renamed or misspelt module
        "`dashboard.engine.stroe`",
        "`dashboard/data/store.py`",  # a module of a package that was split up
        "`dashboard.engine.store.NoSuchStore`",  # a renamed class
        "`dashboard.engine.store.Store.no_such_method`",
        "`tests/unit/test_no_such_thing.py`",
        "`NO_SUCH_FILE.toml`",
        "| `dashboard/engine/` | the store (`stroe.py`) |",  # a bare name in a folder's row
    ],
)
def test_a_renamed_module_fails_the_check(text):
    assert missing_names(text), text


def test_patterns_and_real_names_pass_the_check():
    text = ("`data/releases/<city>/CURRENT`, `dashboard/engine/store.py`, "
            "`dashboard.engine.store.Store.pinned`, `dashboard.views.mapview`, "
            "`dashboard.publish.privacy.ALPHA`, `.ci/run`, `pyproject.toml`\n"
            "| `dashboard/engine/` | `store.py`, `serving.py` |")
    assert missing_names(text) == []


# -- what the code cites is in the doc ------------------------------------------------------


def test_every_cited_section_is_a_heading_of_the_doc():
    found = headings(doc_text())
    cited = all_citations()
    unknown = {title: files for title, files in cited.items() if title not in found}
    assert not unknown, f"sections cited but not in {DOC_PATH}: {unknown}"


def test_the_code_cites_the_doc():
    """The citation search finds what the code really cites (guards the regex)."""
    cited = all_citations()
    for title in ("Privacy rules", "Performance budgets", "State lives in the URL", "Payload", "Bad input"):
        assert title in cited, title
    assert citations('x (docs/architecture.md "A" and "B"): "not a title"') == ["A", "B"]
    assert citations('docs/architecture.md, "A release"') == ["A release"]


def test_the_sections_the_project_relies_on_are_there():
    found = headings(doc_text())
    missing = [s for s in REQUIRED_SECTIONS if s not in found]
    assert not missing, missing


def test_no_file_points_at_the_old_design_note():
    stale = [str(p.relative_to(REPO_ROOT)) for p in repo_text_files()
             if OLD_NOTE in p.read_text(encoding="utf-8", errors="replace")]
    assert not stale, f"{OLD_NOTE} is not in the repository; point these at {DOC_PATH}: {stale}"
