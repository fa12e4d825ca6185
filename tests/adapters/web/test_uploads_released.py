"""Users' raw uploads leave the disk once understood, and /forget leaves none behind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import serving
from bot.models import Platform
from tests.fakes.engines import fake_engines
from tests.support.media import png, tone_ogg
from tests.support.ports import free_port
from tests.support.settings import make_settings

Web = tuple[aiohttp.ClientSession, str, Any]


async def _serve(tmp_path: Path, **values: Any) -> AsyncIterator[Web]:
    port = free_port()
    settings = make_settings(
        host="127.0.0.1", port=port, database_url=f"sqlite+aiosqlite:///{tmp_path}/u.db",
        data_dir=str(tmp_path), warm_engines=False, **values,
    )  # fmt: skip
    async with serving(settings, fake_engines()) as app, aiohttp.ClientSession() as session:
        yield session, f"http://127.0.0.1:{port}", app


@pytest.fixture
async def web(tmp_path: Path) -> AsyncIterator[Web]:
    async for served in _serve(tmp_path):
        yield served


@pytest.fixture
async def keeping(tmp_path: Path) -> AsyncIterator[Web]:
    async for served in _serve(tmp_path, keep_audio=True):
        yield served


def uploads(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "uploads").iterdir())


async def send(web: Web, chat: str, **files: tuple[str, bytes, str] | str) -> None:
    session, base, app = web
    form = aiohttp.FormData()
    for name, value in files.items():
        if isinstance(value, tuple):
            form.add_field(name, value[1], filename=value[0], content_type=value[2])
        else:
            form.add_field(name, value)
    async with session.post(f"{base}/api/chats/{chat}/messages", data=form) as response:
        assert response.status == 202, await response.text()
    await app.dispatcher.idle()


async def voice_and_photo(web: Web, chat: str) -> None:
    await send(web, chat, voice=("note.ogg", tone_ogg(), "audio/ogg"))
    await send(web, chat, image=("p.png", png(), "image/png"), text="what is it?")


async def test_a_voice_note_and_a_photo_leave_no_upload(web: Web, tmp_path: Path) -> None:
    await voice_and_photo(web, "u1")
    listed = await web[2].store.history.messages(Platform.WEB, "u1")
    assert [m.state.value for m in listed if m.direction.value == "in"] == ["delivered"] * 2
    assert listed[0].transcript  # understood, and what was understood is kept
    assert uploads(tmp_path) == []


async def test_kept_when_asked_and_gone_after_forget(keeping: Web, tmp_path: Path) -> None:
    await voice_and_photo(keeping, "u2")
    assert len(uploads(tmp_path)) == 2
    await send(keeping, "u2", text="/forget confirm")
    assert uploads(tmp_path) == []


async def test_forget_leaves_no_file_of_the_user(keeping: Web, tmp_path: Path) -> None:
    await voice_and_photo(keeping, "mine")
    await voice_and_photo(keeping, "theirs")
    assert len(uploads(tmp_path)) == 4
    await send(keeping, "mine", text="/forget confirm")
    store = keeping[2].store
    kept = await store.history.messages(Platform.WEB, "theirs")
    theirs = {m.media.file_id for m in kept if m.media}
    assert {p.name for p in uploads(tmp_path)} == theirs and len(theirs) == 2



async def test_an_upload_refused_at_the_door_leaves_no_file(tmp_path: Path) -> None:
    async for (session, base, app) in _serve(tmp_path, rate_limit_per_minute=1):
        await send((session, base, app), "busy", text="first")
        form = aiohttp.FormData()
        form.add_field("voice", tone_ogg(), filename="n.ogg", content_type="audio/ogg")
        async with session.post(f"{base}/api/chats/busy/messages", data=form) as response:
            assert response.status == 429
        assert uploads(tmp_path) == []
