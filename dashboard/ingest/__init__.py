"""Ingest, run offline: a city's raw export (``config``: its mapping) to a release
(``pipeline``). Never imported by the web process.
"""
