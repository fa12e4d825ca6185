"""The web chat's JSON API over real HTTP, including every bad-input case."""

from __future__ import annotations

import asyncio
import struct
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from adapters.web.adapter import CHAT_ID_RULE
from bot.app import Omnivox, serving
from bot.models import Platform
from tests.fakes.engines import fake_engines
from tests.support.forms import multipart
from tests.support.media import png, tone_ogg
from tests.support.ports import free_port
from tests.support.settings import make_settings

Client = tuple[aiohttp.ClientSession, str, Omnivox]


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Client]:
    port = free_port()
    settings = make_settings(
        host="127.0.0.1", port=port, database_url=f"sqlite+aiosqlite:///{tmp_path}/w.db",
        data_dir=str(tmp_path), warm_engines=False, max_media_mb=1,
    )
    async with serving(settings, fake_engines()) as app, aiohttp.ClientSession() as session:
        yield session, f"http://127.0.0.1:{port}", app



def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A few hundred bytes that claim 3.6 billion pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data) & 0xFFFFFFFF
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(
        b"IEND", b""
    )


async def post(client: Client, chat: str = "c1", **fields: Any) -> tuple[int, dict[str, Any]]:
    session, base, _ = client
    form = aiohttp.FormData()
    for name, value in fields.items():
        if isinstance(value, tuple):
            filename, data, mime = value
            form.add_field(name, data, filename=filename, content_type=mime)
        else:
            form.add_field(name, value)
    async with session.post(f"{base}/api/chats/{chat}/messages", data=form) as response:
        return response.status, await response.json()


async def messages(client: Client, chat: str = "c1", after: int = 0) -> list[dict[str, Any]]:
    session, base, _ = client
    async with session.get(f"{base}/api/chats/{chat}/messages?after={after}") as response:
        assert response.status == 200
        return list(await response.json())


async def settled(client: Client, chat: str = "c1") -> list[dict[str, Any]]:
    await client[2].dispatcher.idle()
    return await messages(client, chat)


async def test_text_gets_a_stored_reply(web: Client) -> None:
    status, body = await post(web, text="hello there")
    assert status == 202 and isinstance(body["message_id"], int)
    listed = await settled(web)
    assert [(m["direction"], m["state"]) for m in listed] == [("in", "delivered"),
                                                              ("out", "delivered")]
    assert listed[1]["text"].strip() == "You said: hello there"
    assert listed[1]["answer_to"] == body["message_id"]


async def test_voice_gets_transcript_and_voice_reply(web: Client) -> None:
    status, _ = await post(web, voice=("note.ogg", tone_ogg(), "audio/ogg"))
    assert status == 202
    incoming, reply = await settled(web)
    assert incoming["kind"] == "voice"
    assert incoming["transcript"] == "what is the weather like today"
    assert reply["voice_url"]
    session, base, _ = web
    async with session.get(base + reply["voice_url"]) as response:
        assert response.status == 200
        assert response.content_type == "audio/ogg"
        assert (await response.read())[:4] == b"OggS"


async def test_photo_with_caption_gets_an_answer_about_it(web: Client) -> None:
    status, _ = await post(web, image=("p.png", png(), "image/png"), text="what is this?")
    assert status == 202
    incoming, reply = await settled(web)
    assert incoming["kind"] == "photo" and "cup" in incoming["caption"]
    assert "what is this?" in reply["text"]
    assert "can't caption photos" in reply["text"] and "cup (80%)" in reply["text"]


async def test_client_message_id_makes_a_retry_a_noop(web: Client) -> None:
    first = await post(web, text="once", client_message_id="abc-1")
    second = await post(web, text="once", client_message_id="abc-1")
    assert first[1]["message_id"] == second[1]["message_id"] and second[1]["duplicate"]
    assert len(await settled(web)) == 2


async def test_after_returns_only_newer_messages(web: Client) -> None:
    await post(web, text="one")
    first = await settled(web)
    await post(web, text="two")
    await web[2].dispatcher.idle()
    newer = await messages(web, after=first[-1]["id"])
    assert [m["text"].strip() for m in newer] == ["two", "You said: two"]


