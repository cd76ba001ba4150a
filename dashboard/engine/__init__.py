"""The query engine of the web process: which release each city serves (``serving``), checked
against its manifest (``integrity``), loaded into an embedded DuckDB (``snapshot``) and served,
switching releases without a restart (``store``).
"""
