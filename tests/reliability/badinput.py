"""Bad input on every channel, one case a row: each gets a 4xx with a one-line error, a clear
reply, or (a platform payload that cannot be read) is recorded as failed and acknowledged.

`run_table(rig)` sends every case to the omnivox of a `Rig` (all three channels on) and
returns the rows; a row's `ok` is False when the answer was a 5xx, a dropped connection, a
multi-line or empty error, or silence. Used by `test_bad_input.py` and `bench/reliability.py`.
"""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp

from adapters.whatsapp.adapter import WEBHOOK_PATH
from tests.reliability import inputs
from tests.reliability.rig import Rig
from tests.support.media import jpeg, png, tone_ogg
from tests.support.whatsapp_bodies import signed, wa_body, wa_message, wa_value

REPLY_WAIT = 30.0
CANARY = "canary: remember this"


@dataclass
class Row:
    channel: str
    case: str
    answer: str  # "400: The file is empty." / "reply: I could not read that audio." / ...
    ok: bool


Case = Callable[["Table"], Awaitable[tuple[str, bool]]]


class Table:
    """Sends each case on its own chat, so its answer is told apart from the others'."""

    def __init__(self, rig: Rig, http: aiohttp.ClientSession) -> None:
        self.rig = rig
        self.http = http
        self._next = 0

    def _chat(self) -> int:
        self._next += 1
        return self._next

    # web ---------------------------------------------------------------------------------
    def web_url(self, chat: str | None = None) -> str:
        return f"{self.rig.base}/api/chats/{chat or f'bad-{self._chat()}'}/messages"

    async def web_post(self, data: Any, *, headers: dict[str, str] | None = None,
                       url: str | None = None) -> tuple[str, bool]:  # fmt: skip
        """Answer of one POST: a 4xx's one-line error, or the reply when it was taken."""
        url = url or self.web_url()
        async with self.http.post(url, data=data, headers=headers) as response:
            return await self._web_answer(url, response)

    async def _web_answer(self, url: str, response: aiohttp.ClientResponse) -> tuple[str, bool]:
        if response.status == 202:
            return await self.web_reply(url)
        return await _one_line(response)

    async def web_reply(self, url: str) -> tuple[str, bool]:
        deadline = time.monotonic() + REPLY_WAIT
        while time.monotonic() < deadline:
            async with self.http.get(url) as response:
                rows = await response.json()
            for row in rows:
                if row["direction"] == "out" and row["state"] == "delivered":
                    return f"reply: {_short(row['text'])}", bool(row["text"].strip())
            await asyncio.sleep(0.2)
        return "no reply", False

    async def web_file(self, field: str, data: bytes, mime: str) -> tuple[str, bool]:
        form = aiohttp.FormData()
        form.add_field(field, data, filename="upload", content_type=mime)
        return await self.web_post(form)

    # telegram ----------------------------------------------------------------------------
    async def telegram(self, content: dict[str, Any], *, files: dict[str, bytes] | None = None,
                       expect_reply: bool = True) -> tuple[str, bool]:  # fmt: skip
        chat = 820_000 + self._chat()
        for file_id, data in (files or {}).items():
            self.rig.api.add_file(file_id, data)
        user = {"id": chat, "is_bot": False, "first_name": "Bad"}
        message = {"message_id": 1, "from": user, "chat": {"id": chat, "type": "private"},
                   "date": int(time.time()), **content}  # fmt: skip
        pushed = self.rig.api.push({"message": message})
        await self.rig.api.wait_confirmed(pushed["update_id"], within=REPLY_WAIT)
        if not expect_reply:
            return "acknowledged, recorded as failed", True
        return await self._telegram_reply(chat)

    async def telegram_raw(self, update: dict[str, Any]) -> tuple[str, bool]:
        """An update that cannot be read: it must be acknowledged (the offset moves on)."""
        pushed = self.rig.api.push(update)
        await self.rig.api.wait_confirmed(pushed["update_id"], within=REPLY_WAIT)
        return "acknowledged, recorded as failed", True

    async def _telegram_reply(self, chat: int) -> tuple[str, bool]:
        deadline = time.monotonic() + REPLY_WAIT
        while time.monotonic() < deadline:
            for key, text in self.rig.api.messages.items():
                if key[0] == str(chat):
                    return f"reply: {_short(text)}", bool(text.strip())
            for call in self.rig.api.calls:
                if call.method == "sendVoice" and call.params.get("chat_id") == chat:
                    return f"voice reply: {_short(str(call.params.get('caption')))}", True
            await asyncio.sleep(0.2)
        return "no reply", False

    # whatsapp ----------------------------------------------------------------------------
    async def whatsapp(self, kind: str, content: Any, *, media: tuple[bytes, str] | None = None,
                       expect: str = "reply", **extra: Any) -> tuple[str, bool]:  # fmt: skip
        phone = f"1666{self._chat():07d}"
        if media is not None:
            self.rig.graph.add_media(f"media-{phone}", *media)
            content = {**content, "id": f"media-{phone}", "mime_type": media[1]}
        message = wa_message(kind, f"wamid.BAD{phone}", content, sender=phone, **extra)
        status, text = await self.whatsapp_raw(wa_body(wa_value([message], names={phone: "B"})))
        if status != 200:
            return f"{status}: {text}", False
        if expect == "skipped":
            return "200, skipped (nothing stored)", True
        return await self._whatsapp_reply(phone)

    async def whatsapp_raw(self, body: dict[str, Any] | bytes) -> tuple[int, str]:
        raw, headers = signed(body)
        async with self.http.post(self.rig.base + WEBHOOK_PATH, data=raw,
                                  headers=headers) as response:  # fmt: skip
            return response.status, _short(await response.text())

    async def whatsapp_refused(self, body: dict[str, Any] | bytes) -> tuple[str, bool]:
        status, text = await self.whatsapp_raw(body)
        return f"{status}: {text}", 400 <= status < 500 and "\n" not in text

    async def _whatsapp_reply(self, phone: str) -> tuple[str, bool]:
        deadline = time.monotonic() + REPLY_WAIT
        while time.monotonic() < deadline:
            for sent in self.rig.graph.sent:
                if sent["to"] == phone:
                    if sent["type"] == "text":
                        return f"reply: {_short(sent['text']['body'])}", True
                    return f"{sent['type']} reply", True
            await asyncio.sleep(0.2)
        return "no reply", False