async def test_history_survives_a_restart(tmp_path: Path) -> None:
    port = free_port()
    settings = make_settings(host="127.0.0.1", port=port, warm_engines=False,
                        database_url=f"sqlite+aiosqlite:///{tmp_path}/r.db",
                        data_dir=str(tmp_path))
    for round_ in range(2):
        async with serving(settings, fake_engines()) as app, aiohttp.ClientSession() as s:
            client = (s, f"http://127.0.0.1:{port}", app)
            if round_ == 0:
                await post(client, text="remember me")
            listed = await settled(client)
    assert [m["text"].strip() for m in listed] == ["remember me", "You said: remember me"]


async def test_healthz(web: Client) -> None:
    session, base, _ = web
    async with session.get(f"{base}/healthz") as response:
        assert response.status == 200
        assert (await response.json())["status"] == "ok"


# bad input: a clear one-line answer, nothing stored, the server keeps serving


async def assert_still_serving(web: Client) -> None:
    status, _ = await post(web, chat="after-bad-input", text="still there?")
    assert status == 202


async def test_empty_text_is_refused(web: Client) -> None:
    status, body = await post(web, text="   ")
    assert status == 400 and "empty" in body["error"]
    assert await messages(web) == []
    await assert_still_serving(web)


async def test_huge_text_is_refused_with_the_limit(web: Client) -> None:
    status, body = await post(web, text="x" * 100_000)
    assert status == 400 and "limit is 8,000 characters" in body["error"]
    await assert_still_serving(web)


async def test_invalid_utf8_is_refused(web: Client) -> None:
    session, base, _ = web
    form = aiohttp.FormData()
    form.add_field("text", b"\xff\xfe bad \xc3", content_type="text/plain")
    async with session.post(f"{base}/api/chats/c1/messages", data=form) as response:
        assert response.status == 400
        assert "UTF-8" in (await response.json())["error"]
    await assert_still_serving(web)


async def test_zero_byte_voice_is_refused(web: Client) -> None:
    status, body = await post(web, voice=("v.ogg", b"", "audio/ogg"))
    assert status == 400 and "empty" in body["error"]
    await assert_still_serving(web)


async def test_truncated_voice_gets_a_clear_reply(web: Client) -> None:
    data = tone_ogg(2.0)
    await post(web, voice=("v.ogg", data[:200], "audio/ogg"))
    incoming, reply = await settled(web)
    assert incoming["kind"] == "voice"
    assert reply["direction"] == "out" and reply["voice_url"] is None
    assert "audio" in reply["text"].lower() or "make that out" in reply["text"]
    await assert_still_serving(web)


async def test_non_audio_voice_gets_a_clear_reply(web: Client) -> None:
    await post(web, voice=("v.ogg", b"this is not audio at all" * 50, "audio/ogg"))
    _, reply = await settled(web)
    assert "audio" in reply["text"].lower()
    await assert_still_serving(web)


async def test_oversized_file_is_refused_with_the_limit(web: Client) -> None:
    status, body = await post(web, audio=("big.wav", b"\x00" * (2 * 1024 * 1024), "audio/wav"))
    assert status == 413 and "limit is 1 MB" in body["error"]
    await assert_still_serving(web)


async def test_decompression_bomb_is_refused(web: Client) -> None:
    status, body = await post(web, image=("bomb.png", png_bomb(), "image/png"))
    assert status == 400 and "too large" in body["error"].lower()
    await assert_still_serving(web)


async def test_unsupported_image_format_is_refused(web: Client) -> None:
    status, body = await post(web, image=("x.tiff", png(fmt="TIFF"), "image/tiff"))
    assert status == 400 and "JPEG" in body["error"]
    await assert_still_serving(web)


async def test_corrupt_image_is_refused(web: Client) -> None:
    status, body = await post(web, image=("x.png", png()[:40], "image/png"))
    assert status == 400 and body["error"]
    await assert_still_serving(web)


async def test_bad_chat_id_and_after(web: Client) -> None:
    session, base, _ = web
    async with session.get(f"{base}/api/chats/c1/messages?after=abc") as response:
        assert response.status == 400
    status, body = await post(web, chat="bad%20id", text="hi")
    assert status == 400 and body["error"] == CHAT_ID_RULE


