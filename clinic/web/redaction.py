"""Self-report tokens never reach a log line.

The token is in the link's path (/r/<token>/…), and web servers log request lines:
a filter on the access loggers (werkzeug's, gunicorn's) and on the app's own logger
rewrites every record's text with the token replaced by ``[link]``.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

TOKEN_IN_PATH = re.compile(r"/r/[A-Za-z0-9_-]{8,}")
LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")


def redact(text: str) -> str:
    return TOKEN_IN_PATH.sub("/r/[link]", text)


class RedactLinks(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def init_app(app: Flask) -> None:
    for logger in (*[logging.getLogger(name) for name in LOGGERS], app.logger):
        if not any(isinstance(f, RedactLinks) for f in logger.filters):
            logger.addFilter(RedactLinks())