async def _one_line(response: aiohttp.ClientResponse) -> tuple[str, bool]:
    text = await response.text()
    try:
        error = json.loads(text).get("error", "")
    except (ValueError, AttributeError):
        error = text
    one_line = bool(error.strip()) and "\n" not in error.strip()
    return f"{response.status}: {_short(error)}", 400 <= response.status < 500 and one_line


def _short(text: str, width: int = 90) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


# the cases ------------------------------------------------------------------------------

def _json(text: Any) -> tuple[bytes, dict[str, str]]:
    return json.dumps({"text": text}).encode(), {"Content-Type": "application/json"}


async def _web_text(t: Table, text: str) -> tuple[str, bool]:
    return await t.web_post(aiohttp.FormData({"text": text}))


async def _web_raw(t: Table, body: bytes, content_type: str) -> tuple[str, bool]:
    return await t.web_post(body, headers={"Content-Type": content_type})


async def _web_invalid_utf8(t: Table) -> tuple[str, bool]:
    form = aiohttp.FormData()
    form.add_field("text", b"caf\xe9 \xff", content_type="text/plain")
    return await t.web_post(form)


async def _web_lone_surrogate(t: Table) -> tuple[str, bool]:
    return await t.web_post(b'{"text": "\\ud800 hi"}', headers={"Content-Type": "application/json"})


async def _web_oversize(t: Table) -> tuple[str, bool]:
    form = aiohttp.FormData()
    form.add_field("voice", bytes(21 * 1024 * 1024), filename="big.ogg", content_type="audio/ogg")
    return await t.web_post(form)


async def _web_multipart(t: Table, body: bytes, boundary: str) -> tuple[str, bool]:
    return await _web_raw(t, body, f"multipart/form-data; boundary={boundary}")