async def test_unknown_voice_id_is_404(web: Client) -> None:
    session, base, _ = web
    async with session.get(f"{base}/api/voice/999") as response:
        assert response.status == 404


async def test_existing_history_survives_bad_input(web: Client) -> None:
    await post(web, text="keep me")
    before = await settled(web)
    await post(web, image=("bomb.png", png_bomb(), "image/png"))
    await post(web, voice=("v.ogg", b"junk", "audio/ogg"))
    await asyncio.sleep(0)
    after = await settled(web)
    assert after[: len(before)] == before


async def test_a_new_chat_id_comes_from_the_server(web: Client) -> None:
    session, base, _ = web
    async with session.post(f"{base}/api/chats") as response:
        assert response.status == 201
        chat = (await response.json())["chat_id"]
    status, _ = await post(web, chat=chat, text="hello")
    assert status == 202 and len(await settled(web, chat)) == 2


async def test_forget_is_an_event_not_a_guess_from_text(web: Client) -> None:
    await post(web, text="remember me")
    await settled(web)
    await post(web, text="/forget yes")
    listed = await settled(web)
    assert listed[0]["text"] == "/forget yes"
    assert [m["event"] for m in listed] == [None, "history_deleted"]


# uploads leave the disk once understood, and /forget leaves none behind




async def _serve(tmp_path: Path, **values: Any) -> AsyncIterator[Client]:
    port = free_port()
    settings = make_settings(
        host="127.0.0.1", port=port, database_url=f"sqlite+aiosqlite:///{tmp_path}/u.db",
        data_dir=str(tmp_path), warm_engines=False, **values,
    )  # fmt: skip
    async with serving(settings, fake_engines()) as app, aiohttp.ClientSession() as session:
        yield session, f"http://127.0.0.1:{port}", app


@pytest.fixture
async def keeping(tmp_path: Path) -> AsyncIterator[Client]:
    async for served in _serve(tmp_path, keep_audio=True):
        yield served


def uploads_in(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "uploads").iterdir())


async def send_form(web: Client, chat: str, **files: tuple[str, bytes, str] | str) -> None:
    session, base, app = web
    form = multipart(**files)
    async with session.post(f"{base}/api/chats/{chat}/messages", data=form) as response:
        assert response.status == 202, await response.text()
    await app.dispatcher.idle()


async def voice_and_photo(web: Client, chat: str) -> None:
    await send_form(web, chat, voice=("note.ogg", tone_ogg(), "audio/ogg"))
    await send_form(web, chat, image=("p.png", png(), "image/png"), text="what is it?")


async def test_a_voice_note_and_a_photo_leave_no_upload(web: Client, tmp_path: Path) -> None:
    await voice_and_photo(web, "u1")
    listed = await web[2].store.history.messages(Platform.WEB, "u1")
    assert [m.state.value for m in listed if m.direction.value == "in"] == ["delivered"] * 2
    assert listed[0].transcript  # understood, and what was understood is kept
    assert uploads_in(tmp_path) == []


async def test_kept_when_asked_and_gone_after_forget(keeping: Client, tmp_path: Path) -> None:
    await voice_and_photo(keeping, "u2")
    assert len(uploads_in(tmp_path)) == 2
    await send_form(keeping, "u2", text="/forget confirm")
    assert uploads_in(tmp_path) == []


async def test_forget_leaves_no_file_of_the_user(keeping: Client, tmp_path: Path) -> None:
    await voice_and_photo(keeping, "mine")
    await voice_and_photo(keeping, "theirs")
    assert len(uploads_in(tmp_path)) == 4
    await send_form(keeping, "mine", text="/forget confirm")
    store = keeping[2].store
    kept = await store.history.messages(Platform.WEB, "theirs")
    theirs = {m.media.file_id for m in kept if m.media}
    assert {p.name for p in uploads_in(tmp_path)} == theirs and len(theirs) == 2



