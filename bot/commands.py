"""Slash commands, each declared once (name, help line, menu entry, handler) for every channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from bot.errors import EngineError
from bot.export import history_markdown, history_summary
from bot.languages import (
    is_language_code,
    language_name,
    primary_language,
    stored_language,
    understood,
    voices_in,
)
from bot.media import encode_voice_note
from bot.models import Attachment, Choice, MediaRef, Platform, Reply, ReplyEvent, VoiceAudio
from bot.ports.engines import Engines, Voice
from bot.ports.store import Store, StoredMessage, UserSettings
from bot.voices import by_language

log = logging.getLogger(__name__)

MODES = ("auto", "text", "voice")
SPEEDS = {"slow": 0.8, "normal": 1.0, "fast": 1.25}
PREVIEWS = {
    "en": "Hello! This is how I sound.", "fr": "Bonjour ! Voici ma voix.",
    "de": "Hallo! So klinge ich.", "es": "¡Hola! Así suena mi voz.",
    "it": "Ciao! Ecco come suono.", "pt": "Olá! É assim que eu falo.",
    "nl": "Hallo! Zo klink ik.", "ru": "Привет! Вот так звучит мой голос.",
    "zh": "你好！这是我的声音。", "ja": "こんにちは！これが私の声です。",
    "ko": "안녕하세요! 제 목소리는 이렇습니다.", "pl": "Cześć! Tak brzmi mój głos.",
    "tr": "Merhaba! Sesim böyle.", "uk": "Привіт! Ось так звучить мій голос.",
    "ar": "مرحبا! هكذا يبدو صوتي.",
}  # fmt: skip


def preview_line(language: str) -> str:
    """What a voice says when picked: a line in its own language where we have one."""
    return PREVIEWS.get(primary_language(language), PREVIEWS["en"])

Release = Callable[[Platform, MediaRef], Awaitable[None]]
ForgetFiles = Callable[[Platform, str], Awaitable[None]]
PRIVACY_LINE = (
    "Privacy: our conversations are stored on this server so I can remember them. "
    "/history shows them, /export downloads them, and /forget deletes everything "
    "stored about you."
)


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


async def mode(ctx: CommandContext) -> Reply:
    choice = ctx.args.lower()
    if choice not in MODES:
        current = (await _settings(ctx)).reply_mode
        return Reply(
            text=f"Replies are '{current}'. Choose: auto (voice for voice), text or voice.",
            choices=tuple(Choice(label=m, command=f"/mode {m}") for m in MODES),
        )
    await ctx.store.users.update(ctx.message.platform, ctx.message.user_id, reply_mode=choice)
    return Reply(text=f"Done: I will reply as {_mode_words(choice)}.")


def _mode_words(choice: str) -> str:
    return {
        "auto": "voice to voice notes and text to text",
        "text": "text",
        "voice": "voice notes",
    }[choice]


async def voice(ctx: CommandContext) -> Reply:
    voices = await ctx.engines.synthesizer.voices()
    if not ctx.args:
        return await _list_voices(ctx, voices)
    picked = _find_voice(voices, ctx.args)
    if picked is None:
        in_language = voices_in(voices, ctx.args)
        if in_language:
            menu = _voice_menu(f"Voices for {language_name(ctx.args)}:", in_language)
            return replace(menu, voice=await _preview(ctx, in_language[0]))
        return Reply(text=f"I have no voice called '{ctx.args[:60]}'. Send /voice to see the list.")
    await ctx.store.users.update(ctx.message.platform, ctx.message.user_id, voice=picked.id)
    line = preview_line(picked.language)
    return Reply(text=f"Voice set to {picked.name} ({picked.language}). {line}",
                 voice=await _preview(ctx, picked))


async def _preview(ctx: CommandContext, picked: Voice) -> VoiceAudio | None:
    """The voice saying one line in its own language (None if it cannot speak now)."""
    speed = (await _settings(ctx)).speed
    try:
        clip = await ctx.engines.synthesizer.synthesize(
            preview_line(picked.language), picked.id, speed
        )
    except EngineError as failure:
        log.warning("voice preview failed: %s", failure)
        return None
    return await asyncio.to_thread(encode_voice_note, clip)


async def _list_voices(ctx: CommandContext, voices: list[Voice]) -> Reply:
    """Voices grouped by language; the many espeak-ng-only languages in one closing line."""
    current = (await _settings(ctx)).voice or (voices[0].id if voices else "none")
    groups = by_language(voices)
    neural = {lang: [v for v in vs if v.engine != "espeak"] for lang, vs in groups.items()}
    lines = [f"My voice is {current}. Voices by language (each speaks a preview when picked):"]
    shown: list[Voice] = []
    for lang, found in groups.items():
        best = neural[lang] or found[:1]
        if not neural[lang] and len(groups) > 12:
            continue  # espeak-ng-only languages: listed by code below
        names = "; ".join(f"{v.name} ({v.language}) – /voice {v.id}" for v in best[:4])
        lines.append(f"• {language_name(lang)}: {names}")
        shown += best[:1]
    robotic = sorted(lang for lang in groups if not neural[lang])
    if robotic and len(groups) > 12:
        lines.append(f"\nespeak-ng also speaks {len(robotic)} languages "
                     f"({', '.join(robotic[:12])}, …): send /voice <language code>, "
                     "e.g. /voice de.")
    return Reply(text="\n".join(lines), choices=tuple(
        Choice(label=f"{v.name} ({v.language})", command=f"/voice {v.id}") for v in shown[:10]
    ))


def _voice_menu(title: str, voices: list[Voice]) -> Reply:
    listing = "\n".join(f"• {v.name} ({v.language}) – /voice {v.id}" for v in voices[:30])
    return Reply(
        text=f"{title}\n{listing}",
        choices=tuple(
            Choice(label=f"{v.name} ({v.language})", command=f"/voice {v.id}") for v in voices[:10]
        ),
    )


async def language(ctx: CommandContext) -> Reply:
    """Pin the language I listen and answer in, or go back to detecting it."""
    wanted = ctx.args.strip().lower()
    current, chosen = stored_language((await _settings(ctx)).language)
    if not wanted:
        how = "you chose it" if chosen else "detected from what you said or wrote"
        said = f"{language_name(current)} ({how})" if current else "not known yet"
        return Reply(text=f"Your language: {said}. Send /language <code> (e.g. /language fr) "
                          "to pin it, or /language auto to let me detect it.",
                     choices=(Choice(label="auto", command="/language auto"),))
    if wanted == "auto":
        await ctx.store.users.update(ctx.message.platform, ctx.message.user_id, language=None)
        return Reply(text="Done: I will detect your language from what you say and write.")
    heard = ctx.engines.transcriber.languages
    if not is_language_code(wanted):
        return Reply(text=f"'{wanted[:20]}' is not a language code; try e.g. fr, de, zh or auto.")
    if not understood(heard, wanted):
        return Reply(text=f"My speech model here only hears {', '.join(sorted(heard or ()))}; "
                          f"you can still write to me in {language_name(wanted)}.")
    code = primary_language(wanted)
    await ctx.store.users.update(ctx.message.platform, ctx.message.user_id, language=code)
    return Reply(text=f"Done: I will listen for and answer in {language_name(code)}.")


def _find_voice(voices: list[Voice], wanted: str) -> Voice | None:
    wanted = wanted.strip().lower()
    for candidate in voices:
        if wanted in (candidate.id.lower(), candidate.name.lower()):
            return candidate
    return None


async def speed(ctx: CommandContext) -> Reply:
    word = ctx.args.lower()
    value = SPEEDS.get(word)
    if value is None:
        try:
            value = float(word)
        except ValueError:
            value = None
    if value is None or not 0.5 <= value <= 2.0:
        return Reply(
            text="Choose a speaking speed: slow, normal, fast (or a number from 0.5 to 2).",
            choices=tuple(Choice(label=w, command=f"/speed {w}") for w in SPEEDS),
        )
    await ctx.store.users.update(ctx.message.platform, ctx.message.user_id, speed=value)
    return Reply(text=f"Speaking speed set to {value:g}×.")


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


async def _settings(ctx: CommandContext) -> UserSettings:
    return await ctx.store.users.settings(ctx.message.platform, ctx.message.user_id)


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
