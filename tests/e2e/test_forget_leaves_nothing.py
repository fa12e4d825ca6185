"""After `/forget confirm`, no byte of the user is left: database, its WAL and shared-memory
files, the data folder, the log.

A voice note, a photo and texts go through the web chat (the real server, SQLite and
upload folder, test-double engines that hear and see marked words); the page reads the
confirmation as the browser does; then every file is scanned byte by byte for the
user's texts, transcript, caption, the media they sent and got, and their chat id.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
import pytest
from PIL import Image

from adapters.whatsapp.adapter import WEBHOOK_PATH
from bot.app import serving
from bot.ports.engines import Engines
from tests.fakes.engines import (
    FakeChat,
    FakeDescriber,
    FakeSynthesizer,
    FakeTranscriber,
    fake_engines,
)
from tests.fakes.graph_server import FakeGraph
from tests.support.forms import multipart
from tests.support.media import tone_ogg
from tests.support.ports import free_port
from tests.support.settings import make_settings, wa_settings
from tests.support.whatsapp_bodies import USER, signed, wa_body, wa_message, wa_value

CHAT = "web-forgetme-7f3a9c11"
OTHER = "web-staying-22b8e0"
TEXT = "my secret plan zq81"
HEARD = "whispered words qx44"
SEEN = "sign reading kv27"
CAPTION = "what does it say vw93"


def _photo() -> bytes:
    noise = np.random.default_rng(7).integers(0, 255, (120, 160, 3), np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """The log as an operator keeps it, at the default level."""
    path = tmp_path / "logs" / "omnivox.log"
    path.parent.mkdir()
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


class Chat:
    def __init__(self, session: aiohttp.ClientSession, base: str, app: Any) -> None:
        self.session, self.base, self.app = session, base, app

    async def send(self, chat: str, **fields: Any) -> None:
        form = multipart(**fields)
        async with self.session.post(f"{self.base}/api/chats/{chat}/messages", data=form) as r:
            assert r.status == 202, await r.text()
        await self.app.dispatcher.idle()

    async def read(self, chat: str) -> list[dict[str, Any]]:
        """What the page polls for; reading the confirmation lets its traces go."""
        async with self.session.get(f"{self.base}/api/chats/{chat}/messages") as r:
            return list(await r.json())

    async def voice(self, url: str) -> bytes:
        async with self.session.get(self.base + url) as r:
            return await r.read()


def _needles(sent: dict[str, bytes]) -> dict[str, bytes]:
    found = {name: value.encode() for name, value in
             (("text", TEXT), ("transcript", HEARD), ("caption", CAPTION), ("seen", SEEN),
              ("chat id", CHAT))}  # fmt: skip
    for name, data in sent.items():  # a slice from inside each file: its bytes, not a header
        middle = len(data) // 2
        found[name] = data[middle : middle + 48]
    return found


def _scan(paths: list[Path], needles: dict[str, bytes]) -> list[str]:
    hits = []
    for path in paths:
        data = path.read_bytes()
        hits += [f"{name} in {path.name}" for name, needle in needles.items() if needle in data]
    return hits


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def test_nothing_of_the_user_is_left_anywhere(tmp_path: Path, log_file: Path) -> None:
    data_dir = tmp_path / "data"
    port = free_port()
    settings = make_settings(
        host="127.0.0.1", port=port, database_url=f"sqlite+aiosqlite:///{data_dir}/omnivox.db",
        data_dir=str(data_dir), warm_engines=False,
    )  # fmt: skip
    engines = Engines(transcriber=FakeTranscriber(HEARD), describer=FakeDescriber(text=SEEN),
                      chat=FakeChat(), synthesizer=FakeSynthesizer())  # fmt: skip
    note, photo = tone_ogg(2.0), _photo()
    async with serving(settings, engines) as app, aiohttp.ClientSession() as session:
        chat = Chat(session, f"http://127.0.0.1:{port}", app)
        await chat.send(CHAT, text=TEXT)
        await chat.send(CHAT, voice=("note.ogg", note, "audio/ogg"))
        await chat.send(CHAT, image=("p.png", photo, "image/png"), text=CAPTION)
        await chat.send(OTHER, text="someone else stays")
        listed = await chat.read(CHAT)
        assert HEARD in str(listed) and SEEN in str(listed)
        [spoken] = [row["voice_url"] for row in listed if row["voice_url"]]
        needles = _needles({"voice note": note, "photo": photo,
                            "voice reply": await chat.voice(spoken)})  # fmt: skip
        assert _scan(_files(data_dir), needles)  # it was all there
        await app.store.db.scrub()  # as SQLite's own checkpoints do: now in the main file too
        assert any(".db:" in f"{hit}:" for hit in _scan(_files(data_dir), needles))

        await chat.send(CHAT, text="/forget confirm")
        confirmation = (await chat.read(CHAT))[-1]
        assert confirmation["event"] == "history_deleted"
        assert await chat.read(CHAT) == []  # read once, the confirmation went too
        await app.dispatcher.idle()
        running = _scan([*_files(data_dir), log_file], needles)
        others = [row["text"] for row in await chat.read(OTHER)]
    stopped = _scan([*_files(data_dir), log_file], needles)
    assert running == [] and stopped == []
    assert others[0] == "someone else stays"


async def test_on_whatsapp_the_confirmation_goes_once_sent(
    tmp_path: Path, log_file: Path, graph: FakeGraph
) -> None:
    """A platform channel has the confirmation once it is sent: then nothing is left."""
    data_dir = tmp_path / "data"
    settings = wa_settings(
        graph, database_url=f"sqlite+aiosqlite:///{data_dir}/omnivox.db",
        data_dir=str(data_dir), port=free_port(), warm_engines=False,
    )  # fmt: skip
    url = f"http://127.0.0.1:{settings.server.port}{WEBHOOK_PATH}"
    async with serving(settings, fake_engines()) as app, aiohttp.ClientSession() as session:
        for wamid, text in (("wamid.F1", TEXT), ("wamid.F2", "/forget confirm")):
            raw, headers = signed(wa_body(wa_value([wa_message("text", wamid, {"body": text})])))
            async with session.post(url, data=raw, headers=headers) as response:
                assert response.status == 200
            await app.dispatcher.idle()
        await app.dispatcher.idle()
        running = _scan([*_files(data_dir), log_file],
                        {"text": TEXT.encode(), "phone": USER.encode()})  # fmt: skip
    assert any("Done: deleted" in m["text"]["body"] for m in graph.sent if m["type"] == "text")
    assert running == []
