"""Slash commands, each declared once (name, help line, menu entry, handler) for every channel."""

from __future__ import annotations

import logging

from bot.export import history_markdown, history_summary
from bot.invocation import Command, CommandContext, Invocation
from bot.models import Attachment, Choice, Reply, ReplyEvent
from bot.preferences import language, mode, speed, voice

log = logging.getLogger(__name__)

PRIVACY_LINE = (
    "Privacy: our conversations are stored on this server so I can remember them. "
    "/history shows them, /export downloads them, and /forget deletes everything "
    "stored about you."
)

async def start(ctx: CommandContext) -> Reply:
    """The greeting says what is stored: in the words of the first-contact notice when one
    is set (a first reply that carries it already is not given it twice)."""
    return Reply(
        text=(
            "Hi! I am omnivox, an assistant you can write to, talk to or show photos.\n\n"
            f"{ctx.notice or PRIVACY_LINE}\n\n{help_text()}"
        )
    )


async def help_(ctx: CommandContext) -> Reply:
    return Reply(text=help_text())


async def new(ctx: CommandContext) -> Reply:
    await ctx.store.history.new_conversation(ctx.message.platform, ctx.message.chat_id)
    return Reply(text="Started a new conversation. Earlier turns stay in /history.")


async def history(ctx: CommandContext) -> Reply:
    messages = await ctx.store.history.messages(
        ctx.message.platform, ctx.message.chat_id, limit=60
    )
    return Reply(text=history_summary(messages, turns=10))


async def export(ctx: CommandContext) -> Reply:
    """Everything `/forget` would delete: the chat's messages and what is kept about you."""
    platform, chat, user = ctx.message.platform, ctx.message.chat_id, ctx.message.user_id
    messages = await ctx.store.privacy.export(platform, chat)
    document = history_markdown(
        messages, title=f"omnivox – {platform.value} chat",
        profile=await ctx.store.privacy.profile(platform, user),
        elsewhere=await ctx.store.privacy.elsewhere(platform, chat, user),
    )  # fmt: skip
    return Reply(
        text="Here is our whole history as a Markdown file.",
        attachment=Attachment(
            file_name="omnivox-history.md",
            data=document.encode("utf-8"),
            mime_type="text/markdown",
        ),
    )


async def forget(ctx: CommandContext) -> Reply:
    if ctx.args.lower() not in ("confirm", "yes"):
        return Reply(
            text=(
                "This deletes every message and setting stored about you on this server, "
                "and cannot be undone. Send /forget confirm to go ahead."
            ),
            choices=(Choice(label="Yes, delete everything", command="/forget confirm"),),
        )
    forgotten = await ctx.store.privacy.forget(
        ctx.message.platform, ctx.message.chat_id, ctx.message.user_id, keep_id=ctx.message.id
    )
    for platform, media in forgotten.media:
        await ctx.release(platform, media)
    await ctx.forget_files(ctx.message.platform, ctx.message.chat_id)
    log.info("forgot %s message(s) of a %s user", forgotten.messages, ctx.message.platform.value)
    return Reply(
        text=f"Done: deleted {forgotten.messages} message(s) and your settings. "
        "I remember nothing.",
        event=ReplyEvent.HISTORY_DELETED,
    )


async def stop(ctx: CommandContext) -> Reply:
    """A live /stop is carried out by the dispatcher as it arrives; one that reaches this
    handler (left over from before a restart) finds nothing running."""
    return Reply(text="There is nothing to stop.")


COMMANDS = (
    Command("start", "/start", "", "Greeting and what is stored", start),
    Command("help", "/help", "this list", "What I can do", help_),
    Command("new", "/new", "start a new conversation", "Start a new conversation", new),
    Command("mode", "/mode auto|text|voice", "how I reply (auto: voice for voice)",
            "Reply as text, voice or auto", mode),
    Command("voice", "/voice", "pick my voice", "Pick my voice", voice),
    Command("speed", "/speed slow|normal|fast", "how fast I speak", "How fast I speak", speed),
    Command("language", "/language <code>|auto", "the language I listen and answer in",
            "Set your language", language),
    Command("history", "/history", "the last turns of this chat", "Show the last turns",
            history),
    Command("export", "/export", "the whole history as a Markdown file",
            "Download the history", export),
    Command("forget", "/forget", "delete everything stored about you", "Delete all your data",
            forget),
    Command("stop", "/stop", "stop the answer in progress", "Stop the answer in progress",
            stop),
)  # fmt: skip
BY_NAME = {command.name: command for command in COMMANDS}
HELP_FIRST_LINES = (
    "Send me text, a voice note or a photo (with a question as its caption) and I will answer.\n"
    "A voice note gets a voice note back, with its text."
)


def help_text() -> str:
    listed = [c for c in COMMANDS if c.summary and c.name != "help"] + [BY_NAME["help"]]
    lines = "\n".join(f"{c.usage} – {c.summary}" for c in listed)
    return f"{HELP_FIRST_LINES}\n\n{lines}"


def menu() -> list[tuple[str, str]]:
    """(name, description) for a platform's command menu."""
    return [(c.name, c.menu) for c in COMMANDS]


async def run_command(invocation: Invocation, ctx: CommandContext) -> Reply:
    command = BY_NAME.get(invocation.name)
    if command is None:
        return Reply(text=f"I don't know /{invocation.name[:40]}. Send /help for what I can do.")
    return await command.handler(ctx)
