"""A Graph API server on 127.0.0.1 that speaks the Cloud API calls omnivox makes.

It checks the bearer token on every call and the shape of every request,
serves media by id, records what was sent (uploaded bytes too), and injects
Meta-style error bodies or bare 500s for the next N calls of a kind, or a send that
hangs past the client's timeout, taken (the message goes to the user all the same)
or not. A request
of the wrong shape is answered like Meta does (400, code 100) and noted in
`violations`, which tests assert stays empty.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.fakes.chaos import Chaos, reset

KINDS = ("messages", "read", "upload", "media_info", "media_download", "calls")
SEND_TYPES = ("text", "audio", "document", "image", "interactive", "template")

# code → (HTTP status, message, extra error fields); messages as Meta words them.
ERRORS: dict[int, tuple[int, str, dict[str, Any]]] = {
    100: (400, "(#100) Invalid parameter", {}),
    190: (
        401,
        "Error validating access token: Session has expired.",
        {"error_subcode": 463},
    ),
    80007: (400, "(#80007) Rate limit issues", {}),
    130429: (400, "(#130429) Rate limit hit", {}),
    131047: (
        400,
        "(#131047) Re-engagement message",
        {
            "details": "Message failed to send because more than 24 hours have passed "
            "since the customer last replied to this number."
        },
    ),
    131053: (400, "(#131053) Media upload error", {"details": "Media upload error"}),
    131056: (
        400,
        "(#131056) (Business Account, Consumer Account) pair rate limit hit",
        {"details": "Too many messages sent from this phone number to the same number."},
    ),
}


@dataclass
class Upload:
    media_id: str
    data: bytes
    mime_type: str
    file_name: str


@dataclass
class Fault:
    status: int
    code: int | None  # None: a bare 500 with no Graph body
    stall: float = 0.0  # seconds the answer is held back (the client times out first)
    take: bool = False  # a stalled send is recorded as sent all the same


@dataclass
class FakeGraph:
    token: str = "test-graph-token"
    phone_number_id: str = "109876543210"
    version: str = "v23.0"
    sent: list[dict[str, Any]] = field(default_factory=list)
    reads: list[dict[str, Any]] = field(default_factory=list)
    uploads: dict[str, Upload] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)  # every send, failed or not
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    media: dict[str, tuple[bytes, str, int | None]] = field(default_factory=dict)
    call_actions: list[dict[str, Any]] = field(default_factory=list)  # POST /calls bodies

    def __post_init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        self.chaos: Chaos | None = None  # random faults on a share of sends

    # test controls

    def add_media(
        self, media_id: str, data: bytes, mime_type: str, *, declared_size: int | None = None
    ) -> None:
        """Serve `data` for `media_id`; `declared_size` overrides the advertised file_size."""
        self.media[media_id] = (data, mime_type, declared_size)

    def fail(self, kind: str, code: int, *, times: int = 1) -> None:
        """The next `times` calls of `kind` get Meta's error body for `code`."""
        assert kind in KINDS, kind
        status = ERRORS[code][0]
        self._faults[kind].extend(Fault(status, code) for _ in range(times))

    def fail_http(
        self, kind: str, status: int = 500, *, times: int = 1, after: int = 0
    ) -> None:
        """The next `times` calls of `kind` get a bare `status`, after `after` pass."""
        assert kind in KINDS, kind
        self._faults[kind].extend(Fault(0, None) for _ in range(after))
        self._faults[kind].extend(Fault(status, None) for _ in range(times))

    def stall_sends(self, seconds: float, *, take: bool, times: int = 1) -> None:
        """The next `times` sends get no answer for `seconds`; with `take`, the message
        is sent to the user all the same (Meta took it, the answer was lost)."""
        self._faults["messages"].extend(
            Fault(200, None, stall=seconds, take=take) for _ in range(times)
        )

    def texts_to(self, to: str) -> list[str]:
        return [m["text"]["body"] for m in self.sent if m["to"] == to and m["type"] == "text"]

    async def wait_for(self, predicate: Callable[[FakeGraph], bool], within: float = 15) -> None:
        async with asyncio.timeout(within):
            while not predicate(self):
                await asyncio.sleep(0.01)

    async def wait_sent(self, count: int, within: float = 15) -> list[dict[str, Any]]:
        await self.wait_for(lambda g: len(g.sent) >= count, within)
        return self.sent

    # server

    async def start(self, port: int = 0) -> str:
        app = web.Application(middlewares=[self._auth])
        api = f"/{self.version}"
        app.router.add_post(f"{api}/{{phone}}/messages", self._messages)
        app.router.add_post(f"{api}/{{phone}}/media", self._upload)
        app.router.add_post(f"{api}/{{phone}}/calls", self._calls)
        app.router.add_get(f"{api}/{{media_id}}", self._media_info)
        app.router.add_get("/whatsapp_business/attachments/", self._media_bytes)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sockets = site._server.sockets  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
        return self.base_url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, 190, "Invalid OAuth access token - Cannot parse access token")
        return await handler(request)

    def _fault(self, kind: str) -> web.Response | None:
        self.calls[kind] += 1
        if not self._faults[kind]:
            return None
        fault = self._faults[kind].popleft()
        if fault.status == 0:  # a call let through
            return None
        if fault.code is None:
            return web.Response(status=fault.status, text="Internal Server Error")
        status, message, extra = ERRORS[fault.code]
        return _error(status, fault.code, message, **extra)

    def _stalled(self) -> Fault | None:
        waiting = self._faults["messages"]
        if waiting and waiting[0].stall:
            self.calls["messages"] += 1
            return waiting.popleft()
        return None

    def _bad(self, problem: str) -> web.Response:
        self.violations.append(problem)
        return _error(400, 100, f"(#100) Invalid parameter: {problem}")

    async def _messages(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except ValueError:
            return self._bad("messages: body is not JSON")
        if request.match_info["phone"] != self.phone_number_id:
            return self._bad(f"unknown phone number id {request.match_info['phone']}")
        if body.get("messaging_product") != "whatsapp":
            return self._bad("messaging_product must be 'whatsapp'")
        if body.get("status") == "read":
            return await self._read(body)
        problem = check_send(body, self.uploads)
        if problem:
            return self._bad(problem)
        self.attempts.append(body)
        if self.chaos is not None and (drawn := await self._chaotic(request, body)) is not None:
            return drawn
        stalled = self._stalled()
        if stalled is not None:
            if stalled.take:
                self.sent.append({**body, "_wamid": f"wamid.FAKE{next(self._ids):06d}"})
            await asyncio.sleep(stalled.stall)
            return web.Response(status=504, text="Gateway Timeout")
        if (fault := self._fault("messages")) is not None:
            return fault
        wamid = f"wamid.FAKE{next(self._ids):06d}"
        self.sent.append({**body, "_wamid": wamid})
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "contacts": [{"input": body["to"], "wa_id": body["to"]}],
                "messages": [{"id": wamid}],
            }
        )

    def actions(self, call_id: str) -> list[str]:
        return [a["action"] for a in self.call_actions if a["call_id"] == call_id]

    async def _calls(self, request: web.Request) -> web.Response:
        """The Calling API's call actions, checked as Meta documents them."""
        try:
            body = await request.json()
        except ValueError:
            return self._bad("calls: body is not JSON")
        if request.match_info["phone"] != self.phone_number_id:
            return self._bad(f"unknown phone number id {request.match_info['phone']}")
        problem = check_call_action(body)
        if problem:
            return self._bad(problem)
        if (fault := self._fault("calls")) is not None:
            return fault
        self.call_actions.append(body)
        return web.json_response({"messaging_product": "whatsapp", "success": True})

    async def _chaotic(self, request: web.Request, body: dict[str, Any]) -> web.Response | None:
        """A random fault on a send (see tests/fakes/chaos.py); `timeout_taken` delivers
        the message all the same, as when Meta took it and the answer was lost."""
        assert self.chaos is not None
        kind = self.chaos.pick()
        self.calls["messages"] += kind is not None
        if kind == "130429":
            status, message, extra = ERRORS[130429]
            return _error(status, 130429, message, **extra)
        if kind == "500":
            return web.Response(status=500, text="Internal Server Error")
        if kind in ("timeout", "timeout_taken"):
            if kind == "timeout_taken":
                self.sent.append({**body, "_wamid": f"wamid.FAKE{next(self._ids):06d}"})
            await asyncio.sleep(self.chaos.stall)
            return web.Response(status=504, text="Gateway Timeout")
        if kind == "reset":
            return reset(request)
        return None

    async def _read(self, body: dict[str, Any]) -> web.Response:
        if not isinstance(body.get("message_id"), str) or not body["message_id"]:
            return self._bad("read: message_id missing")
        extra = set(body) - {"messaging_product", "status", "message_id", "typing_indicator"}
        if extra:
            return self._bad(f"read: unexpected fields {sorted(extra)}")
        if "typing_indicator" in body and body["typing_indicator"] != {"type": "text"}:
            return self._bad("read: typing_indicator must be {'type': 'text'}")
        if (fault := self._fault("read")) is not None:
            return fault
        self.reads.append(body)
        return web.json_response({"success": True})

    async def _upload(self, request: web.Request) -> web.Response:
        if not request.content_type.startswith("multipart/form-data"):
            return self._bad("upload: not multipart/form-data")
        fields: dict[str, Any] = {}
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                return self._bad("upload: nested multipart")
            data = await part.read()
            fields[part.name or ""] = (data, part.filename, part.headers.get("Content-Type"))
        problem = check_upload(fields)
        if problem:
            return self._bad(problem)
        if (fault := self._fault("upload")) is not None:
            return fault
        data, file_name, mime = fields["file"]
        media_id = f"{next(self._ids) + 900_000_000_000}"
        self.uploads[media_id] = Upload(media_id, bytes(data), mime, file_name)
        return web.json_response({"id": media_id})

    async def _media_info(self, request: web.Request) -> web.Response:
        media_id = request.match_info["media_id"]
        if (fault := self._fault("media_info")) is not None:
            return fault
        if media_id not in self.media:
            return _error(400, 100, "(#100) Invalid parameter", details="Unknown media id")
        data, mime, declared = self.media[media_id]
        return web.json_response(
            {
                "messaging_product": "whatsapp",
                "url": f"{self.base_url}/whatsapp_business/attachments/?mid={media_id}",
                "mime_type": mime,
                "sha256": "0" * 64,
                "file_size": declared if declared is not None else len(data),
                "id": media_id,
            }
        )

    async def _media_bytes(self, request: web.Request) -> web.StreamResponse:
        if (fault := self._fault("media_download")) is not None:
            return fault
        media = self.media.get(request.query.get("mid", ""))
        if media is None:
            return web.Response(status=404, text="Not Found")
        data, mime, _ = media
        return web.Response(body=data, content_type=mime)


