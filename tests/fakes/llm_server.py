"""A fake OpenAI-compatible Chat Completions server on 127.0.0.1.

It speaks the real wire format (JSON, and SSE when `stream` is true), records
every request body, and can be told to fail the next requests with given
status codes (429 with a short Retry-After, 500...). Tests and benches use it
so the real `openai` client runs unmodified.

    async with FakeLLMServer(reply="Hello there") as server:
        server.fail_next(429)
        ... base_url=server.base_url ...

`python -m tests.fakes.llm_server --port 8089` serves it standalone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeLLMServer:
    """Serves /v1/chat/completions and /v1/models until stopped."""

    reply: str = "Hello! I am a fake model."
    model: str = "fake-model"
    chunk_words: int = 1
    chunk_delay: float = 0.0
    port: int = 0
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[int] = field(default_factory=list)
    _runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def fail_next(self, *statuses: int) -> None:
        """The next len(statuses) requests fail with these HTTP statuses, in order."""
        self.failures.extend(statuses)

    def image_urls(self) -> list[str]:
        """Every image_url received so far (data: URLs for inline photos)."""
        urls: list[str] = []
        for body in self.requests:
            for message in body.get("messages", []):
                content = message.get("content")
                if isinstance(content, list):
                    urls += [p["image_url"]["url"] for p in content if p.get("type") == "image_url"]
        return urls

    async def __aenter__(self) -> FakeLLMServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._completions)
        app.router.add_get("/v1/models", self._models)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _models(self, request: web.Request) -> web.Response:
        models = [{"id": self.model, "object": "model"}]
        return web.json_response({"object": "list", "data": models})

    async def _completions(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.requests.append(body)
        if self.failures:
            return _error(self.failures.pop(0), request.headers.get("Authorization", ""))
        if body.get("stream"):
            return await self._stream(request, body)
        return web.json_response(_completion(self.reply, body.get("model", self.model)))

    async def _stream(self, request: web.Request, body: dict[str, Any]) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        model = body.get("model", self.model)
        for piece in _pieces(self.reply, self.chunk_words):
            await response.write(_sse(_chunk(model, {"content": piece})))
            if self.chunk_delay:
                await asyncio.sleep(self.chunk_delay)
        await response.write(_sse(_chunk(model, {}, finish="stop")))
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


def _pieces(text: str, words: int) -> list[str]:
    tokens = text.split(" ")
    groups = [" ".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]
    return [g if i == 0 else " " + g for i, g in enumerate(groups)]


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def _chunk(model: str, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion.chunk", "created": int(time.time()),
        "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }


def _completion(text: str, model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()),
        "model": model,
        "choices": [{
            "index": 0, "finish_reason": "stop",
            "message": {"role": "assistant", "content": text},
        }],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def _error(status: int, authorization: str = "") -> web.Response:
    headers = {"retry-after-ms": "20"}  # keeps the client's retries fast in tests
    kind = "rate_limit_exceeded" if status == 429 else "server_error"
    message = f"fake {status}"
    if status == 401:  # as some endpoints do: the key that was refused, quoted back
        kind = "invalid_api_key"
        message = f"Incorrect API key provided: {authorization.removeprefix('Bearer ')}"
    return web.json_response(
        {"error": {"message": message, "type": kind, "code": kind}},
        status=status, headers=headers,
    )


async def _serve(port: int, reply: str) -> None:
    async with FakeLLMServer(reply=reply, port=port) as server:
        print(f"fake Chat Completions server at {server.base_url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--reply", default=FakeLLMServer.reply)
    args = parser.parse_args()
    asyncio.run(_serve(args.port, args.reply))
