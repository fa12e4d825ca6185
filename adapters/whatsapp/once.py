"""Each part of a reply sent once: skipped when on record, tagged, recorded when Meta answers.

Each part is on record as unclear before its request goes out, so that a process killed
after Meta took it, before the answer was recorded, does not send it again after a
restart. A send whose request went out but got no answer (a timeout, a reset) may or may not
have reached the user. It is not sent again at once: the part is recorded as unclear and
the delivery is retried after `unclear_wait`. Meta's status report for the message
carries the tag we sent with it (`biz_opaque_callback_data`); when it comes, the part is
known sent and the reply goes on without it. Only when no report came within the wait
is the part sent again.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from adapters.whatsapp.errors import GraphAPIError
from adapters.whatsapp.graph import GraphClient
from bot.errors import DeliveryError
from bot.ports.channels import PartLog

log = logging.getLogger(__name__)

# How long a status report is awaited after an unclear send before the part is taken as
# not sent (Meta reports within seconds; the request itself already took 30 s).
UNCLEAR_WAIT = 60.0


class OnceSender:
    def __init__(self, graph: GraphClient, unclear_wait: float = UNCLEAR_WAIT) -> None:
        self._graph = graph
        self._unclear_wait = unclear_wait

    async def post(self, payload: dict[str, object], parts: PartLog, index: int) -> str:
        """The part's wamid. Graph's refusals are raised as they came (GraphAPIError);
        an unclear outcome raises a DeliveryError that retries after the wait."""
        if (sent := parts.sent(index)) is not None:
            return sent
        await self.settled_or_due(parts, index)
        # On record as unclear before it goes: if this process dies after Meta took the
        # part and before its answer is recorded, the restarted one waits for Meta's
        # report (it carries the tag) instead of sending the part again.
        if (settled := await parts.unclear(index)) is not None:
            return settled
        try:
            wamid = await self._graph.send_message(
                {**payload, "biz_opaque_callback_data": parts.tag(index)}
            )
        except GraphAPIError as exc:
            if exc.error.unclear:
                return await self._unclear(parts, index, exc)
            await parts.not_sent(index)
            raise
        await parts.record(index, wamid)
        return wamid

    async def settled_or_due(self, parts: PartLog, index: int) -> None:
        """A part whose send was unclear waits for its report, up to `unclear_wait`."""
        since = parts.unclear_since(index)
        if since is None:
            return
        left = self._unclear_wait - (datetime.now(UTC) - since).total_seconds()
        if left > 0:
            raise DeliveryError("waiting for WhatsApp's report on an unclear send",
                                retry_after=left)  # fmt: skip
        log.info("no report came for a send that got no answer; sending that part again")

    async def _unclear(self, parts: PartLog, index: int, exc: GraphAPIError) -> str:
        settled = await parts.unclear(index)
        if settled is not None:  # its report came while we waited for the answer
            return settled
        raise DeliveryError(
            f"no clear answer from WhatsApp ({exc}); waiting for its report before "
            "sending again", retry_after=self._unclear_wait,
        ) from exc
