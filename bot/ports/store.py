"""The durable store the core uses, as small repositories that each do one job.

`storage.SqlStore` implements `Store`; each of its attributes implements one port below.
The records they exchange live in `bot.ports.records` and are named here too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from bot.models import (
    Attachment,
    IncomingMessage,
    Platform,
    Reply,
)
from bot.ports.records import (
    Accepted,
    Closing,
    Direction,
    Forgotten,
    Profile,
    SentPart,
    State,
    StoredMessage,
    UserSettings,
)

__all__ = [
    "Accepted",
    "Closing",
    "Direction",
    "Forgotten",
    "History",
    "Inbox",
    "Outbox",
    "Parts",
    "Privacy",
    "Profile",
    "SentPart",
    "State",
    "Store",
    "StoredMessage",
    "UserSettings",
    "Users",
]


class Inbox(Protocol):
    """Incoming messages and their states."""

    async def accept(
        self,
        message: IncomingMessage,
        *,
        in_context: bool,
        admit: Callable[[], bool] | None = None,
        ordered: bool = True,
        live: bool = False,
    ) -> Accepted:
        """Insert once per (platform, chat, message id); a redelivery is a duplicate.
        `admit` is asked about new messages only (never a redelivery); when it says no,
        nothing is stored and the result is `refused`. Where a job queue carries the
        work to other processes, the message's job is queued in the same transaction,
        in its chat's order unless `ordered` is False (a /stop must not wait its turn).
        A `live` message (a turn of a call) is answered by the call itself: it is stored
        as answered and never queued nor resumed after a restart."""
        ...

    async def backlog(self) -> tuple[int, float]:
        """How many messages wait for an answer, and the oldest one's age in seconds."""
        ...

    async def working(self, platform: Platform, chat_id: str, before: int) -> bool:
        """Whether a message of the chat older than `before` is being answered now."""
        ...

    async def get(self, message_id: int) -> StoredMessage | None: ...

    async def set_state(self, message_id: int, state: State, error: str | None = None) -> None: ...

    async def record_understanding(
        self,
        message_id: int,
        *,
        transcript: str | None = None,
        caption: str | None = None,
        language: str | None = None,
    ) -> None:
        """What the message was understood to say (kept; its raw media is not)."""
        ...

    async def unanswered(self) -> list[StoredMessage]: ...


class Outbox(Protocol):
    """Replies and their deliveries."""

    async def add_reply(
        self, answer_to: int, reply: Reply, *, in_context: bool, notice: str | None = None
    ) -> int:
        """Store the answer to `answer_to`; LookupError when that message is gone.
        `notice` is added to the reply's text when its author has never been shown it
        (recorded in the same transaction, so it goes out once)."""
        ...

    async def undelivered(self, *, due_before: datetime | None = None) -> list[StoredMessage]: ...

    async def load_reply(self, message_id: int) -> tuple[StoredMessage, Reply] | None:
        """A stored reply and what to send for it; None when it is gone."""
        ...

    async def by_state(self) -> dict[str, int]:
        """How many stored replies are in each state (answered, delivered, failed, …)."""
        ...

    async def claim(self, message_id: int, owner: str, lease: float) -> bool:
        """Take the reply for sending, for `lease` seconds: False when it is no longer
        due or another process holds an unexpired claim on it. Marking it delivered,
        failed or waiting lets the claim go."""
        ...

    async def release_claims(self) -> int:
        """Let every claim go (the process starting is the only one, so whoever held them
        is dead); returns how many there were."""
        ...

    async def mark_delivered(self, message_id: int, platform_ids: list[str]) -> None: ...

    async def mark_delivery_failed(
        self, message_id: int, reason: str, *, permanent: bool, retry_at: datetime | None
    ) -> None: ...

    async def attempts(self, message_id: int) -> int:
        """How many deliveries of this reply have failed so far."""
        ...

    async def mark_waiting(self, message_id: int, reason: str) -> None:
        """The channel may not send this reply until the user writes again."""
        ...

    async def hold(
        self, platform: Platform, platform_message_id: str, reason: str | None
    ) -> str | None:
        """The platform reports that this message of ours did not go and may only once the
        user writes again: its reply waits, that part to be sent again. Returns the chat."""
        ...

    async def reopen(self, platform: Platform, chat_id: str) -> list[int]:
        """The user wrote: the chat's waiting replies become due, oldest first."""
        ...

    async def waiting_chats(self) -> list[tuple[Platform, str]]: ...

    async def record_status(
        self, platform: Platform, platform_message_id: str, status: str, error: str | None
    ) -> None:
        """A platform's report on something we sent (sent/delivered/read/failed)."""
        ...


