"""The OpenAI-compatible engine against a local server speaking Chat Completions."""

from __future__ import annotations

import base64
import io
from collections.abc import AsyncIterator

import pytest
from PIL import Image

from bot.engines.chat.openai_compat import OpenAICompatChat
from bot.errors import EngineError, EngineUnavailable
from bot.images import to_rgb_jpeg
from bot.models import ChatTurn
from tests.fakes.llm_server import FakeLLMServer
from tests.support.settings import make_settings

REPLY = "Paris is the capital of France."


@pytest.fixture
async def server() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(reply=REPLY) as fake:
        yield fake


def engine(server: FakeLLMServer, *, vision: bool = False) -> OpenAICompatChat:
    return OpenAICompatChat(make_settings(
        llm="openai", llm_base_url=server.base_url, llm_api_key="sk-test", llm_model="m-1",
        llm_vision=vision,
    ).chat)


async def answer(chat: OpenAICompatChat) -> str:
    return "".join([p async for p in chat.stream([ChatTurn(role="user", text="hi")], max_tokens=5)])


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2000, 1000), "green").save(out, format="PNG")
    return out.getvalue()


async def test_streams_pieces(server: FakeLLMServer) -> None:
    chat = engine(server)
    pieces = [p async for p in chat.stream([ChatTurn(role="user", text="Capital?")], max_tokens=20)]
    assert len(pieces) >= 2
    assert "".join(pieces) == REPLY
    body = server.requests[0]
    assert body["stream"] is True and body["model"] == "m-1" and body["max_tokens"] == 20
    assert body["messages"][0]["role"] == "system"
    assert body["messages"][-1] == {"role": "user", "content": "Capital?"}


async def test_vision_model_gets_the_photo_as_a_data_url(server: FakeLLMServer) -> None:
    chat = engine(server, vision=True)
    assert chat.accepts_images
    jpeg = to_rgb_jpeg(photo())  # what the pipeline hands the model
    turn = ChatTurn(role="user", text="What is this?", images=(jpeg,))
    assert "".join([p async for p in chat.stream([turn], max_tokens=20)]) == REPLY
    (url,) = server.image_urls()
    assert url.startswith("data:image/jpeg;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == jpeg  # sent as it is, not re-encoded
    with Image.open(io.BytesIO(jpeg)) as sent:
        assert sent.format == "JPEG" and max(sent.size) == 1024
    content = server.requests[0]["messages"][-1]["content"]
    assert content[0] == {"type": "text", "text": "What is this?"}


async def test_text_model_never_receives_images(server: FakeLLMServer) -> None:
    chat = engine(server)
    turn = ChatTurn(role="user", text="What is this?", images=(photo(),))
    assert "".join([p async for p in chat.stream([turn], max_tokens=20)]) == REPLY
    assert server.image_urls() == []


async def test_rate_limit_is_retried(server: FakeLLMServer) -> None:
    server.fail_next(429)
    pieces = [p async for p in engine(server).stream(
        [ChatTurn(role="user", text="hi")], max_tokens=5)]
    assert "".join(pieces) == REPLY
    assert len(server.requests) == 2


async def test_server_errors_retry_then_give_up(server: FakeLLMServer) -> None:
    server.fail_next(500, 500, 500, 500)
    with pytest.raises(EngineError, match="500"):
        [p async for p in engine(server).stream([ChatTurn(role="user", text="hi")], max_tokens=5)]
    assert len(server.requests) == 4


async def test_a_500_then_success(server: FakeLLMServer) -> None:
    server.fail_next(500)
    assert await answer(engine(server)) == REPLY


async def test_bad_key_says_what_to_fix(server: FakeLLMServer) -> None:
    server.fail_next(401)
    with pytest.raises(EngineUnavailable) as caught:
        await answer(engine(server))
    assert "OMNIVOX_LLM_API_KEY" in str(caught.value)
    assert "sk-test" not in str(caught.value)


async def test_unreachable_endpoint() -> None:
    settings = make_settings(llm="openai", llm_base_url="http://127.0.0.1:9/v1")
    chat = OpenAICompatChat(settings.chat, max_retries=0)
    with pytest.raises(EngineError, match="unreachable"):
        await answer(chat)


async def test_retry_after_header_is_honoured(server: FakeLLMServer) -> None:
    from bot.retry import retry_after

    assert retry_after({"retry-after-ms": "20"}) == 0.02
    assert retry_after({"retry-after": "2"}) == 2.0
    assert retry_after({"retry-after": "3600"}) is None  # not sane: our own backoff instead
    assert retry_after({}) is None


async def test_an_error_event_in_the_stream_is_an_engine_error() -> None:
    from aiohttp import web

    async def broken(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await response.write(b'data: {"choices": [{"delta": {"content": "Hi"}}]}\n\n')
        await response.write(b'data: {"error": {"message": "model overloaded"}}\n\n')
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", broken)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}/v1"
        chat = OpenAICompatChat(make_settings(llm="openai", llm_base_url=url).chat)
        pieces: list[str] = []
        with pytest.raises(EngineError, match="model overloaded"):
            async for piece in chat.stream([ChatTurn(role="user", text="hi")], max_tokens=5):
                pieces.append(piece)
        assert pieces == ["Hi"]
    finally:
        await runner.cleanup()


@pytest.mark.parametrize(
    ("status", "should_retry", "requests"),
    [(500, "false", 1), (400, "true", 2), (400, None, 1), (408, None, 2), (409, None, 2)],
)
async def test_which_refusals_are_retried(
    status: int, should_retry: str | None, requests: int
) -> None:
    from aiohttp import web

    seen: list[int] = []

    async def refuse(request: web.Request) -> web.Response:
        seen.append(1)
        headers = {"retry-after-ms": "10"}
        if should_retry is not None:
            headers["x-should-retry"] = should_retry
        return web.json_response({"error": {"message": "no"}}, status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/v1/chat/completions", refuse)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        url = f"http://127.0.0.1:{port}/v1"
        chat = OpenAICompatChat(make_settings(llm="openai", llm_base_url=url).chat, max_retries=1)
        with pytest.raises(EngineError, match=str(status)):
            await answer(chat)
        assert len(seen) == requests
    finally:
        await runner.cleanup()