async def _web_path_traversal(t: Table) -> tuple[str, bool]:
    url = f"{t.rig.base}/api/chats/..%2F..%2Fetc%2Fpasswd/messages"
    async with t.http.post(url, data={"text": "hi"}) as response:
        return await _one_line(response)


async def _web_get(t: Table, path: str) -> tuple[str, bool]:
    async with t.http.get(t.rig.base + path) as response:
        return await _one_line(response)


async def _web_slow_body(t: Table) -> tuple[str, bool]:
    """Headers, then a body that stops coming: the server gives up and says so."""
    url = t.web_url()
    path = url.removeprefix(t.rig.base)

    def slow() -> str:
        with socket.create_connection(("127.0.0.1", t.rig.port), timeout=60) as sock:
            sock.sendall((f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                          "\r\nContent-Length: 1000\r\n\r\n{\"text\": \"").encode())  # fmt: skip
            return sock.recv(4096).decode(errors="replace")

    began = time.monotonic()
    answer = await asyncio.to_thread(slow)
    status = answer.split(" ", 2)[1] if answer.startswith("HTTP/") else "closed"
    waited = time.monotonic() - began
    return f"{status} after {waited:.0f} s", status.startswith("4")


async def _web_nested(t: Table) -> tuple[str, bool]:
    return await _web_raw(t, b'{"text":' + b"[" * 100_000 + b"]" * 100_000 + b"}",
                          "application/json")  # fmt: skip


TEN_MB = json.dumps({"text": "x" * 10_000_000}).encode()


def _parts(*parts: bytes) -> bytes:
    return b"\r\n".join(parts)


NO_CLOSE = _parts(b"--b0", b'Content-Disposition: form-data; name="text"', b"", b"hello")
WRONG_BOUNDARY = _parts(b"--other", b'Content-Disposition: form-data; name="text"', b"", b"hi",
                        b"--other--")  # fmt: skip

WEB: dict[str, Case] = {
    "text: empty": lambda t: _web_text(t, ""),
    "text: only spaces": lambda t: _web_text(t, "   \n\t "),
    "text: 100,000 characters": lambda t: _web_text(t, "a" * 100_000),
    "text: invalid UTF-8": _web_invalid_utf8,
    "text: lone surrogate (JSON)": _web_lone_surrogate,
    "text: NUL characters": lambda t: _web_text(t, "hello\x00world\x00"),
    "text: control characters": lambda t: _web_text(t, "\x07\x1b[31mred\x1b[0m\x08\x7f\u202e"),
    "audio: zero bytes": lambda t: t.web_file("voice", b"", "audio/ogg"),
    "audio: truncated OGG": lambda t: t.web_file("voice", inputs.truncated_ogg(), "audio/ogg"),
    "audio: random bytes": lambda t: t.web_file("audio", inputs.random_bytes(), "audio/mpeg"),
    "audio: wrong MIME (a PNG as audio/ogg)": lambda t: t.web_file("voice", png(), "audio/ogg"),
    "audio: 0.05 s": lambda t: t.web_file("voice", tone_ogg(0.05), "audio/ogg"),
    "audio: 1.5 s of silence": lambda t: t.web_file("voice", inputs.silent_ogg(), "audio/ogg"),
    "audio: 3 hours": lambda t: t.web_file("audio", inputs.three_hour_ogg(), "audio/ogg"),
    "audio: 96 kHz, 8 channels": lambda t: t.web_file("audio", inputs.wav_96k_8ch(), "audio/wav"),
    "image: decompression bomb (400 Mpx PNG)": lambda t: t.web_file(
        "image", inputs.png_bomb(), "image/png"),
    "image: truncated JPEG": lambda t: t.web_file("image", inputs.truncated_jpeg(), "image/jpeg"),
    "image: SVG": lambda t: t.web_file("image", inputs.SVG, "image/svg+xml"),
    "image: animated GIF": lambda t: t.web_file("image", inputs.animated_gif(), "image/gif"),
    "image: CMYK JPEG": lambda t: t.web_file("image", inputs.cmyk_jpeg(), "image/jpeg"),
    "image: 30000×30000 header": lambda t: t.web_file(
        "image", inputs.png_header_only(), "image/png"),
    "image: zero bytes": lambda t: t.web_file("image", b"", "image/jpeg"),
    "body: malformed JSON": lambda t: _web_raw(t, b'{"text": "hi"', "application/json"),
    "body: JSON of the wrong shape": lambda t: _web_raw(t, b'["hi"]', "application/json"),
    "body: text that is a number": lambda t: _web_raw(t, b'{"text": 42}', "application/json"),
    "body: 10 MB of JSON": lambda t: _web_raw(t, TEN_MB, "application/json"),
    "body: JSON nested 100,000 deep": _web_nested,
    "body: unknown content type": lambda t: _web_raw(t, b"hello", "application/x-unknown"),
    "body: multipart without a closing boundary": lambda t: _web_multipart(t, NO_CLOSE, "b0"),
    "body: multipart with the wrong boundary": lambda t: _web_multipart(t, WRONG_BOUNDARY, "b0"),
    "body: multipart without a boundary": lambda t: _web_raw(t, NO_CLOSE, "multipart/form-data"),
    "body: two files in one message": lambda t: _two_files(t),
    "body: oversize multipart (21 MB)": _web_oversize,
    "body: slow body (stops after the headers)": _web_slow_body,
    "chat id: path traversal": _web_path_traversal,
    "chat id: 300 characters": lambda t: _web_text_at(t, "c" * 300),
    "query: ?after=a huge number": lambda t: _web_get(
        t, "/api/chats/bad/messages?after=99999999999999999999999"),
    "attachment id: a huge number": lambda t: _web_get(
        t, "/api/attachments/99999999999999999999999"),
}