def _error(status: int, code: int, message: str, **extra: Any) -> web.Response:
    """Meta's error envelope."""
    details = extra.pop("details", None)
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code}
    error.update(extra)
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    error["fbtrace_id"] = "AFakeTraceId0123456789"
    return web.json_response({"error": error}, status=status)


def check_send(body: dict[str, Any], uploads: dict[str, Upload]) -> str | None:
    """What is wrong with a send-message body, per Meta's documented limits."""
    to, kind = body.get("to"), body.get("type")
    if not isinstance(to, str) or not to.lstrip("+").isdigit():
        return f"'to' must be a phone number, got {to!r}"
    if kind not in SEND_TYPES:
        return f"unsupported type {kind!r}"
    obj = body.get(kind)
    if not isinstance(obj, dict):
        return f"missing the {kind!r} object"
    context = body.get("context")
    if context is not None and (not isinstance(context, dict) or "message_id" not in context):
        return "context must be {'message_id': ...}"
    tag = body.get("biz_opaque_callback_data")
    if tag is not None and (not isinstance(tag, str) or len(tag) > 512):
        return "biz_opaque_callback_data must be a string of at most 512 characters"
    checks: dict[str, Callable[[dict[str, Any]], str | None]] = {
        "template": _check_template,
        "text": _check_text,
        "interactive": _check_interactive,
        "audio": lambda o: _check_media(o, uploads, "audio"),
        "document": lambda o: _check_media(o, uploads, "document"),
        "image": lambda o: _check_media(o, uploads, "image"),
    }
    return checks[kind](obj)


