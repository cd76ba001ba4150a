"""The security headers every answer carries, in one place.

``security`` adds them (with the app's Content-Security-Policy) to everything Flask
answers; ``serving`` adds them to the few answers gunicorn itself gives for a request
it cannot hand to the app (a request line over 8,190 bytes, headers too large...).
Plain-standard-library module: gunicorn's master imports it with its config.
"""

from __future__ import annotations

#: Headers besides the Content-Security-Policy, the same on every answer.
SECURITY_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}

#: The Content-Security-Policy of an answer that is plain text and loads nothing.
NOTHING_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
