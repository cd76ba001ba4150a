"""The release build and its privacy rules, run offline (never by the web process).

* The build: ``release`` (runs it), ``staging`` (the internal input), ``release_rows``
  (public rows and rollups), ``data_dictionary``, ``atomic_publish`` (into place and
  CURRENT), ``privacy`` (k-anonymous rows), ``scratch`` (private scratch folders).
* The suppressed cubes: ``cubes`` (suppress and write), ``cube_counts`` (counts and the
  public totals), ``cube_system`` (their linear system), ``council_links`` (the deep
  audit's model).
* Disclosure control: ``linear_system`` (what an attacker knows), ``disclosure`` (the LP
  audit), ``lp_bounds`` (its HiGHS LPs), ``complements`` (which cells to hide),
  ``attacks`` (the attacks ``validate`` names).
* The re-check: ``validate`` (runs it; the CLI), ``validate_run``, ``validate_files``,
  ``validate_tables``, ``validate_cubes``, ``identifier_patterns``.
"""
