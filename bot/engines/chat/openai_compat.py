"""Chat through any OpenAI-compatible Chat Completions endpoint (OpenAI, Ollama, vLLM...).

The wire protocol is spoken directly over aiohttp (already the server's HTTP stack) rather
than through the `openai` SDK: the SDK builds a pydantic object for every streamed chunk
and runs its own httpx stack, which made it the largest CPU cost per answered message and
added tens of MB of imports. What it did for us is kept here: SSE parsing, error bodies
mapped to readable errors, and retries of 408/409/429/5xx and connection failures under
the shared policy (`bot.retry`: jittered backoff, honouring `Retry-After` /
`retry-after-ms`; `x-should-retry` overrides the status). Any base URL works. With
`OMNIVOX_LLM_VISION=true` the user's photo is sent as an `image_url` data: URL part, so
the model sees the picture itself.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import aiohttp

from bot.config import ChatSettings
from bot.engines.chat.messages import with_system
from bot.errors import EngineError, EngineUnavailable
from bot.models import ChatTurn
from bot.ports.engines import EngineStatus
from bot.retry import RetryPolicy, retry_after

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gpt-4o-mini"
MAX_RETRIES = 3
TIMEOUT_SECONDS = 60.0
INITIAL_BACKOFF = 0.5
MAX_BACKOFF = 8.0
_RETRIED_STATUSES = frozenset({408, 409, 429})


class OpenAICompatChat:
    """Streams answers from a remote Chat Completions endpoint."""

    name = "openai"

    def __init__(self, settings: ChatSettings, *, max_retries: int = MAX_RETRIES) -> None:
        self._retry = RetryPolicy(
            attempts=max_retries + 1, initial=INITIAL_BACKOFF, maximum=MAX_BACKOFF
        )
        self.base_url = settings.base_url.rstrip("/")
        self.model = settings.model or DEFAULT_MODEL
        self.accepts_images = settings.vision
        self._key = settings.api_key.get_secret_value()
        self._temperature = 0.5
        self._url = f"{self.base_url}/chat/completions"
        # Local servers (Ollama, llama.cpp server) ignore the key but some proxies want one.
        self._headers = {"Authorization": f"Bearer {self._key or 'unused'}"}
        self._session: aiohttp.ClientSession | None = None
        self._session_loop: asyncio.AbstractEventLoop | None = None
        # Held only so the closing task is not garbage-collected: the loop keeps weak refs.
        self._closer: asyncio.Task[None] | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        """One pooled session per event loop, closed when the loop cancels its tasks."""
        loop = asyncio.get_running_loop()
        session = self._session
        if session is None or session.closed or self._session_loop is not loop:
            timeout = aiohttp.ClientTimeout(
                total=None, connect=TIMEOUT_SECONDS, sock_read=TIMEOUT_SECONDS
            )
            session = self._session = aiohttp.ClientSession(timeout=timeout)
            self._session_loop = loop
            self._closer = loop.create_task(_close_on_cancel(session), name="openai-session")
        return session

    async def warm_up(self) -> None:
        self._get_session()

    async def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        body = await self._body(turns, max_tokens)
        response = await self._post(body)
        try:
            async for data in _sse_data(response.content):
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                if chunk.get("error"):
                    raise EngineError(f"chat endpoint failed: {_error_text(chunk)}")
                choices = chunk.get("choices")
                if choices:
                    piece = (choices[0].get("delta") or {}).get("content")
                    if piece:
                        yield piece
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise _transport_error(exc) from exc
        finally:
            response.release()

    async def _body(self, turns: Sequence[ChatTurn], max_tokens: int) -> dict[str, Any]:
        return {
            "model": self.model,
            "messages": await self._messages(turns),
            "max_tokens": max_tokens,
            "temperature": self._temperature,
            "stream": True,
        }

    async def _post(self, body: dict[str, Any]) -> aiohttp.ClientResponse:
        """A 2xx response (the caller releases it), after retrying what is worth retrying."""
        session = self._get_session()
        payload = json.dumps(body).encode()
        headers = {**self._headers, "Content-Type": "application/json"}
        try:
            async for attempt in self._retry.retrying(_worth_retrying, what="chat endpoint"):
                with attempt:
                    retried = attempt.retry_state.attempt_number > 1
                    return await self._post_once(session, payload, headers, retried=retried)
        except _Refused as refused:
            raise refused.failure from refused.__cause__
        raise AssertionError("unreachable")  # pragma: no cover

    async def _post_once(
        self,
        session: aiohttp.ClientSession,
        payload: bytes,
        headers: Mapping[str, str],
        *,
        retried: bool,
    ) -> aiohttp.ClientResponse:
        try:
            response = await session.post(self._url, data=payload, headers=headers)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Refused(_transport_error(exc), retry=True) from exc
        if response.status < 300:
            return response
        failure = await _status_error(response, retried=retried)
        refused = _Refused(
            failure, retry=_should_retry(response), retry_after=retry_after(response.headers)
        )
        response.release()
        raise refused

    async def _messages(self, turns: Sequence[ChatTurn]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for turn in with_system(turns):
            if turn.images and self.accepts_images:
                out.append({"role": turn.role, "content": await _with_images(turn)})
            else:
                out.append({"role": turn.role, "content": turn.text})
        return out

    def status(self) -> EngineStatus:
        vision = "with photos" if self.accepts_images else "text only"
        hint = None
        if not self._key and "api.openai.com" in self.base_url:
            hint = "set OMNIVOX_LLM_API_KEY"
        return EngineStatus(
            job="chat", engine=self.name, available=hint is None,
            detail=f"{self.model} at {self.base_url}, {vision}", hint=hint,
        )


async def _close_on_cancel(session: aiohttp.ClientSession) -> None:
    """Idles until its loop shuts down (which cancels every task), then closes the session."""
    try:
        await asyncio.Event().wait()
    finally:
        await session.close()


async def _sse_data(content: aiohttp.StreamReader) -> AsyncIterator[str]:
    """The `data` of each server-sent event (multi-line data joined with newlines)."""
    lines: list[str] = []
    async for raw in content:
        line = raw.decode().rstrip("\r\n")
        if not line:
            if lines:
                yield "\n".join(lines)
                lines = []
        elif line.startswith("data:"):
            value = line[5:]
            lines.append(value[1:] if value.startswith(" ") else value)
    if lines:
        yield "\n".join(lines)


class _Refused(Exception):
    """One failed try: the error to raise if it is the last, and whether to try again."""

    def __init__(
        self, failure: EngineError, *, retry: bool, retry_after: float | None = None
    ) -> None:
        super().__init__(str(failure))
        self.failure = failure
        self.retry = retry
        self.retry_after = retry_after


def _worth_retrying(exc: BaseException) -> bool:
    return isinstance(exc, _Refused) and exc.retry


def _should_retry(response: aiohttp.ClientResponse) -> bool:
    explicit = response.headers.get("x-should-retry")
    if explicit in ("true", "false"):
        return explicit == "true"
    return response.status in _RETRIED_STATUSES or response.status >= 500


async def _status_error(response: aiohttp.ClientResponse, *, retried: bool) -> EngineError:
    """One readable line per failure; the key never appears in it."""
    status = response.status
    with contextlib.suppress(Exception):
        detail = _error_text(await response.json(content_type=None))
        log.warning("chat endpoint answered %s: %s", status, detail[:300])
    if status in (401, 403):
        return EngineUnavailable(
            f"the chat endpoint refused our key ({status})", hint="check OMNIVOX_LLM_API_KEY"
        )
    if status == 404:
        return EngineUnavailable(
            "the chat endpoint does not know that model or path",
            hint="check OMNIVOX_LLM_MODEL and OMNIVOX_LLM_BASE_URL",
        )
    return EngineError(f"chat endpoint answered {status}" + (" after retries" if retried else ""))


def _error_text(body: Any) -> str:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error)
    return str(error or body)


def _transport_error(exc: Exception) -> EngineError:
    if isinstance(exc, TimeoutError):
        return EngineError("chat endpoint timed out")
    if isinstance(exc, aiohttp.ClientConnectionError):
        return EngineError("chat endpoint unreachable", hint="check OMNIVOX_LLM_BASE_URL")
    return EngineError(f"chat endpoint failed: {type(exc).__name__}: {exc}")


async def _with_images(turn: ChatTurn) -> list[dict[str, Any]]:
    """Text plus each photo as a data: URL. The photos are the JPEGs the pipeline made
    (upright, bounded in size), sent as they are: a photo is re-encoded once."""
    parts: list[dict[str, Any]] = [{"type": "text", "text": turn.text}] if turn.text else []
    for jpeg in turn.images:
        url = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
        parts.append({"type": "image_url", "image_url": {"url": url}})
    return parts