# bodies and ids that used to get 500 -------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000
FIELD = b'Content-Disposition: form-data; name="text"\r\n\r\nhi\r\n'
VOICE = b'Content-Disposition: form-data; name="voice"; filename="v.ogg"\r\n\r\nOggS1234\r\n'
BAD_BODIES = {
    "json nested 100,000 deep": (DEEP, "application/json"),
    "text nested 100,000 deep": (b'{"text": ' + DEEP + b"}", "application/json"),
    "lone surrogate": (b'{"text": "\\ud800"}', "application/json"),
    "lone surrogate among text": (b'{"text": "hi \\udfff there"}', "application/json"),
    "multipart without a boundary": (b"--x\r\n" + FIELD + b"--x--\r\n", "multipart/form-data"),
    "multipart with the wrong boundary": (
        b"--abc\r\n" + FIELD + b"--abc--\r\n", "multipart/form-data; boundary=zzz"),
    "multipart without a closing boundary": (
        b"--abc\r\n" + FIELD, "multipart/form-data; boundary=abc"),
    "a file without a closing boundary": (
        b"--abc\r\n" + VOICE, "multipart/form-data; boundary=abc"),
    "multipart that stops in a part's headers": (
        b"--abc\r\nContent-Disposition: form-da", "multipart/form-data; boundary=abc"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_BODIES))
async def test_broken_bodies_get_400_and_lose_nothing(
    web: Client, tmp_path: Path, case: str
) -> None:
    await post(web, text="keep me")
    before = await settled(web)
    body, content_type = BAD_BODIES[case]
    session, base, _ = web
    async with session.post(
        f"{base}/api/chats/c1/messages", data=body, headers={"Content-Type": content_type}
    ) as response:
        assert response.status == 400
        error = (await response.json())["error"]
    assert error and "\n" not in error
    assert await settled(web) == before
    assert list((tmp_path / "uploads").iterdir()) == []  # no half-written upload left behind
    await assert_still_serving(web)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/attachments/99999999999999999999999", 404),
        ("/api/attachments/-99999999999999999999999", 404),
        ("/api/voice/99999999999999999999999", 404),
        ("/api/voice/99999999999999999999999.ogg", 404),
        ("/api/voice/2147483648", 404),
        ("/api/chats/c1/messages?after=99999999999999999999999", 400),
        ("/api/chats/c1/messages?after=-99999999999999999999999", 400),
        ("/api/chats/c1/messages?after=2147483648", 400),
    ],
)
async def test_ids_beyond_any_message_are_a_clear_4xx(web: Client, path: str, status: int) -> None:
    await post(web, text="keep me")
    before = await settled(web)
    session, base, _ = web
    async with session.get(base + path) as response:
        assert response.status == status
        error = (await response.json())["error"]
    assert error and "\n" not in error
    assert await settled(web) == before
    await assert_still_serving(web)


async def test_the_largest_id_is_still_an_id(web: Client) -> None:
    assert await messages(web, after=2**31 - 1) == []


async def test_an_upload_refused_at_the_door_leaves_no_file(tmp_path: Path) -> None:
    async for (session, base, app) in _serve(tmp_path, rate_limit_per_minute=1):
        await send_form((session, base, app), "busy", text="first")
        form = aiohttp.FormData()
        form.add_field("voice", tone_ogg(), filename="n.ogg", content_type="audio/ogg")
        async with session.post(f"{base}/api/chats/busy/messages", data=form) as response:
            assert response.status == 429
        assert uploads_in(tmp_path) == []


async def test_a_progress_line_rides_on_its_message_until_closed() -> None:
    from adapters.web.adapter import WebAdapter
    from tests.fakes.sink import RecordingSink
    from tests.support.messages import stored
    from tests.support.settings import make_settings

    web_chat = WebAdapter(RecordingSink(), None, limits=make_settings().limits,  # type: ignore[arg-type]
                          uploads=Path("/nonexistent"))  # fmt: skip
    row = stored(5, "", platform_message_id="client-5")
    line = web_chat.open_progress("chat", "client-5")
    await line.update("transcribing… 40 % of 10:00", 0.4)
    assert web_chat._json(row)["progress"] == "transcribing… 40 % of 10:00"
    await line.close()
    assert web_chat._json(row)["progress"] is None
