"""Reusable page parts: filter bar, KPI cards, chart-with-table cards, notices.

Components build Dash component trees from values the page hands them (a Catalog,
Filters, small DataFrames, figures). They never query data themselves, so a page
decides what is computed once per request and a component cannot hide a query.
"""
