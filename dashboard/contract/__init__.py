"""The data contract: what a release holds and how it is laid out, shared by every other package.

``schema`` (published columns, tables, enums, privacy parameters), ``cities`` (the
configured cities), ``datapackage`` (Frictionless description), ``releases`` (a release
folder's manifest and CURRENT pointer, read-only) and ``sql`` (the contract as Arrow and
SQL, shared by the release build and its re-check). Imports nothing else of the dashboard.
"""
