"""Secrets out of every log record, whoever logs it and whichever handler writes it.

Libraries log what they hold: python-telegram-bot prints its Bot API URL (the token is
in it) and the parameters of setWebhook (the secret), and an LLM endpoint may quote the
API key back in a 401 that ends up in an exception message. A filter on one handler
would miss the handlers added later (a log file, a test's capture), so the redaction
happens where records are made: a record factory replaces every known secret, in the
message and in the formatted traceback, before any handler sees the record.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from pydantic import SecretStr

REDACTED = "[redacted]"
MIN_SECRET = 6  # shorter values would match ordinary words


class Redactor:
    """The known secrets, as one pattern; thread-safe to extend."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            for value in values:
                for form in _forms(value):
                    self._secrets.add(form)
            ordered = sorted(self._secrets, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(REDACTED, text) if pattern is not None else text

    def scrub_record(self, record: logging.LogRecord) -> logging.LogRecord:
        if self._pattern is None:
            return record
        message = _message(record)
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[0] is not None:
            shown = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = self.scrub(shown)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        return record


def _forms(value: str) -> set[str]:
    """The value as it may appear: as is, percent-encoded, and a Telegram token's secret
    half on its own (the bot id before the colon is public)."""
    value = value.strip()
    if len(value) < MIN_SECRET:
        return set()
    forms = {value, quote(value, safe="")}
    _, colon, tail = value.partition(":")
    if colon and len(tail) >= MIN_SECRET:
        forms.add(tail)
    return forms


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # bad arguments: the handler would fail the same way; show the raw text
        return str(record.msg)


_REDACTOR = Redactor()
_installed = False


def protect(*values: str | SecretStr | None) -> None:
    """Never log these values (empty ones are ignored); installs the redaction once."""
    global _installed
    plain = [v.get_secret_value() if isinstance(v, SecretStr) else v for v in values]
    _REDACTOR.add(v for v in plain if v)
    if _installed:
        return
    _installed = True
    make = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return _REDACTOR.scrub_record(make(*args, **kwargs))

    logging.setLogRecordFactory(factory)

