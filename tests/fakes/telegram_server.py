"""A Bot API server on 127.0.0.1 that python-telegram-bot talks to unmodified.

It speaks the HTTP protocol (`/bot<token>/<method>` with parameters in the query string or in
JSON, form or multipart bodies, `/file/bot<token>/<path>` downloads), records every call,
injects faults per method (including a send that is carried out but answered too late), and —
when the official spec is at ../shared/testdata/telegram/api.json — rejects methods and
parameters the spec does not allow, and calls missing a required parameter. HTML
`parse_mode` text is parsed the way Telegram does (allowed tags, balanced, known entities),
and the 4096/1024 limits are enforced on the parsed text. `sendMessageDraft` shows an
animated draft in a private chat until a message is sent there, as the spec describes it.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

from tests.fakes.chaos import Chaos, reset
from tests.support.corpus import TESTDATA

SPEC_PATH = TESTDATA / "telegram" / "api.json"
BOT_ID = 777000111
BOT_USERNAME = "omnivox_test_bot"
TOKEN = f"{BOT_ID}:AAFakeTokenForTests"
# Integer parameters the calls under test use, for when the spec is not here to say so.
_INTEGERS = {"chat_id", "duration", "message_id", "offset", "limit", "timeout", "width", "height",
             "draft_id"}
_STRUCTURED = {"reply_parameters", "reply_markup", "commands", "entities", "caption_entities",
               "link_preview_options", "allowed_updates", "scope"}  # fmt: skip
# The calls that put a message in front of the user: the ones random faults hit.
SENDS = frozenset({"sendmessage", "sendvoice", "senddocument", "sendaudio"})
_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
              "a", "code", "pre", "blockquote", "tg-emoji", "tg-time"}  # fmt: skip


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    status: int
    description: str
    times: int
    retry_after: int | None = None
    delay: float = 0.0
    taken: bool = False  # carry the call out, then answer only after `delay`
    skip: int = 0  # calls let through before the fault starts


@dataclass
class Draft:
    """What a private chat shows while a reply is generated (cleared by the next message)."""

    chat_id: int
    draft_id: int
    text: str
    at: float = field(default_factory=time.monotonic)


class ApiError(Exception):
    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


class Violation(ApiError):
    """A call Telegram would reject because the client got the protocol wrong."""


class Spec:
    """Method → {parameter: (required, types)} from the official spec."""

    def __init__(self, path: Path) -> None:
        data = json.loads(path.read_text())
        self.methods: dict[str, dict[str, tuple[bool, list[str]]]] = {
            name.lower(): {f["name"]: (f["required"], f["types"]) for f in m.get("fields", [])}
            for name, m in data["methods"].items()
        }

    def check(self, method: str, params: Mapping[str, Any]) -> None:
        fields = self.methods.get(method.lower())
        if fields is None:
            raise Violation(404, "Not Found: method not found")
        for name in params:
            if name not in fields:
                raise Violation(400, f"Bad Request: unknown parameter {name} for {method}")
        for name, (required, _types) in fields.items():
            if required and params.get(name) in (None, ""):
                raise Violation(400, f"Bad Request: parameter {name} is required")

    def types(self, method: str, name: str) -> list[str]:
        return self.methods.get(method.lower(), {}).get(name, (False, []))[1]


class _TelegramHtml(HTMLParser):
    """Parses text the way the Bot API does for parse_mode=HTML; collects the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _HTML_TAGS:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"'
            )
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ApiError(400, f'Bad Request: can\'t parse entities: Unmatched end tag "{tag}"')

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            raise Violation(400, "Bad Request: can't parse entities: unescaped angle bracket")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in {"lt", "gt", "amp", "quot"}:
            raise Violation(400, f"Bad Request: can't parse entities: unknown entity &{name};")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.text.append(html.unescape(f"&#{name};"))

    @classmethod
    def visible(cls, markup: str) -> str:
        parser = cls()
        parser.feed(markup)
        parser.close()
        if parser.stack:
            raise ApiError(
                400, f'Bad Request: can\'t parse entities: unclosed tag "{parser.stack[-1]}"'
            )
        return "".join(parser.text)


