"""A running omnivox on a free local port, and a headless Chromium to point at it.

The server runs in a thread with its own event loop, so the tests can drive the browser
with Playwright's synchronous API; one Chromium serves every test, each in a fresh profile.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.app import serving
from bot.config import Settings
from tests.fakes.engines import fake_engines
from tests.support.ports import free_port
from tests.support.settings import make_settings

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # a fake microphone that plays a beep, and no permission prompt
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]
MAX_MEDIA_MB = 1  # small, so the too-large case needs only a small upload
TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if os.path.exists(CHROMIUM):
        return
    reason = f"{CHROMIUM} is missing (apt-get install chromium; `make test` installs it)"
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))



class ServerThread(threading.Thread):
    """omnivox with the fake engines, served from a thread until `stop()`."""

    def __init__(self, settings: Settings, chat_delay: float) -> None:
        super().__init__(name="omnivox-under-test", daemon=True)
        self.settings = settings
        self.chat_delay = chat_delay
        self.ready = threading.Event()
        self.failure: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Event | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as failure:  # reported to the test by start()
            self.failure = failure
            self.ready.set()

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        async with serving(self.settings, fake_engines(chat_delay=self.chat_delay)):
            self.ready.set()
            await self._done.wait()

    def start_serving(self) -> None:
        self.start()
        if not self.ready.wait(30) or self.failure is not None:
            raise RuntimeError(f"omnivox did not start: {self.failure!r}")

    def stop(self) -> None:
        if self._loop is not None and self._done is not None:
            self._loop.call_soon_threadsafe(self._done.set)
        self.join(30)


@pytest.fixture
def chat_delay() -> float:
    """Seconds the fake chat model waits before answering; a test may parametrize it."""
    return 0.0


@pytest.fixture
def base_url(tmp_path: Path, chat_delay: float) -> Iterator[str]:
    port = free_port()
    settings = make_settings(
                host="127.0.0.1",
        port=port,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        data_dir=str(tmp_path),
        warm_engines=False,
        max_media_mb=MAX_MEDIA_MB,
    )
    server = ServerThread(settings, chat_delay)
    server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    """A fresh browser profile (so a fresh chat_id) with the page loaded."""
    context = browser.new_context(base_url=base_url, viewport={"width": 900, "height": 760})
    context.set_default_timeout(TIMEOUT_MS)
    tab = context.new_page()
    problems: list[str] = []
    tab.on("pageerror", lambda error: problems.append(str(error)))
    tab.goto("/")
    try:
        yield tab
    finally:
        context.close()
    assert not problems, f"the page threw: {problems}"