def _check_template(obj: dict[str, Any]) -> str | None:
    language = obj.get("language")
    if not isinstance(obj.get("name"), str) or not obj["name"]:
        return "template.name is required"
    if not isinstance(language, dict) or not isinstance(language.get("code"), str):
        return "template.language.code is required"
    return None


def _check_text(obj: dict[str, Any]) -> str | None:
    text = obj.get("body")
    if not isinstance(text, str) or not text.strip():
        return "text.body must be a non-empty string"
    if len(text) > 4096:
        return f"text.body is {len(text)} characters (limit 4096)"
    if "preview_url" in obj and not isinstance(obj["preview_url"], bool):
        return "text.preview_url must be a boolean"
    return None


def _check_media(obj: dict[str, Any], uploads: dict[str, Upload], kind: str) -> str | None:
    media_id = obj.get("id")
    if media_id not in uploads:
        return f"{kind}.id {media_id!r} was never uploaded"
    if kind == "audio":
        if "voice" in obj and not isinstance(obj["voice"], bool):
            return "audio.voice must be a boolean"
        if obj.get("voice") and uploads[media_id].mime_type != "audio/ogg":
            return "a voice message must be an audio/ogg upload"
    return None


def _check_interactive(obj: dict[str, Any]) -> str | None:
    body = obj.get("body")
    if not isinstance(body, dict) or not isinstance(body.get("text"), str) or not body["text"]:
        return "interactive.body.text is required"
    if len(body["text"]) > 1024:
        return "interactive.body.text is over 1024 characters"
    action = obj.get("action")
    if not isinstance(action, dict):
        return "interactive.action is required"
    if obj.get("type") == "button":
        return _check_buttons(action.get("buttons"))
    if obj.get("type") == "list":
        return _check_list(action)
    return f"interactive.type {obj.get('type')!r} is not button or list"


