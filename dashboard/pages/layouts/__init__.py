"""Component trees of the pages that have a view model (``dashboard.views``).

One module per page, named after it; the page module itself (``dashboard.pages.<name>``)
registers the page and wires its callbacks, this draws what the view model computed.
"""
