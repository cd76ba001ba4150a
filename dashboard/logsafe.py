"""Logging that never writes a client's data at length (issue 12: a 1 MB string once went
to the log whole, inside a traceback's last line).

``log_exception`` logs the current exception with its traceback, as ``Logger.exception``
does, but every argument is cut to ``MAX_ARG`` characters and every line of the
traceback (the exception's message is where client data ends up) to ``MAX_LINE``;
control characters are escaped so a value cannot forge a log line.
"""

from __future__ import annotations

import logging
import sys
import traceback

#: Longest argument (a path, a method...) written into a log message.
MAX_ARG = 200
#: Longest line of a logged traceback.
MAX_LINE = 300
#: Most lines of one logged traceback (the innermost frames are kept).
MAX_LINES = 200


def shorten(value: object, limit: int = MAX_ARG) -> str:
    """``value`` as text of at most ``limit`` characters, control characters escaped."""
    text = str(value)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit:,} more characters)"
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


def safe_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` with long lines cut and at most ``MAX_LINES`` lines."""
    lines = "".join(traceback.format_exception(exc)).splitlines()
    if len(lines) > MAX_LINES:
        lines = [f"... ({len(lines) - MAX_LINES} lines left out)", *lines[-MAX_LINES:]]
    return "\n".join(line if len(line) <= MAX_LINE else shorten(line, MAX_LINE) for line in lines)


def log_exception(logger: logging.Logger, message: str, *args: object) -> None:
    """Log ``message % args`` at ERROR with the current exception's (cut) traceback."""
    exc = sys.exception()
    text = message % tuple(shorten(a) for a in args)
    if exc is None:
        logger.error("%s", text)
    else:
        logger.error("%s\n%s", text, safe_traceback(exc))
