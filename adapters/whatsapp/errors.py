"""Graph API error bodies → what we do about them.

Meta answers failures with `{"error": {"message", "type", "code", "error_subcode",
"error_data": {"details"}, "fbtrace_id"}}`. The code decides: some failures can
never succeed (the 24-hour window closed), some pass (throughput limits, 5xx),
a bad token needs a person, and a media failure should not cost the user the
text of the answer. See Meta's "Error codes" page for the catalogue.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from enum import Enum
from typing import Any

from bot.errors import AdapterError, DeliveryError

log = logging.getLogger(__name__)

RE_ENGAGEMENT = 131047
WINDOW_CLOSED = "outside WhatsApp's 24-hour window: kept until the user writes again"
# Seconds before the outbox tries again. Throughput (130429) clears in seconds; a
# business/user pair may get about one message every 6 s (131056); account and
# app limits (80007, 4) and spam limits (131048) are counted per hour.
RATE_LIMIT_WAITS = {130429: 5.0, 131056: 6.0, 80007: 60.0, 4: 60.0, 131048: 60.0}
RATE_LIMITED = frozenset(RATE_LIMIT_WAITS)
TEMPORARY = frozenset({1, 2, 131000, 131016, 133004})
AUTH = frozenset({0, 190})
MEDIA = frozenset({131052, 131053})
AUTH_RETRY_AFTER = 60.0
TRANSIENT_RETRY_AFTER = 10.0


class Severity(Enum):
    PERMANENT = "permanent"  # never retried
    TRANSIENT = "transient"  # retried with backoff
    AUTH = "auth"  # retried later; a person must fix the token
    MEDIA = "media"  # the media part failed; text still goes out


@dataclass(frozen=True, slots=True)
class GraphError:
    status: int
    code: int | None
    message: str
    subcode: int | None = None
    details: str | None = None
    fbtrace_id: str | None = None
    # the request went out but no answer came (timeout, reset): it may have been taken
    unclear: bool = False

    @classmethod
    def from_body(cls, status: int, body: Any) -> GraphError:
        err = body.get("error") if isinstance(body, dict) else None
        if not isinstance(err, dict):
            return cls(status=status, code=None, message=f"HTTP {status}")
        data = err.get("error_data")
        return cls(
            status=status,
            code=_int(err.get("code")),
            subcode=_int(err.get("error_subcode")),
            message=str(err.get("message") or err.get("title") or f"HTTP {status}"),
            details=str(data["details"]) if isinstance(data, dict) and "details" in data else None,
            fbtrace_id=err.get("fbtrace_id"),
        )

    @property
    def severity(self) -> Severity:
        if self.code in AUTH or self.status == 401:
            return Severity.AUTH
        if self.code in RATE_LIMITED or self.code in TEMPORARY or self.status == 429:
            return Severity.TRANSIENT
        if self.code in MEDIA:
            return Severity.MEDIA
        if self.code != RE_ENGAGEMENT and (self.status >= 500 or self.status == 0):
            return Severity.TRANSIENT
        return Severity.PERMANENT

    def __str__(self) -> str:
        code = f"Graph error {self.code}" if self.code is not None else "Graph error"
        extra = f" — {self.details}" if self.details else ""
        return f"{code} (HTTP {self.status}): {self.message}{extra}"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class GraphAPIError(AdapterError):
    """A Graph call failed; `error.severity` says what to do about it."""

    def __init__(self, error: GraphError) -> None:
        super().__init__(str(error))
        self.error = error

    @property
    def severity(self) -> Severity:
        return self.error.severity


def to_delivery_error(exc: GraphAPIError) -> DeliveryError:
    """The DeliveryError the core's outbox understands."""
    err = exc.error
    if err.code == RE_ENGAGEMENT:
        return DeliveryError(WINDOW_CLOSED + " (131047)", waits_for_user=True)
    severity = err.severity
    if severity is Severity.AUTH:
        return DeliveryError(f"WhatsApp token rejected: {err}", retry_after=AUTH_RETRY_AFTER)
    if severity is Severity.TRANSIENT:
        wait = RATE_LIMIT_WAITS.get(err.code or 0, TRANSIENT_RETRY_AFTER)
        return DeliveryError(str(err), retry_after=wait)
    return DeliveryError(str(err), permanent=True)


class TokenAlarm:
    """Logs a rejected token loudly, but at most once per `every` seconds."""

    def __init__(self, every: float = 60.0) -> None:
        self.every = every
        self._last: float | None = None

    def report(self, exc: GraphAPIError) -> bool:
        """Log when due; True when it logged."""
        now = time.monotonic()
        if self._last is not None and now - self._last < self.every:
            return False
        self._last = now
        log.error(
            "WhatsApp rejected the access token (%s). Replies stay pending until "
            "WHATSAPP_ACCESS_TOKEN is replaced with a valid (permanent system-user) token.",
            exc.error,
        )
        return True
