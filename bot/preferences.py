"""The commands that set how I answer a user: reply mode, voice, speed and language."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot.audio import encode_voice_note
from bot.errors import EngineError
from bot.invocation import CommandContext
from bot.languages import (
    is_language_code,
    language_name,
    primary_language,
    stored_language,
    understood,
    voices_in,
)
from bot.models import Choice, Reply, VoiceAudio
from bot.ports.engines import Voice
from bot.ports.store import UserSettings
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


async def _settings(ctx: CommandContext) -> UserSettings:
    return await ctx.store.users.settings(ctx.message.platform, ctx.message.user_id)
