"""What a command handler is given and how `/name args` is read, shared by every command."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.models import MediaRef, Platform, Reply
from bot.ports.engines import Engines
from bot.ports.store import Store, StoredMessage

Release = Callable[[Platform, MediaRef], Awaitable[None]]
ForgetFiles = Callable[[Platform, str], Awaitable[None]]


async def _no_files(platform: Platform, chat_id: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Invocation:
    """A parsed `/name args`."""

    name: str
    args: str


def parse_command(text: str | None, bot_username: str | None = None) -> Invocation | None:
    """`/name args` → Invocation; `/name@bot` is accepted when it names us (or no one)."""
    if not text or not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text.strip().partition(" ")
    name, _, addressee = head[1:].partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    if not name.replace("_", "").isalnum():
        return None
    return Invocation(name=name.lower(), args=args.strip())


@dataclass(slots=True)
class CommandContext:
    message: StoredMessage
    args: str
    store: Store
    engines: Engines
    release: Release  # drops what a channel still holds of a message's media
    forget_files: ForgetFiles = _no_files  # drops what a channel keeps of a chat
    notice: str = ""  # the first-contact notice, when one is set


Handler = Callable[[CommandContext], Awaitable[Reply]]


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    usage: str  # how /help shows it
    summary: str  # what /help says it does; empty: not listed
    menu: str  # the one-line description platform menus show
    handler: Handler