async def _two_files(t: Table) -> tuple[str, bool]:
    form = aiohttp.FormData()
    form.add_field("voice", tone_ogg(1.0), filename="a.ogg", content_type="audio/ogg")
    form.add_field("image", jpeg(), filename="b.jpg", content_type="image/jpeg")
    return await t.web_post(form)


async def _web_text_at(t: Table, chat: str) -> tuple[str, bool]:
    return await t.web_post(aiohttp.FormData({"text": "hi"}), url=t.web_url(chat))


def _voice(file_id: str, **extra: Any) -> dict[str, Any]:
    return {"voice": {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 2,
                      "mime_type": "audio/ogg", **extra}}  # fmt: skip


def _photo(file_id: str) -> dict[str, Any]:
    return {"photo": [{"file_id": file_id, "file_unique_id": f"u{file_id}", "width": 640,
                       "height": 480}]}  # fmt: skip


TELEGRAM: dict[str, Case] = {
    "text: 100,000 characters": lambda t: t.telegram({"text": "b" * 100_000}),
    "text: NUL and control characters": lambda t: t.telegram({"text": "a\x00b\x07\x1b[2J"}),
    "text: lone surrogate": lambda t: t.telegram({"text": "\ud800"}, expect_reply=False),
    "text: a number": lambda t: t.telegram({"text": 12345}, expect_reply=False),
    "audio: zero bytes": lambda t: t.telegram(_voice("tg-empty"), files={"tg-empty": b""}),
    "audio: random bytes": lambda t: t.telegram(
        _voice("tg-random"), files={"tg-random": inputs.random_bytes()}),
    "audio: truncated OGG": lambda t: t.telegram(
        _voice("tg-cut"), files={"tg-cut": inputs.truncated_ogg()}),
    "audio: says 3 hours": lambda t: t.telegram(
        _voice("tg-long", duration=3 * 3600), files={"tg-long": inputs.three_hour_ogg()}),
    "audio: voice without file_id": lambda t: t.telegram(
        {"voice": {"duration": 2}}, expect_reply=False),
    "image: decompression bomb": lambda t: t.telegram(
        _photo("tg-bomb"), files={"tg-bomb": inputs.png_bomb()}),
    "image: truncated JPEG": lambda t: t.telegram(
        _photo("tg-trunc"), files={"tg-trunc": inputs.truncated_jpeg()}),
    "image: SVG sent as a file": lambda t: t.telegram(
        {"document": {"file_id": "tg-svg", "file_unique_id": "s", "mime_type": "image/svg+xml"}},
        files={"tg-svg": inputs.SVG}),
    "body: photo as a list of strings": lambda t: t.telegram(
        {"photo": ["a", "b"]}, expect_reply=False),
    "body: unknown update type": lambda t: t.telegram_raw(
        {"message_reaction_count": {"chat": {"id": 1}, "reactions": []}}),
    "body: message that is a string": lambda t: t.telegram_raw({"message": "hello"}),
}


