"""The Graph client against the fake Graph server: shapes, retries, media limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.whatsapp import outgoing
from adapters.whatsapp.errors import GraphAPIError, Severity
from adapters.whatsapp.graph import GraphClient, RetryPolicy
from bot.errors import MediaTooLarge
from tests.fakes.graph_server import FakeGraph
from tests.support.whatsapp_bodies import USER

FAST = RetryPolicy(attempts=3, initial=0.01, maximum=0.05)


@pytest.fixture
async def client(graph: FakeGraph) -> AsyncIterator[GraphClient]:
    c = GraphClient(
        base_url=graph.base_url,
        version=graph.version,
        token=graph.token,
        phone_number_id=graph.phone_number_id,
        retry=FAST,
    )
    await c.start()
    yield c
    await c.close()


async def test_send_text_returns_the_wamid(client: GraphClient, graph: FakeGraph) -> None:
    wamid = await client.send_message(outgoing.text(USER, "hi", "wamid.IN"))
    [sent] = graph.sent
    assert wamid == sent["_wamid"]
    assert sent["text"] == {"preview_url": False, "body": "hi"}
    assert sent["context"] == {"message_id": "wamid.IN"}
    assert sent["messaging_product"] == "whatsapp" and sent["recipient_type"] == "individual"


async def test_wrong_token_is_an_auth_error(graph: FakeGraph) -> None:
    c = GraphClient(
        base_url=graph.base_url,
        version=graph.version,
        token="stale",
        phone_number_id=graph.phone_number_id,
        retry=FAST,
    )
    await c.start()
    try:
        with pytest.raises(GraphAPIError) as info:
            await c.send_message(outgoing.text(USER, "hi"))
    finally:
        await c.close()
    assert info.value.severity is Severity.AUTH and info.value.error.code == 190
    assert graph.sent == []


@pytest.mark.parametrize("code", [130429, 131056, 80007])
async def test_rate_limits_are_retried(client: GraphClient, graph: FakeGraph, code: int) -> None:
    graph.fail("messages", code, times=2)
    await client.send_message(outgoing.text(USER, "hi"))
    assert graph.calls["messages"] == 3 and len(graph.sent) == 1


async def test_5xx_is_retried_then_raised(client: GraphClient, graph: FakeGraph) -> None:
    graph.fail_http("messages", 500, times=5)
    with pytest.raises(GraphAPIError) as info:
        await client.send_message(outgoing.text(USER, "hi"))
    assert info.value.severity is Severity.TRANSIENT
    assert graph.calls["messages"] == FAST.attempts and graph.sent == []


async def test_re_engagement_is_not_retried(client: GraphClient, graph: FakeGraph) -> None:
    graph.fail("messages", 131047)
    with pytest.raises(GraphAPIError) as info:
        await client.send_message(outgoing.text(USER, "hi"))
    assert info.value.error.code == 131047 and graph.calls["messages"] == 1


async def test_mark_read_with_typing(client: GraphClient, graph: FakeGraph) -> None:
    await client.mark_read("wamid.IN")
    assert graph.reads == [
        {
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": "wamid.IN",
            "typing_indicator": {"type": "text"},
        }
    ]


async def test_upload_then_send_voice(client: GraphClient, graph: FakeGraph) -> None:
    media_id = await client.upload(b"OggS-voice", mime_type="audio/ogg", file_name="reply.ogg")
    assert graph.uploads[media_id].data == b"OggS-voice"
    await client.send_message(outgoing.audio(USER, media_id))
    assert graph.sent[0]["audio"] == {"id": media_id, "voice": True}


async def test_upload_is_retried_with_a_fresh_form(client: GraphClient, graph: FakeGraph) -> None:
    graph.fail_http("upload", 503)
    media_id = await client.upload(b"OggS", mime_type="audio/ogg", file_name="r.ogg")
    assert graph.calls["upload"] == 2 and graph.uploads[media_id].data == b"OggS"


async def test_download_media(client: GraphClient, graph: FakeGraph) -> None:
    graph.add_media("m1", b"\xff\xd8jpeg", "image/jpeg")
    info = await client.media_info("m1")
    assert (info.mime_type, info.file_size) == ("image/jpeg", 6)
    assert await client.download(info.url, max_bytes=100, limit_mb=1) == b"\xff\xd8jpeg"


async def test_download_stops_once_over_the_limit(client: GraphClient, graph: FakeGraph) -> None:
    graph.add_media("big", b"x" * 300_000, "audio/ogg", declared_size=10)
    info = await client.media_info("big")
    with pytest.raises(MediaTooLarge):
        await client.download(info.url, max_bytes=100_000, limit_mb=1)


async def test_unknown_media_id(client: GraphClient, graph: FakeGraph) -> None:
    with pytest.raises(GraphAPIError) as info:
        await client.media_info("nope")
    assert info.value.severity is Severity.PERMANENT


async def test_download_404(client: GraphClient, graph: FakeGraph) -> None:
    graph.add_media("m1", b"x", "image/jpeg")
    graph.fail_http("media_download", 404)
    info = await client.media_info("m1")
    with pytest.raises(GraphAPIError) as exc:
        await client.download(info.url, max_bytes=100, limit_mb=1)
    assert exc.value.error.status == 404


async def test_unreachable_server_is_transient() -> None:
    c = GraphClient(
        base_url="http://127.0.0.1:9",
        version="v23.0",
        token="t",
        phone_number_id="1",
        retry=RetryPolicy(attempts=2, initial=0.01, maximum=0.01),
    )
    await c.start()
    try:
        with pytest.raises(GraphAPIError) as info:
            await c.send_message(outgoing.text(USER, "hi"))
    finally:
        await c.close()
    assert info.value.severity is Severity.TRANSIENT


async def test_fake_server_rejects_bad_shapes(graph: FakeGraph, client: GraphClient) -> None:
    with pytest.raises(GraphAPIError):
        await client.send_message({"to": USER, "type": "text", "text": {"body": "x" * 5000}})
    with pytest.raises(GraphAPIError):
        await client.send_message(outgoing.audio(USER, "never-uploaded"))
    assert len(graph.violations) == 2
    graph.violations.clear()


async def test_a_send_with_no_clear_answer_is_not_sent_again_in_the_call(
    graph: FakeGraph,
) -> None:
    """Meta took it but the answer never came: a second POST would deliver it twice."""
    c = GraphClient(base_url=graph.base_url, version=graph.version, token=graph.token,
                    phone_number_id=graph.phone_number_id, retry=FAST, timeout=0.3)  # fmt: skip
    await c.start()
    graph.stall_sends(1.0, take=True)
    try:
        with pytest.raises(GraphAPIError) as failure:
            await c.send_message(outgoing.text(USER, "once"))
    finally:
        await c.close()
    assert failure.value.error.unclear
    assert graph.calls["messages"] == 1 and len(graph.sent) == 1


async def test_a_send_refused_before_it_went_is_tried_again(graph: FakeGraph) -> None:
    graph.fail_http("messages", 503)
    c = GraphClient(base_url=graph.base_url, version=graph.version, token=graph.token,
                    phone_number_id=graph.phone_number_id, retry=FAST)  # fmt: skip
    await c.start()
    try:
        await c.send_message(outgoing.text(USER, "again"))
    finally:
        await c.close()
    assert graph.calls["messages"] == 2 and len(graph.sent) == 1
