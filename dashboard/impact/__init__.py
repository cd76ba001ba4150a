"""Offline: the Impact page's before/after estimates (``crisis-dashboard impact``)."""
