"""Error hierarchy: every error knows the one line a user may see."""

from __future__ import annotations


class OmnivoxError(Exception):
    """Base error. `user_message` is safe to show; `str(self)` is for logs."""

    user_message = "Sorry, something went wrong on my side. Please try again."


class BadInput(OmnivoxError):
    """The user sent something we cannot use; the reply says what and why."""

    def __init__(self, user_message: str, detail: str | None = None) -> None:
        super().__init__(detail or user_message)
        self.user_message = user_message


class MediaTooLarge(BadInput):
    def __init__(self, limit_mb: int, size: int | None = None) -> None:
        got = f" (this one is {size / 1_000_000:.1f} MB)" if size else ""
        super().__init__(f"That file is too large: the limit is {limit_mb} MB{got}.")
        self.limit_mb = limit_mb


class UnreadableMedia(BadInput):
    """Corrupt, truncated, empty or of the wrong type."""


class EngineError(OmnivoxError):
    """A model or remote engine failed or is missing."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message if not hint else f"{message} ({hint})")
        self.hint = hint


class EngineUnavailable(EngineError):
    """The engine's package or model is missing; `hint` says what to install or set."""

    user_message = "That part of me is not set up on this server yet, sorry."


class AdapterError(OmnivoxError):
    """A platform call failed."""


class DeliveryError(AdapterError):
    """Sending a reply failed.

    `permanent` failures (a blocked bot) are recorded and never retried; one that
    `waits_for_user` (WhatsApp's 24-hour window closed) is kept and sent when the user
    next writes; others are retried with backoff, after `retry_after` seconds when the
    platform says so.
    """

    def __init__(
        self,
        reason: str,
        *,
        permanent: bool = False,
        retry_after: float | None = None,
        waits_for_user: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.retry_after = retry_after
        self.waits_for_user = waits_for_user