class Parts(Protocol):
    """What was sent of each reply, part by part (a reply may go out as several platform
    messages), so that a retry after a partial failure sends only the missing parts."""

    async def of(self, message_id: int) -> dict[int, SentPart]:
        """The parts of this reply on record, by index."""
        ...

    async def record(self, message_id: int, part: int, platform_id: str | None) -> str | None:
        """Part `part` was sent as `platform_id`; None: its send ended without a clear
        answer. Returns the platform id now on record (a report may have settled it)."""
        ...

    async def report(
        self, message_id: int, part: int, platform_id: str, status: str
    ) -> bool:
        """A platform's report names a part of ours (by the tag sent with it): settle it.
        True when that made a part known that was unclear or not on record."""
        ...

    async def drop(self, message_id: int, part: int) -> None:
        """Part `part` was not sent after all: an unclear record of it goes."""
        ...


class History(Protocol):
    """Conversations as they are read back: the model's context and what people see."""

    async def context(self, message: StoredMessage) -> list[StoredMessage]:
        """The turns of `message`'s conversation up to it, newest last."""
        ...

    async def messages(
        self, platform: Platform, chat_id: str, *, after_id: int = 0, limit: int | None = None
    ) -> list[StoredMessage]:
        """Every message of the chat, oldest first (only the newest `limit` when given)."""
        ...

    async def voice(self, message_id: int) -> bytes | None: ...

    async def attachment(self, message_id: int) -> Attachment | None: ...

    async def new_conversation(self, platform: Platform, chat_id: str) -> None: ...

    async def record_feedback(
        self, platform: Platform, chat_id: str, platform_message_id: str, value: int
    ) -> bool:
        """👍 (+1) / 👎 (-1) on one of our replies; False when the reply is unknown."""
        ...

    async def last_incoming_at(self, platform: Platform, chat_id: str) -> datetime | None: ...


class Users(Protocol):
    """People and their settings."""

    async def settings(self, platform: Platform, user_id: str) -> UserSettings: ...

    async def update(self, platform: Platform, user_id: str, **changes: object) -> None: ...


class Privacy(Protocol):
    """What a user may see of what is stored about them, and its deletion."""

    async def export(self, platform: Platform, chat_id: str) -> list[StoredMessage]:
        """Everything stored of the chat, oldest first."""
        ...

    async def elsewhere(
        self, platform: Platform, chat_id: str, user_id: str
    ) -> list[StoredMessage]:
        """The person's own messages in the platform's other chats (a forget takes them
        too), oldest first."""
        ...

    async def profile(self, platform: Platform, user_id: str) -> Profile | None:
        """What is stored about the person: their name as the platform gave it, settings."""
        ...

    async def forget(
        self, platform: Platform, chat_id: str, user_id: str, *, keep_id: int | None = None
    ) -> Forgotten:
        """Delete the user's messages, their row and settings, and in a private chat the
        chat's whole history; leave no copy in the database files. `keep_id` (the
        request itself) stays, no longer tied to the user, so its confirmation can be
        stored and delivered; `close` then removes both."""
        ...

    async def close(self, platform: Platform, chat_id: str, reply_id: int) -> bool:
        """A forget's confirmation was delivered (or shown): delete it, the request it
        answers and the chat's conversations left empty, and leave no copy in the
        database files. False when `reply_id` is no such confirmation of that chat."""
        ...

    async def confirmations(self) -> list[Closing]:
        """Forget confirmations sent (or given up on) but not closed yet."""
        ...


class Store(Protocol):
    """The repositories, sharing one database."""

    @property
    def inbox(self) -> Inbox: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def parts(self) -> Parts: ...

    @property
    def history(self) -> History: ...

    @property
    def users(self) -> Users: ...

    @property
    def privacy(self) -> Privacy: ...

    async def ping(self) -> None: ...

    async def close(self) -> None: ...
