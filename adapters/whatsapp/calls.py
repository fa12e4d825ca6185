"""WhatsApp calls (the Cloud API's Calling): a user calls the business number and talks.

The webhook's `calls` field brings `connect` (with the caller's SDP offer) and
`terminate`. A connect is answered through `POST /{phone-number-id}/calls`: `pre_accept`
then `accept`, each with our SDP answer, and the call is greeted with the first-contact
notice; a caller who is not allowed, over the rate limit or one call too many, or whose
offer cannot be used, gets `reject`. Either side may end the call: Meta's `terminate` ends
ours, and a call we end (the caller's audio stopped) is ended at Meta with `terminate`.
A redelivered event is handled once.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from adapters.rtc import BadOffer, RtcCalls
from adapters.whatsapp.errors import GraphAPIError
from bot.models import Platform
from bot.ports.talk import Caller, TalkRefused

log = logging.getLogger(__name__)

GREETING = ("Hello! You are talking to an AI assistant. This call is transcribed, and the "
            "transcript is stored on this server.")  # fmt: skip
_REMEMBERED = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent:
    """One entry of a `calls` change."""

    call_id: str
    event: str  # "connect" | "terminate"
    caller: str  # the user's WhatsApp id
    name: str | None = None
    sdp: str | None = None  # the caller's offer, on connect
    status: str | None = None  # on terminate: COMPLETED, FAILED, REJECTED


def parse_calls(body: Any) -> list[CallEvent]:
    """Every call event of a webhook body (one already known to be a WhatsApp webhook)."""
    found: list[CallEvent] = []
    for entry in _dicts(body.get("entry") if isinstance(body, dict) else None):
        for change in _dicts(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "calls" or not isinstance(value, dict):
                continue
            names = {c["wa_id"]: _profile_name(c) for c in _dicts(value.get("contacts"))
                     if isinstance(c.get("wa_id"), str)}  # fmt: skip
            for raw in _dicts(value.get("calls")):
                event = _event(raw, names)
                if event is not None:
                    found.append(event)
    return found


def _event(raw: Mapping[str, Any], names: Mapping[Any, Any]) -> CallEvent | None:
    call_id, event, caller = raw.get("id"), raw.get("event"), raw.get("from")
    if not (isinstance(call_id, str) and call_id and isinstance(event, str)):
        return None
    if not isinstance(caller, str) or not caller:
        return None
    session = raw.get("session")
    sdp = None
    if isinstance(session, dict) and session.get("sdp_type", "offer") == "offer":
        sdp = session.get("sdp")
    name = names.get(caller)
    return CallEvent(call_id=call_id, event=event, caller=caller,
                     name=name if isinstance(name, str) else None,
                     sdp=sdp if isinstance(sdp, str) else None,
                     status=raw.get("status") if isinstance(raw.get("status"), str) else None)


def _profile_name(contact: Mapping[str, Any]) -> str | None:
    profile = contact.get("profile")
    name = profile.get("name") if isinstance(profile, dict) else None
    return name if isinstance(name, str) else None


def _dicts(items: Any) -> list[Mapping[str, Any]]:
    return [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []


class CallActions(Protocol):
    async def call_action(self, call_id: str, action: str, *, sdp: str | None = None) -> None: ...


class CallDesk:
    """Answers WhatsApp calls with talk sessions; one event is handled once."""

    def __init__(self, graph: CallActions, rtc: RtcCalls, *, greet: bool) -> None:
        self._graph = graph
        self._rtc = rtc
        self._greet = greet
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self._live: dict[str, str] = {}  # call id → talk id
        self._tasks: set[asyncio.Task[None]] = set()

    def handle(self, events: list[CallEvent]) -> None:
        """Take the webhook's call events; the work goes on after the webhook is answered."""
        for event in events:
            key = (event.call_id, event.event)
            if key in self._seen:
                continue
            self._seen[key] = None
            while len(self._seen) > _REMEMBERED:
                self._seen.popitem(last=False)
            task = asyncio.create_task(self._handle(event), name=f"whatsapp-call-{event.event}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, event: CallEvent) -> None:
        try:
            if event.event == "connect" and event.sdp:
                await self._connect(event)
            elif event.event == "terminate":
                talk_id = self._live.pop(event.call_id, None)
                if talk_id is not None:
                    await self._rtc.hang_up(talk_id, f"the caller ended the call ({event.status})")
        except Exception:
            log.exception("WhatsApp call %s: %s failed", event.call_id, event.event)

    async def _connect(self, event: CallEvent) -> None:
        caller = Caller(Platform.WHATSAPP, event.caller, event.caller, event.name)

        async def ended(reason: str) -> None:
            if self._live.pop(event.call_id, None) is not None:  # we end it: tell Meta
                await self._graph.call_action(event.call_id, "terminate")

        assert event.sdp is not None
        try:
            talk_id, answer = await self._rtc.answer(
                event.sdp, caller, greeting=GREETING if self._greet else None, on_end=ended
            )
        except (TalkRefused, BadOffer) as refused:
            log.info("WhatsApp call %s rejected: %s", event.call_id,
                     getattr(refused, "reason", refused))  # fmt: skip
            await self._graph.call_action(event.call_id, "reject")
            return
        self._live[event.call_id] = talk_id
        try:
            await self._graph.call_action(event.call_id, "pre_accept", sdp=answer)
            await self._graph.call_action(event.call_id, "accept", sdp=answer)
        except GraphAPIError as failure:
            log.warning("WhatsApp call %s could not be accepted: %s", event.call_id, failure)
            self._live.pop(event.call_id, None)
            await self._rtc.hang_up(talk_id, "Meta refused the answer")

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
