"""gunicorn settings for production: the Procfile runs ``gunicorn -c gunicorn.conf.py dashboard.app:server``.

Why each setting (README "Deploying"):

* ``limit_request_line = 8190``: gunicorn's largest bounded value (0 would mean no limit at
  all). gunicorn's default, 4,094 bytes, refused longer addresses with an HTML page of its
  own; now they reach the app, which enforces its own limits (4,096 bytes of query, 1,024 of
  path: ``dashboard.routing``) and answers 414 naming the longest parameter, in JSON under
  the API, with the security headers.
* ``worker_class``: gunicorn's sync worker, except that requests gunicorn cannot read (a
  line over 8,190 bytes, headers too large, not HTTP) are answered in plain text with the
  security headers, not gunicorn's HTML (``dashboard.serving.Worker``).
* ``logger_class``: the access log cuts every client-sent field to 300 characters.
* ``bind`` and ``workers`` come from ``PORT`` and ``WEB_CONCURRENCY`` as before.
"""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '8050')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
accesslog = "-"
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
worker_class = "dashboard.serving.Worker"
logger_class = "dashboard.serving.AccessLogger"