class FakeBotApi:
    """Start with `await server.start()`; point PTB at `base_url` / `base_file_url`."""

    def __init__(self, *, token: str = TOKEN, spec_path: Path | None = SPEC_PATH) -> None:
        self.token = token
        self.spec = Spec(spec_path) if spec_path and spec_path.exists() else None
        self.calls: list[Call] = []
        self.rejected: list[tuple[str, str]] = []  # protocol violations only
        self.updates: list[dict[str, Any]] = []
        self.confirmed_offset = 0
        self.webhook: dict[str, Any] | None = None
        self.files: dict[str, bytes] = {}
        self.claimed_sizes: dict[str, int] = {}
        self.messages: dict[tuple[str, int], str] = {}
        self.drafts: list[Draft] = []  # every draft shown, in order
        self.showing: dict[int, Draft] = {}  # chat id -> the draft on screen now
        self.faults: dict[str, list[Fault]] = {}
        self.chaos: Chaos | None = None  # random faults on a share of SENDS
        self.port = 0
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._new_update = asyncio.Condition()
        self._new_call = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self._closing = False

    # lifecycle -------------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeBotApi:
        app = web.Application(client_max_size=100 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        self._closing = True  # long polls in progress return now instead of at their timeout
        await self._notify(self._new_update)
        if self._runner:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # test controls ----------------------------------------------------------------------
    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (its update_id is assigned here)."""
        update = {**update, "update_id": next(self._update_ids)}
        self.updates.append(update)
        asyncio.get_running_loop().create_task(self._notify(self._new_update))
        return update

    async def deliver_webhook(self, update: dict[str, Any], *, secret: str | None = None) -> int:
        """POST an update to the registered webhook, as Telegram does; returns the status."""
        assert self.webhook, "no webhook set"
        update = {**update, "update_id": next(self._update_ids)}
        token = secret if secret is not None else self.webhook.get("secret_token")
        headers = {"X-Telegram-Bot-Api-Secret-Token": token} if token else {}
        async with (
            ClientSession() as session,
            session.post(self.webhook["url"], json=update, headers=headers) as response,
        ):
            return response.status

    def add_file(self, file_id: str, data: bytes, *, claimed_size: int | None = None) -> None:
        self.files[file_id] = data
        if claimed_size is not None:
            self.claimed_sizes[file_id] = claimed_size

    def fail(
        self,
        method: str,
        status: int,
        description: str = "",
        *,
        times: int = 1,
        retry_after: int | None = None,
        delay: float = 0.0,
        taken: bool = False,
        skip: int = 0,
    ) -> None:
        """The next `times` calls of `method` fail with `status` (0 = answer after `delay`).
        `taken`: the call is carried out first and answered only after `delay`, as when
        Telegram took a message but its answer did not reach the client in time.
        `skip`: that many calls are let through before the fault starts."""
        defaults = {
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            403: "Forbidden: bot was blocked by the user",
            502: "Bad Gateway",
        }
        text = description or defaults.get(status, "")
        self.faults.setdefault(method.lower(), []).append(
            Fault(status, text, times, retry_after, delay, taken, skip)
        )

    def calls_of(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(self, method: str, count: int = 1, within: float = 10.0) -> list[Call]:
        async def enough() -> list[Call]:
            async with self._new_call:
                await self._new_call.wait_for(lambda: len(self.calls_of(method)) >= count)
            return self.calls_of(method)

        return await asyncio.wait_for(enough(), within)

    async def wait_confirmed(self, update_id: int, within: float = 10.0) -> None:
        """Until getUpdates was called with an offset past `update_id` (it was acknowledged)."""

        async def confirmed() -> None:
            async with self._new_call:
                await self._new_call.wait_for(lambda: self.confirmed_offset > update_id)

        await asyncio.wait_for(confirmed(), within)

    # HTTP -------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if request.match_info["token"] != self.token:
            return ApiError(401, "Unauthorized").response()
        params, files = await self._read(request, method)
        call = Call(method, params, files)
        self.calls.append(call)
        await self._notify(self._new_call)
        late: float | None = None
        if self.chaos is not None and method.lower() in SENDS:
            drawn = await self._chaotic(request)
            if isinstance(drawn, web.Response):
                return drawn
            late = drawn
        late = self._taken(method) if late is None else late
        try:
            if late is None:
                await self._inject(method)
        except ApiError as injected:
            return injected.response()
        try:
            if self.spec:
                self.spec.check(method, params)
            result = await self._dispatch(method, params, files)
        except ApiError as error:
            if isinstance(error, Violation):
                self.rejected.append((method, error.description))
            return error.response()
        if late is not None:
            await asyncio.sleep(late)
        return web.json_response({"ok": True, "result": result})

    async def _read(
        self, request: web.Request, method: str
    ) -> tuple[dict[str, Any], dict[str, bytes]]:
        # the Bot API takes parameters from the query string as well as from the body
        params: dict[str, Any] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            body = await request.json() if request.can_read_body else {}
            query = {k: self._decode(method, k, v) for k, v in params.items()}
            return query | dict(body or {}), {}
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if part.filename is not None:  # type: ignore[union-attr]
                    files[part.name or ""] = bytes(await part.read())  # type: ignore[union-attr]
                else:
                    params[part.name or ""] = await part.text()  # type: ignore[union-attr]
        else:
            params.update((await request.post()).items())
        decoded = {k: self._decode(method, k, v) for k, v in params.items()}
        for name in files:
            decoded.setdefault(name, f"attach://{name}")
        return decoded, files

    def _decode(self, method: str, name: str, value: Any) -> Any:
        types = self.spec.types(method, name) if self.spec else []
        structured = name in _STRUCTURED or (types and "String" not in types)
        if isinstance(value, str) and structured:
            try:
                return json.loads(value)
            except ValueError:
                return value
        if (
            isinstance(value, str)
            and value.lstrip("-").isdigit()
            and ("Integer" in types or name in _INTEGERS)
        ):
            return int(value)
        return value

    async def _chaotic(self, request: web.Request) -> web.Response | float | None:
        """A random fault before the call is carried out (see tests/fakes/chaos.py), or
        for `timeout_taken` how long to hold the answer of a call carried out all the same."""
        assert self.chaos is not None
        kind = self.chaos.pick()
        if kind == "timeout_taken":
            return self.chaos.stall
        if kind == "429":
            return ApiError(429, "Too Many Requests: retry after 1", retry_after=1).response()
        if kind == "500":
            return ApiError(500, "Internal Server Error").response()
        if kind == "timeout":  # answered only after the client gave up; nothing was done
            await asyncio.sleep(self.chaos.stall)
            return ApiError(502, "Bad Gateway").response()
        if kind == "reset":
            return reset(request)
        return None

    def _taken(self, method: str) -> float | None:
        """The delay of a fault that lets the call through and answers late, if one is next."""
        queue = self.faults.get(method.lower())
        if not queue or not queue[0].taken:
            return None
        fault = queue[0]
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        return fault.delay

    async def _inject(self, method: str) -> None:
        queue = self.faults.get(method.lower())
        if not queue:
            return
        fault = queue[0]
        if fault.skip:
            fault.skip -= 1
            return
        fault.times -= 1
        if fault.times <= 0:
            queue.pop(0)
        if fault.delay:
            await asyncio.sleep(fault.delay)
        if fault.status:
            raise ApiError(fault.status, fault.description, fault.retry_after)

    async def _notify(self, condition: asyncio.Condition) -> None:
        async with condition:
            condition.notify_all()

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.Response(status=401)
        path = request.match_info["path"]
        self.calls.append(Call("download", {"file_path": path}))
        await self._notify(self._new_call)
        data = self.files.get(path.removeprefix("files/"))
        return web.Response(body=data) if data is not None else web.Response(status=404)

    # methods ----------------------------------------------------------------------------
    async def _dispatch(self, method: str, p: dict[str, Any], files: dict[str, bytes]) -> Any:
        name = method.lower()
        if name == "getupdates":
            return await self._get_updates(p)
        if name in _TRUE_METHODS:
            if name == "setwebhook":
                self.webhook = {"url": p["url"], "secret_token": p.get("secret_token")}
            if name == "deletewebhook":
                self.webhook = None
            return True
        handler = _METHODS.get(name)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        return handler(self, p, files)

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(p.get("offset") or 0)
        if offset:
            self.confirmed_offset = max(self.confirmed_offset, offset)
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        await self._notify(self._new_call)
        limit = int(p.get("limit") or 100)
        deadline = time.monotonic() + float(p.get("timeout") or 0)
        async with self._new_update:
            while not self.updates and not self._closing and time.monotonic() < deadline:
                try:
                    await asyncio.wait_for(self._new_update.wait(), deadline - time.monotonic())
                except TimeoutError:
                    break
        return self.updates[:limit]

    def bot_user(self) -> dict[str, Any]:
        return {"id": BOT_ID, "is_bot": True, "first_name": "Omnivox", "username": BOT_USERNAME,
                "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False}  # fmt: skip

    def _message(self, p: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = p["chat_id"]
        numeric = int(chat_id) if str(chat_id).lstrip("-").isdigit() else 0
        chat_type = "private" if numeric > 0 else "supergroup"
        message_id = next(self._message_ids)
        message = {"message_id": message_id, "date": int(time.time()), "from": self.bot_user(),
                   "chat": {"id": numeric, "type": chat_type}, **content}  # fmt: skip
        if "reply_markup" in p:
            message["reply_markup"] = p["reply_markup"]
        return message

    def _visible(self, text: str, parse_mode: str | None, limit: int, what: str) -> str:
        shown = _TelegramHtml.visible(text) if (parse_mode or "").upper() == "HTML" else text
        if not shown.strip():
            raise Violation(400, f"Bad Request: {what} is empty")
        if len(shown.encode("utf-16-le")) // 2 > limit:
            raise Violation(400, f"Bad Request: {what} is too long")
        return shown

    def _caption(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("caption"):
            return {}
        return {
            "caption": self._visible(p["caption"], p.get("parse_mode"), 1024, "message caption")
        }

    def _send_message(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        text = self._visible(str(p["text"]), p.get("parse_mode"), 4096, "message text")
        message = self._message(p, text=text)
        self.messages[(str(p["chat_id"]), message["message_id"])] = text
        self.showing.pop(message["chat"]["id"], None)
        return message

    def _send_message_draft(self, p: dict[str, Any], files: dict[str, bytes]) -> bool:
        """A draft in a private chat; an empty text shows Telegram's "Thinking..." placeholder."""
        chat_id, draft_id = int(p["chat_id"]), int(p["draft_id"])
        if draft_id == 0:
            raise Violation(400, "Bad Request: draft_id must be non-zero")
        if chat_id <= 0:
            raise ApiError(400, "Bad Request: TEXTDRAFT_PEER_INVALID")
        text = str(p.get("text") or "")
        if (p.get("parse_mode") or "").upper() == "HTML":
            text = _TelegramHtml.visible(text)
        if len(text.encode("utf-16-le")) // 2 > 4096:
            raise Violation(400, "Bad Request: message text is too long")
        draft = Draft(chat_id, draft_id, text)
        self.drafts.append(draft)
        self.showing[chat_id] = draft
        return True

    def _edit_message_text(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        key = (str(p.get("chat_id")), int(p.get("message_id") or 0))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to edit not found")
        text = self._visible(str(p["text"]), p.get("parse_mode"), 4096, "message text")
        if self.messages[key] == text and "reply_markup" not in p:
            raise ApiError(
                400,
                "Bad Request: message is not modified: specified new message content and "
                "reply markup are exactly the same as a current content and reply markup "
                "of the message",
            )
        self.messages[key] = text
        return {**self._message(p, text=text), "message_id": key[1]}

    def _send_file(self, kind: str, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        data = files.get(kind) or files.get(str(p.get(kind, "")).removeprefix("attach://"))
        if data is None:
            raise ApiError(400, f"Bad Request: there is no {kind} in the request")
        item: dict[str, Any] = {"file_id": f"sent-{kind}-{len(self.calls)}", "file_unique_id": "u",
                                "file_size": len(data)}  # fmt: skip
        if kind in ("voice", "audio"):
            item["duration"] = int(p.get("duration") or 0)
        return self._message(p, **{kind: item}, **self._caption(p))

    def _get_file(self, p: dict[str, Any], files: dict[str, bytes]) -> dict[str, Any]:
        file_id = str(p["file_id"])
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        size = self.claimed_sizes.get(file_id, len(self.files[file_id]))
        if size > 20 * 1024 * 1024:
            raise ApiError(400, "Bad Request: file is too big")
        return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                "file_path": f"files/{file_id}"}  # fmt: skip


_TRUE_METHODS = {"setwebhook", "deletewebhook", "setmycommands", "sendchataction",
                 "answercallbackquery", "deletemessage", "close", "logout"}  # fmt: skip
_METHODS = {
    "getme": lambda s, p, f: s.bot_user(),
    "getwebhookinfo": lambda s, p, f: {
        "url": (s.webhook or {}).get("url", ""),
        "has_custom_certificate": False,
        "pending_update_count": 0,
    },
    "sendmessage": FakeBotApi._send_message,
    "sendmessagedraft": FakeBotApi._send_message_draft,
    "editmessagetext": FakeBotApi._edit_message_text,
    "sendvoice": lambda s, p, f: s._send_file("voice", p, f),
    "sendaudio": lambda s, p, f: s._send_file("audio", p, f),
    "senddocument": lambda s, p, f: s._send_file("document", p, f),
    "getfile": FakeBotApi._get_file,
}
