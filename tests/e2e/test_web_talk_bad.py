"""Bad signaling gets a one-line error and opens nothing; one call over the bound is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.test_web_talk import CHAT, Client, running
from tests.fakes.engines import fake_engines
from tests.support.talk_peer import TalkPeer


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[Client]:
    async for found in running(tmp_path, fake_engines(), max_calls=1):
        yield found


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ('{"type": "offer", "sdp": "hello, I am not SDP"}', "no m=audio line"),
        ('{"type": "offer", "sdp": "v=0\\r\\nm=audio 9 UDP/TLS/RTP/SAVPF 111\\r\\n"}', "refused"),
        ('{"type": "answer", "sdp": ""}', '"type": "offer"'),
        ("not json", "must be JSON"),
        ('["offer"]', '"type": "offer"'),
    ],
)
async def test_a_bad_offer_is_a_400_with_one_line(client: Client, body: str, says: str) -> None:
    session, base, app = client
    async with session.post(f"{base}/api/chats/{CHAT}/talk", data=body) as response:
        assert response.status == 400
        error = (await response.json())["error"]
    assert says in error and "\n" not in error
    assert app.talk.active == 0


async def test_a_bad_chat_id_and_an_unknown_call(client: Client) -> None:
    session, base, _ = client
    async with session.post(f"{base}/api/chats/no%20spaces/talk", json={}) as response:
        assert response.status == 400
    async with session.delete(f"{base}/api/talk/nosuchcall") as response:
        assert response.status == 404
        assert "No such call" in (await response.json())["error"]


async def test_one_call_over_the_bound_is_refused_politely(client: Client) -> None:
    session, base, app = client
    first, second = TalkPeer(), TalkPeer()
    try:
        async with session.post(f"{base}/api/chats/{CHAT}/talk",
                                json={"type": "offer", "sdp": await first.offer()}) as response:
            assert response.status == 200
        async with session.post(f"{base}/api/chats/{CHAT}-2/talk",
                                json={"type": "offer", "sdp": await second.offer()}) as response:
            assert response.status == 503
            assert "as many calls as I can take" in (await response.json())["error"]
        assert app.talk.active == 1
    finally:
        await first.close()
        await second.close()
