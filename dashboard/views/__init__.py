"""View models: what a page shows, as plain data, computed from the URL and the store.

A view model turns an untrusted query into a view (``parse_view``) and a view into the
numbers, texts, tables and figures the page's layout renders. It never imports Dash,
Flask or the components (an import-linter contract holds it), so it can be run and
tested without a request, and the API can use it too. Pages (``dashboard/pages``) put
the result into components and wire the callbacks.

``prelude`` is the part every data page shares: the language, the default city and the
lenient parse of the filters.
"""
