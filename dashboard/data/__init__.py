"""Data layer: the contract, filters, releases, privacy, the sample and the query engine (no web imports)."""