def _wa_nested() -> bytes:
    deep = b"[" * 100_000 + b"]" * 100_000
    return b'{"object": "whatsapp_business_account", "entry": ' + deep + b"}"


WHATSAPP: dict[str, Case] = {
    "text: 100,000 characters": lambda t: t.whatsapp("text", {"body": "c" * 100_000}),
    "text: NUL and control characters": lambda t: t.whatsapp("text", {"body": "x\x00y\x1b[0m"}),
    "text: lone surrogate": lambda t: t.whatsapp("text", {"body": "\ud800"}, expect="skipped"),
    "audio: zero bytes": lambda t: t.whatsapp("audio", {"voice": True}, media=(b"", "audio/ogg")),
    "audio: random bytes": lambda t: t.whatsapp(
        "audio", {"voice": True}, media=(inputs.random_bytes(), "audio/ogg")),
    "audio: wrong MIME (a JPEG as audio/ogg)": lambda t: t.whatsapp(
        "audio", {"voice": True}, media=(jpeg(), "audio/ogg")),
    "image: decompression bomb": lambda t: t.whatsapp(
        "image", {}, media=(inputs.png_bomb(), "image/png")),
    "image: CMYK JPEG": lambda t: t.whatsapp("image", {}, media=(inputs.cmyk_jpeg(), "image/jpeg")),
    "body: unknown message type": lambda t: t.whatsapp("hologram", {"beam": 1}),
    "body: type that is a list": lambda t: t.whatsapp("text", {"body": "x"}, expect="reply",
                                                       **{"type": ["text"]}),
    "body: malformed JSON": lambda t: t.whatsapp_refused(b'{"object": "whatsapp_business_acc'),
    "body: wrong shape": lambda t: t.whatsapp_refused({"object": "page", "entry": []}),
    "body: JSON nested 100,000 deep": lambda t: t.whatsapp_refused(_wa_nested()),
}


async def canary(rig: Rig) -> None:
    """One message per channel answered before the bad input, to be found after it."""
    from tests.reliability.rig import Chat, Sent

    items = [Sent(90_000 + n, Chat(channel, 900 + n)) for n, channel in
             enumerate(("web", "telegram", "whatsapp"))]  # fmt: skip
    for item in items:
        await rig.send(item)
    tally = await rig.settle(items, within=30, quiet=0)
    assert tally.lost == 0, tally


def canaries_kept(rig: Rig) -> int:
    """How many of the three canary messages (and their answers) are still stored."""
    db = sqlite3.connect(f"file:{rig.workdir / 'omnivox.db'}?mode=ro", uri=True)
    try:
        (found,) = db.execute(
            "SELECT count(*) FROM messages WHERE text LIKE 'm9000_ from %' AND direction = 'in'"
        ).fetchone()
    finally:
        db.close()
    return int(found)


async def run_table(rig: Rig) -> list[Row]:
    await asyncio.to_thread(inputs.three_hour_ogg)  # made once, before any case waits on it
    rows: list[Row] = []
    # a connection per request: a case that takes a while must not meet a pooled connection
    # the server already closed for idling
    connector = aiohttp.TCPConnector(force_close=True)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=60)) as http:  # fmt: skip
        table = Table(rig, http)
        for channel, cases in (("web", WEB), ("telegram", TELEGRAM), ("whatsapp", WHATSAPP)):
            for name, case in cases.items():
                try:
                    answer, ok = await case(table)
                except Exception as failure:  # a dropped connection, a timeout: the row fails
                    answer, ok = f"{type(failure).__name__}: {_short(str(failure))}", False
                rows.append(Row(channel, name, answer, ok))
    return rows