def _check_buttons(buttons: Any) -> str | None:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= 3:
        return "interactive buttons: 1 to 3 required"
    titles, ids = set(), set()
    for button in buttons:
        reply = button.get("reply") if button.get("type") == "reply" else None
        if not isinstance(reply, dict):
            return "each button must be {'type': 'reply', 'reply': {...}}"
        title, ident = reply.get("title", ""), reply.get("id", "")
        if not 1 <= len(title) <= 20 or not 1 <= len(ident) <= 256:
            return f"button title 1-20 and id 1-256 characters: {reply}"
        titles.add(title)
        ids.add(ident)
    if len(titles) != len(buttons) or len(ids) != len(buttons):
        return "button titles and ids must be unique"
    return None


def _check_list(action: dict[str, Any]) -> str | None:
    label, sections = action.get("button", ""), action.get("sections")
    if not isinstance(label, str) or not 1 <= len(label) <= 20:
        return "list action.button must be 1-20 characters"
    if not isinstance(sections, list) or not 1 <= len(sections) <= 10:
        return "list needs 1 to 10 sections"
    rows = [row for section in sections for row in section.get("rows", [])]
    if not 1 <= len(rows) <= 10:
        return f"list needs 1 to 10 rows, got {len(rows)}"
    for row in rows:
        if not 1 <= len(row.get("title", "")) <= 24 or not 1 <= len(row.get("id", "")) <= 200:
            return f"row title 1-24 and id 1-200 characters: {row}"
        if len(row.get("description", "")) > 72:
            return "row description over 72 characters"
    return None


CALL_ACTIONS = frozenset({"pre_accept", "accept", "reject", "terminate"})


def check_call_action(body: Any) -> str | None:
    if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
        return "calls: messaging_product must be 'whatsapp'"
    if not isinstance(body.get("call_id"), str) or not body["call_id"]:
        return "calls: call_id missing"
    action = body.get("action")
    if action not in CALL_ACTIONS:
        return f"calls: unknown action {action!r}"
    session = body.get("session")
    if action in ("pre_accept", "accept"):
        if not isinstance(session, dict) or session.get("sdp_type") != "answer":
            return f"calls: {action} needs session.sdp_type 'answer'"
        if not isinstance(session.get("sdp"), str) or "m=audio" not in session["sdp"]:
            return f"calls: {action} needs an SDP answer with audio"
    elif session is not None:
        return f"calls: {action} takes no session"
    return None


def check_upload(fields: dict[str, Any]) -> str | None:
    if fields.get("messaging_product", (b"",))[0] != b"whatsapp":
        return "upload: messaging_product must be 'whatsapp'"
    if "file" not in fields:
        return "upload: file part missing"
    data, file_name, mime = fields["file"]
    declared = fields.get("type", (b"",))[0].decode()
    if not data or not file_name or not mime:
        return "upload: file needs bytes, a filename and a Content-Type"
    if declared != mime:
        return f"upload: type {declared!r} differs from the file's Content-Type {mime!r}"
    if mime.startswith("audio/") and mime not in (
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "audio/aac",
        "audio/amr",
    ):
        return f"upload: audio type {mime!r} is not accepted"
    if mime.startswith("audio/") and len(data) > 16 * 1024 * 1024:
        return "upload: audio over 16 MB"
    return None
