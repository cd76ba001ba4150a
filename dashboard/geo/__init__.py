"""Geography: boundary layers, their simplified web versions, and point-to-area assignment.

Plain Python on geopandas/shapely/pyproj, usable from the CLI, a notebook or the figures.
It never imports the web stack (an import-linter contract in pyproject.toml enforces it),
so the same code builds the checked-in web files offline and serves them at run time.

- ``boundaries``: load a source layer with normalized ``id``/``name`` columns, repair it,
  validate it (every problem at once).
- ``build``: ``crisis-dashboard geo-build``: populations by areal interpolation and the
  simplified, topology-preserving web GeoJSON under ``geo/<city>/web/``.
- ``web``: read a web layer into immutable ``WebArea`` values for the map figure.
- ``assign``: vectorized point-in-polygon assignment of lon/lat to district, precinct,
  neighborhood and council district at full source resolution.

A city is configuration plus data: the files, id fields and expected counts of a city's
layers live in ``geo/<city>/source/layers.toml``, not in this code.
"""
