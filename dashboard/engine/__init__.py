"""The query engine of the web process: which release each city serves (``serving``), checked
against its manifest (``integrity``), opened in an embedded DuckDB (``store``).
"""
