"""Generated payloads for the three ways in: the Telegram update parser, the WhatsApp webhook
parser and the web chat's message form.

Each payload is either anything JSON can hold or a recorded, well-formed payload with one to
three of its fields replaced, removed or added (so most reach deep into the parser rather
than being turned away at the door). Strings include lone surrogates, NULs and control
characters. A run counts the outcomes: every payload must be a message, an ignored event
or a 4xx; an exception escaping, or a 5xx, fails the run.

Used by `test_fuzz.py` (CI counts) and `bench/reliability.py` (100,000+ payloads).
"""

from __future__ import annotations

import asyncio
import copy
import json
import tempfile
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hypothesis
from aiohttp import web
from aiohttp.multipart import BadContentDispositionHeader
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.telegram.parse import BotIdentity, CallbackAction, Malformed, parse_update
from adapters.web.adapter import WebAdapter
from adapters.whatsapp.parse import Delivery, NotAWebhook, parse_webhook
from bot.config import LimitSettings
from bot.models import IncomingMessage
from tests.fakes.sink import RecordingSink
from tests.support.telegram_payloads import load, names
from tests.support.whatsapp_bodies import wa_body, wa_message, wa_status, wa_value

BOT = BotIdentity(id=777000111, username="omnivox_test_bot")
# every code point, lone surrogates included (JSON can escape them; UTF-8 cannot hold them)
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.one_of(st.text(max_size=12), st.text(ANY_CHAR, max_size=12))
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True), TEXT,
)  # fmt: skip
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def _slots(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value a mutation may land."""
    found = [path]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _slots(inner, (*path, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _slots(inner, (*path, index))
    return found


def _mutate(draw: st.DrawFn, value: Any) -> Any:
    path = draw(st.sampled_from(_slots(value)))
    if not path:
        return draw(JSON)
    *parents, leaf = path
    target = value
    for key in parents:
        target = target[key]
    action = draw(st.sampled_from(("replace", "remove", "add")))
    if action == "remove":
        del target[leaf]
    elif action == "add" and isinstance(target, dict):
        target[draw(st.sampled_from(("text", "type", "id", "from", "chat", "voice", "photo",
                                     "caption", "document", "messages", "statuses")))] = draw(JSON)
    else:
        target[leaf] = draw(JSON)
    return value


def mutated(bases: list[Any]) -> st.SearchStrategy[Any]:
    @st.composite
    def build(draw: st.DrawFn) -> Any:
        value = copy.deepcopy(draw(st.sampled_from(bases)))
        for _ in range(draw(st.integers(1, 3))):
            value = _mutate(draw, value)
        return value

    return build()


def telegram_updates() -> st.SearchStrategy[Any]:
    bases = [load(name) for name in names()]
    return st.one_of(mutated(bases), mutated(bases), JSON)


def whatsapp_bodies() -> st.SearchStrategy[Any]:
    kinds = [
        wa_message("text", "wamid.F1", {"body": "hello"}),
        wa_message("audio", "wamid.F2", {"id": "m1", "mime_type": "audio/ogg", "voice": True}),
        wa_message("image", "wamid.F3", {"id": "m2", "mime_type": "image/jpeg", "caption": "c"}),
        wa_message("document", "wamid.F4", {"id": "m3", "mime_type": "audio/mpeg"}),
        wa_message("interactive", "wamid.F5",
                   {"type": "button_reply", "button_reply": {"id": "/mode text", "title": "T"}}),
        wa_message("button", "wamid.F6", {"payload": "p", "text": "Yes"}),
        wa_message("reaction", "wamid.F7", {"message_id": "wamid.X", "emoji": "👍"}),
        wa_message("text", "wamid.F8", {"body": "quoted"}, context={"id": "wamid.Y"}),
        wa_message("unsupported", "wamid.F9", errors=[{"code": 131051, "title": "Unsupported"}]),
    ]  # fmt: skip
    bases = [wa_body(wa_value([m])) for m in kinds]
    bases.append(wa_body(wa_value(statuses=[wa_status("wamid.S", "failed", callback="d:1",
                                                      errors=[{"code": 131047}])])))  # fmt: skip
    return st.one_of(mutated(bases), mutated(bases), JSON)


def check_telegram(update: Any) -> str:
    """What the parser made of it; anything but these four outcomes is a failure."""
    parsed = parse_update(update, BOT)
    if isinstance(parsed, IncomingMessage):
        _storable(parsed)
        return "message"
    if isinstance(parsed, CallbackAction):
        if parsed.command is not None:
            _storable(parsed.command)
        return "button"
    if isinstance(parsed, Malformed):
        return "recorded as failed"
    assert parsed is None, parsed
    return "ignored"


def check_whatsapp(body: Any) -> str:
    try:
        delivery = parse_webhook(body)
    except NotAWebhook:
        return "400"
    assert isinstance(delivery, Delivery)
    for message in delivery.messages:
        _storable(message)
    if delivery.messages:
        return "message"
    return "status/feedback" if delivery.statuses or delivery.feedback else "ignored"


def _storable(message: IncomingMessage) -> None:
    """A message the inbox can hold: its ids and texts are strings UTF-8 can write."""
    for value in (message.message_id, message.chat_id, message.user_id):
        assert isinstance(value, str) and value, message
        value.encode("utf-8")
    for text in (message.text, message.user_name, message.reply_to_text, message.reply_to_id):
        assert text is None or isinstance(text, str), message
        if text is not None:
            text.encode("utf-8")
    json.dumps(message.raw, default=str)


def run(strategy: st.SearchStrategy[Any], check: Callable[[Any], str], examples: int,
        seed: int | None = None) -> Counter[str]:  # fmt: skip
    """`examples` payloads through `check`; returns how many ended how."""
    outcomes: Counter[str] = Counter()

    @settings(max_examples=examples, deadline=None, database=None, derandomize=seed is None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(strategy)
    def one(payload: Any) -> None:
        outcomes[check(payload)] += 1

    if seed is not None:
        one = hypothesis.seed(seed)(one)
    one()
    return outcomes


# the web chat's form ---------------------------------------------------------------------

PART_NAMES = st.sampled_from(("text", "client_message_id", "voice", "audio", "image", "other",
                              "", "text\"; name=\"voice"))  # fmt: skip
PART_TYPES = st.sampled_from((None, "text/plain", "audio/ogg", "image/png", "image/svg+xml",
                              "application/octet-stream", "multipart/mixed", "bogus"))  # fmt: skip
MEDIA = st.sampled_from((b"", b"OggS\x00\x02" + bytes(40), b"\x89PNG\r\n\x1a\n" + bytes(20),
                         b"GIF89a", b"<svg/>", b"\xff\xd8\xff\xe0"))  # fmt: skip
BYTES = st.one_of(st.binary(max_size=64), MEDIA, TEXT.map(lambda t: t.encode("utf-8", "replace")))


@st.composite
def web_bodies(draw: st.DrawFn) -> tuple[str, bytes]:
    """(Content-Type, body): multipart forms well and badly made, JSON, urlencoded, junk."""
    shape = draw(st.sampled_from(("multipart", "multipart", "multipart", "json", "form", "raw")))
    if shape == "json":
        return "application/json", json.dumps(draw(JSON)).encode()
    if shape == "form":
        return "application/x-www-form-urlencoded", draw(BYTES)
    if shape == "raw":
        return draw(st.sampled_from(("text/plain", "multipart/form-data", ""))), draw(BYTES)
    boundary = draw(st.sampled_from(("b0undary", "x", "a" * 70, "")))
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(PART_NAMES)
        head = f'Content-Disposition: form-data; name="{name}"'
        if draw(st.booleans()):
            head += f'; filename="{draw(st.sampled_from(("a.ogg", "../../x", "é.png", "")))}"'
        kind = draw(PART_TYPES)
        lines += [f"--{boundary}".encode(), head.encode("utf-8", "replace")]
        if kind:
            lines.append(f"Content-Type: {kind}".encode())
        lines += [b"", draw(BYTES)]
    ending = draw(st.sampled_from((f"--{boundary}--", "", f"--{boundary}", "--other--")))
    lines.append(ending.encode())
    header_boundary = draw(st.sampled_from((boundary, "", "different")))
    content_type = "multipart/form-data" + (f"; boundary={header_boundary}"
                                            if header_boundary else "")  # fmt: skip
    return content_type, b"\r\n".join(lines)


class WebForm:
    """The web chat's POST route on a test server, a sink that takes every message."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="omnivox-fuzz-")
        limits = LimitSettings.model_validate({"max_media_mb": 1})
        adapter = WebAdapter(RecordingSink(), NoLog(), limits=limits,
                             uploads=Path(self._dir.name) / "uploads")  # fmt: skip
        app = web.Application(client_max_size=2 * 1024 * 1024)
        app.add_routes(adapter.routes())
        self.loop = asyncio.new_event_loop()
        self.client = TestClient(TestServer(app), loop=self.loop)
        self.loop.run_until_complete(self.client.start_server())

    def check(self, body: tuple[str, bytes]) -> str:
        content_type, data = body
        headers = {"Content-Type": content_type} if content_type else {}
        with warnings.catch_warnings():  # aiohttp warns of each odd Content-Disposition
            warnings.simplefilter("ignore", BadContentDispositionHeader)
            status, text = self.loop.run_until_complete(self._post(headers, data))
        assert status == 202 or 400 <= status < 500, (status, text, body)
        if status != 202:
            error = json.loads(text)["error"]
            assert error and "\n" not in error, text
        return str(status)

    async def _post(self, headers: dict[str, str], data: bytes) -> tuple[int, str]:
        response = await self.client.post("/api/chats/fuzz/messages", data=data,
                                          headers=headers)  # fmt: skip
        return response.status, await response.text()

    def close(self) -> None:
        self.loop.run_until_complete(self.client.close())
        self.loop.close()
        self._dir.cleanup()


class NoLog:
    """The web adapter's read port; the fuzzed route never reads the log."""

    async def messages(self, *_: Any, **__: Any) -> list[Any]:
        return []

    async def voice(self, _message_id: int) -> bytes | None:
        return None

    async def attachment(self, _message_id: int) -> None:
        return None
