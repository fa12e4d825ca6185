"""Chat through any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM...).

Built on the official `openai` SDK rather than hand-rolled HTTP: it parses the
SSE stream, maps error bodies to typed exceptions, and retries 429/5xx and
connection errors with exponential backoff, honouring `Retry-After`. Any base
URL works. With `OMNIVOX_LLM_VISION=true` the user's photo is sent as an
`image_url` data: URL part, so the model sees the picture itself.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any

from bot.config import Settings
from bot.engines.base import EngineStatus
from bot.engines.prompting import system_prompt, with_system
from bot.errors import EngineError, EngineUnavailable
from bot.models import ChatTurn

log = logging.getLogger(__name__)

HINT = "pip install openai"
DEFAULT_MODEL = "gpt-4o-mini"
MAX_RETRIES = 3
TIMEOUT_SECONDS = 60.0


class OpenAICompatChat:
    """Streams answers from a remote Chat Completions endpoint."""

    name = "openai"

    def __init__(self, settings: Settings, *, max_retries: int = MAX_RETRIES) -> None:
        self.max_retries = max_retries
        self.base_url = settings.llm_base_url.rstrip("/")
        self.model = settings.llm_model or DEFAULT_MODEL
        self.accepts_images = settings.llm_vision
        self._key = settings.llm_api_key.get_secret_value()
        self._system = system_prompt(settings)
        self._client: Any = None
        self._temperature = 0.5

    def _get_client(self) -> Any:
        if self._client is None:
            try:
                from openai import AsyncOpenAI
            except ImportError as exc:
                raise EngineUnavailable("the openai package is missing", hint=HINT) from exc
            self._client = AsyncOpenAI(
                base_url=self.base_url,
                # Local servers (Ollama, llama.cpp server) ignore the key but the SDK wants one.
                api_key=self._key or "unused",
                max_retries=self.max_retries,
                timeout=TIMEOUT_SECONDS,
            )
        return self._client

    async def warm_up(self) -> None:
        self._get_client()

    async def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        client = self._get_client()
        messages = await self._messages(turns)
        try:
            response = await client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens,
                temperature=self._temperature, stream=True,
            )
            async with response:
                async for chunk in response:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except Exception as exc:
            raise _engine_error(exc) from exc

    async def complete(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> str:
        """One answer in one response (no streaming), e.g. for summaries."""
        client = self._get_client()
        messages = await self._messages(turns)
        try:
            response = await client.chat.completions.create(
                model=self.model, messages=messages, max_tokens=max_tokens,
                temperature=self._temperature,
            )
        except Exception as exc:
            raise _engine_error(exc) from exc
        return (response.choices[0].message.content or "") if response.choices else ""

    async def _messages(self, turns: Sequence[ChatTurn]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for turn in with_system(turns, self._system):
            if turn.images and self.accepts_images:
                out.append({"role": turn.role, "content": await _with_images(turn)})
            else:
                out.append({"role": turn.role, "content": turn.text})
        return out

    def status(self) -> EngineStatus:
        if importlib.util.find_spec("openai") is None:
            return EngineStatus(
                job="chat", engine=self.name, available=False,
                detail="the openai package is not installed", hint=HINT,
            )
        vision = "with photos" if self.accepts_images else "text only"
        hint = None
        if not self._key and "api.openai.com" in self.base_url:
            hint = "set OMNIVOX_LLM_API_KEY"
        return EngineStatus(
            job="chat", engine=self.name, available=hint is None,
            detail=f"{self.model} at {self.base_url}, {vision}", hint=hint,
        )


async def _with_images(turn: ChatTurn) -> list[dict[str, Any]]:
    """Text plus each photo as a JPEG data: URL (re-encoded small, off the event loop)."""
    from bot.media import to_rgb_jpeg

    parts: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
    for image in turn.images:
        jpeg = await asyncio.to_thread(to_rgb_jpeg, image, 1024)
        url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        parts.append({"type": "image_url", "image_url": {"url": url}})
    return parts


def _engine_error(exc: Exception) -> EngineError:
    """One readable line per failure; the key never appears in it."""
    try:
        import openai
    except ImportError:  # pragma: no cover - the client could not exist without it
        return EngineError(f"chat endpoint failed: {exc}")
    if isinstance(exc, EngineError):
        return exc
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return EngineUnavailable(
            f"the chat endpoint refused our key ({exc.status_code})",
            hint="check OMNIVOX_LLM_API_KEY",
        )
    if isinstance(exc, openai.NotFoundError):
        return EngineUnavailable(
            "the chat endpoint does not know that model or path",
            hint="check OMNIVOX_LLM_MODEL and OMNIVOX_LLM_BASE_URL",
        )
    if isinstance(exc, openai.APIStatusError):
        return EngineError(f"chat endpoint answered {exc.status_code} after retries")
    if isinstance(exc, openai.APITimeoutError):
        return EngineError("chat endpoint timed out")
    if isinstance(exc, openai.APIConnectionError):
        return EngineError("chat endpoint unreachable", hint="check OMNIVOX_LLM_BASE_URL")
    return EngineError(f"chat endpoint failed: {type(exc).__name__}: {exc}")
