"""The questions pages and the API ask the engine, as functions of (store, Filters) returning
small values: ``overview``, ``outcomes``, ``district``, ``profile``, ``docs`` (the information
pages) and ``export`` (the API's downloads), with the rules downloads are written by
(``download_format``) and the API's parameters read by (``api_params``).
"""
