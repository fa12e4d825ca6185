"""AiohttpRequest against a real HTTP server on 127.0.0.1: bodies, timeouts, failures."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from telegram import Bot, InputFile, ReplyParameters
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from adapters.telegram.errors import retry_after_seconds
from adapters.telegram.request import AiohttpRequest
from tests.fakes.telegram_server import BOT_ID, BOT_USERNAME, TOKEN
from tests.support.ports import free_port

OGG = b"OggS" + bytes(64)


Seen = dict[str, dict[str, Any]]  # Bot API method → what the server received for it
SEEN = web.AppKey("seen", Seen)


@dataclass
class Server:
    url: str
    seen: Seen


async def _bot_api(request: web.Request) -> web.Response:
    method = request.match_info["method"]
    form = await request.post()
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    files = {k: (v.filename, v.content_type, v.file.read())
             for k, v in form.items() if isinstance(v, web.FileField)}  # fmt: skip
    record = {"content_type": request.content_type, "fields": fields, "files": files,
              "user_agent": request.headers.get("User-Agent", "")}  # fmt: skip
    request.app[SEEN][method] = record
    if method == "getMe":
        user = {"id": BOT_ID, "is_bot": True, "first_name": "Omnivox", "username": BOT_USERNAME}
        return web.json_response({"ok": True, "result": user})
    if method == "sendChatAction":
        body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 3",
                "parameters": {"retry_after": 3}}  # fmt: skip
        return web.json_response(body, status=429)
    chat = {"id": 42, "type": "private", "first_name": "Ada"}
    message = {"message_id": 1, "date": 1735732800, "chat": chat}
    return web.json_response({"ok": True, "result": message})


async def _slow(request: web.Request) -> web.Response:
    await asyncio.sleep(float(request.query.get("for", "1")))
    return web.Response(text="late")


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    app = web.Application()
    app[SEEN] = {}
    app.router.add_post("/bot{token}/{method}", _bot_api)
    app.router.add_route("*", "/slow", _slow)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    yield Server(f"http://127.0.0.1:{port}", app[SEEN])
    await runner.cleanup()


@pytest.fixture
async def request_() -> AsyncIterator[AiohttpRequest]:
    request = AiohttpRequest(read_timeout=0.3, connect_timeout=1, write_timeout=1)
    await request.initialize()
    yield request
    await request.shutdown()


@pytest.fixture
async def bot(server: Server) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=f"{server.url}/bot", request=AiohttpRequest(),
                   get_updates_request=AiohttpRequest()) as bot:  # fmt: skip
        yield bot


async def test_parameters_are_form_encoded(bot: Bot, server: Server) -> None:
    await bot.send_message(42, "héllo & <bye>", reply_parameters=ReplyParameters(message_id=7))
    sent = server.seen["sendMessage"]
    assert sent["content_type"] == "application/x-www-form-urlencoded"
    assert sent["user_agent"] == BaseRequest.USER_AGENT
    assert sent["fields"]["chat_id"] == "42" and sent["fields"]["text"] == "héllo & <bye>"
    assert json.loads(sent["fields"]["reply_parameters"]) == {"message_id": 7}


async def test_files_go_as_multipart(bot: Bot, server: Server) -> None:
    await bot.send_voice(42, InputFile(OGG, filename="reply.ogg"), caption="hi", duration=3)
    sent = server.seen["sendVoice"]
    assert sent["content_type"] == "multipart/form-data"
    assert sent["fields"] == {"chat_id": "42", "caption": "hi", "duration": "3"}
    assert sent["files"]["voice"] == ("reply.ogg", "audio/ogg", OGG)


async def test_status_and_body_reach_ptb(bot: Bot) -> None:
    with pytest.raises(RetryAfter) as flood:
        await bot.send_chat_action(42, "typing")
    assert retry_after_seconds(flood.value) == 3.0


async def test_unset_timeout_is_the_requests_own(request_: AiohttpRequest, server: Server) -> None:
    began = time.monotonic()
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server.url}/slow?for=2", "GET")
    assert time.monotonic() - began < 1.5


async def test_given_timeout_wins(request_: AiohttpRequest, server: Server) -> None:
    status, body = await request_.do_request(f"{server.url}/slow?for=0.5", "GET", read_timeout=2)
    assert (status, body) == (200, b"late")
    with pytest.raises(TimedOut):
        await request_.do_request(f"{server.url}/slow?for=1", "GET", read_timeout=0.1)


async def test_connection_refused_is_a_network_error(request_: AiohttpRequest) -> None:
    with pytest.raises(NetworkError) as failure:
        await request_.do_request(f"http://127.0.0.1:{free_port()}/bot/getMe", "POST")
    assert not isinstance(failure.value, TimedOut)
    assert "aiohttp.ClientConnectorError" in failure.value.message


async def test_requests_need_initialize_and_survive_a_restart(server: Server) -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request(f"{server.url}/slow?for=0", "GET")
    await request.initialize()
    await request.shutdown()
    await request.initialize()
    assert (await request.do_request(f"{server.url}/slow?for=0", "GET"))[0] == 200
    await request.shutdown()
    assert request.read_timeout == 5.0
