"""The web chat's Talk button: WebRTC signaling in the stable JSON API.

`POST /api/chats/{chat_id}/talk` with `{"type": "offer", "sdp": ...}` answers
`{"type": "answer", "sdp": ..., "talk_id": ...}`; `DELETE /api/talk/{talk_id}` hangs up.
The page's `events` data channel carries the session's state and transcripts as JSON.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from aiohttp import web

from adapters.rtc import BadOffer, RtcCalls
from adapters.web.adapter import CHAT_ID, CHAT_ID_RULE
from bot.models import Platform
from bot.ports.talk import Caller, TalkRefused

MAX_OFFER_BYTES = 64 * 1024


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


class WebTalk:
    def __init__(self, calls: RtcCalls) -> None:
        self.calls = calls

    def routes(self) -> Sequence[web.AbstractRouteDef]:
        return [
            web.post("/api/chats/{chat_id}/talk", self.start),
            web.delete("/api/talk/{talk_id}", self.hang_up),
        ]

    async def start(self, request: web.Request) -> web.Response:
        chat_id = request.match_info["chat_id"]
        if not CHAT_ID.match(chat_id):
            return _error(400, CHAT_ID_RULE)
        if (request.content_length or 0) > MAX_OFFER_BYTES:
            return _error(413, f"An offer may be at most {MAX_OFFER_BYTES // 1024} KB.")
        try:
            body = json.loads(await request.text())
        except (ValueError, UnicodeDecodeError):
            return _error(400, 'The body must be JSON: {"type": "offer", "sdp": "..."}.')
        if not isinstance(body, dict) or body.get("type") != "offer":
            return _error(400, 'The body must be {"type": "offer", "sdp": "..."}.')
        caller = Caller(Platform.WEB, chat_id, chat_id)
        try:
            talk_id, sdp = await self.calls.answer(str(body.get("sdp") or ""), caller)
        except BadOffer as bad:
            return _error(400, str(bad))
        except TalkRefused as refused:
            return _error(503 if refused.busy else 403, refused.reason)
        return web.json_response({"type": "answer", "sdp": sdp, "talk_id": talk_id})

    async def hang_up(self, request: web.Request) -> web.Response:
        if not await self.calls.hang_up(request.match_info["talk_id"]):
            return _error(404, "No such call (it may have ended already).")
        return web.json_response({"ended": True})
