"""Checks of the suppressed cubes (rule 5): their cells, then the attacks on every relation.

Every published count is 0 or at least k and hidden cells show no count; then, over the
cubes and the totals the rows and ``rollup_minutes`` give, margin and cross-measure
differencing (``dashboard.publish.attacks``) and the LP audit
(``dashboard.publish.disclosure``), per measure and deep (``council_links``).

Kept apart from the other checks: this is the disclosure audit of a release, the
slowest and most delicate check, and it rebuilds the attacker's system from the
published files alone (``cube_counts``, ``cube_system``), never from the code that
suppressed the cells.
"""

from __future__ import annotations

from dashboard.contract.schema import CALLS_COLUMN_NAMES, CUBE_COUNCIL, CUBES, ROLLUP_MINUTES, Table
from dashboard.publish import attacks, cube_counts, cube_system, disclosure
from dashboard.publish.validate_run import EXAMPLES, ValidationRun

#: Suppression rules whose complements are chosen without comparing counts, so knowing the
#: rule bounds no hidden cell (``disclosure``). Any other rule a manifest names (or none,
#: as releases before it did) is taken to be the older one, whose complement was the
#: smallest published cell of its group: the audit then adds the bounds that gives away.
VALUE_BLIND_METHODS = frozenset({"audited-keyed"})


class CubeChecks(ValidationRun):
    """Rule 5: the cubes' cells and the attacks on them."""

    def check_cubes(self) -> None:
        for table in CUBES:
            if table.name not in self.tables or self.k is None:
                continue
            if not self.has(table.name, *table.dims, *table.measures, "suppressed"):
                continue
            self.check_cube(table, self.k)
        self.check_disclosure()

    def check_cube(self, table: Table, k: int) -> None:
        label = f"{table.name}.parquet"
        dims = ", ".join(table.dims)
        checks = (
            ("published cells with a count of 1..k-1", f"NOT suppressed AND n BETWEEN 1 AND {k - 1}"),
            ("published cells without a count", "NOT suppressed AND n IS NULL"),
            ("suppressed cells that still show their count", "suppressed AND n IS NOT NULL"),
            ("cells with a negative count", "n < 0"),
            ("cells whose suppression flag is empty", "suppressed IS NULL"),
            *((f"suppressed cells that still show their {m}", f"suppressed AND {m} IS NOT NULL")
              for m in table.measures if m != "n"),
        )
        for problem, cond in checks:
            n, examples = self.one(
                f"SELECT count(*), list(concat_ws(' ', {dims}, 'n=' || coalesce(n::VARCHAR, 'empty'))) "
                f"FROM {table.name} WHERE {cond}"
            )
            if n:
                shown = "; ".join(examples[:EXAMPLES])
                self.fail(f"{label}: {n:,} {problem} (k={k}): {shown}")

    def check_disclosure(self) -> None:
        """The attacks, on every relation between the published files (module doc, rule 5)."""
        if (self.k is None or not self.has("calls", *CALLS_COLUMN_NAMES)
                or ROLLUP_MINUTES.name not in self.tables):
            return
        frames = {}
        for table in cube_system.AUDITED:
            if not self.has(table.name, *table.dims, "n", "suppressed"):
                return
            frames[table.name] = self.con.execute(f"SELECT * FROM {table.name}").df()
        margins = cube_counts.public_margins(self.con)
        system, _ = cube_system.release_system(frames, margins)
        if self.deep:
            self.check_deep(frames, margins)
        for problem in attacks.margin_differencing(system, self.k):
            self.fail(f"margin differencing: {problem}")
        for problem in attacks.cross_measure_differencing(frames.get(CUBE_COUNCIL.name), margins, self.k):
            self.fail(f"cross-measure differencing: {problem}")
        method = _suppression_method(self.manifest)
        upper = None if method in VALUE_BLIND_METHODS else attacks.rule_bounds(system, self.k)
        findings = disclosure.audit(system, self.k, upper)
        if findings:
            rule = ("the public suppression rule" if upper is None
                    else f"the suppression rule {method!r} (complements never larger than the smallest "
                         "published cell of their group)")
            self.fail(f"linear programming over every published relation and {rule}: "
                      + disclosure.summarize(findings, EXAMPLES))

    def check_deep(self, frames: dict, margins: dict) -> None:
        """The council cells as marginals of a joint table tied to the rows by police
        district (``council_links``); skipped with ``--shallow``."""
        if frames.get(CUBE_COUNCIL.name) is None or frames[CUBE_COUNCIL.name].empty:
            return
        system, _ = cube_system.release_system(frames, margins, deep=cube_counts.district_margins(self.con))
        method = _suppression_method(self.manifest)
        upper = None if method in VALUE_BLIND_METHODS else attacks.rule_bounds(system, self.k)
        findings = disclosure.audit(system, self.k, upper)
        if findings:
            self.fail("deep audit (council cells as marginals of the rows' joint table by police "
                      "district): " + disclosure.summarize(findings, EXAMPLES))


def _suppression_method(manifest: dict) -> str:
    """The cube suppression rule a release names (releases before the audited rule named none)."""
    privacy = manifest.get("privacy")
    rule = privacy.get("cube_suppression") if isinstance(privacy, dict) else None
    if isinstance(rule, dict) and isinstance(rule.get("method"), str):
        return rule["method"]
    return "smallest-published"
