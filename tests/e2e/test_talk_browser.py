"""The Talk button in a real Chromium whose microphone plays recorded speech: the page holds a
WebRTC call with omnivox (test doubles of the engines, the real Silero VAD), receives the
spoken answer (inbound RTP) and shows the live transcript; after hanging up the turns are in
the chat history."""

from __future__ import annotations

import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS
from tests.support.talk_peer import silence, speech

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [pytest.mark.browser, pytest.mark.corpus]
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect
TRANSCRIPT = "what is the weather like today"  # what the fake transcriber hears


def microphone(path: Path) -> Path:
    """What the fake microphone plays once: silence, a recorded sentence, silence."""
    samples = np.concatenate([silence(1.0), speech("de_picovoice_leopard.wav"), silence(20.0)])
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


@pytest.fixture
def talking_browser(tmp_path: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    wav = microphone(tmp_path / "mic.wav")
    args = [*CHROMIUM_ARGS, f"--use-file-for-fake-audio-capture={wav}%noloop",
            "--autoplay-policy=no-user-gesture-required"]  # fmt: skip
    with sync_playwright() as driver:
        chromium = driver.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def talk_page(talking_browser: Browser, base_url: str) -> Iterator[Page]:
    context = talking_browser.new_context(base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto("/")
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


def test_talk_holds_a_spoken_turn_and_keeps_it(talk_page: Page) -> None:
    page = talk_page
    page.get_by_test_id("talk-button").click()
    panel = page.get_by_test_id("talk-panel")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("talk-state")).to_have_text("Listening…")
    lines = page.get_by_test_id("talk-transcript")
    expect(lines.locator("li.user")).to_have_text(TRANSCRIPT, timeout=20_000)
    expect(lines.locator("li.assistant")).to_have_text(f"You said: {TRANSCRIPT}", timeout=20_000)
    page.wait_for_function(
        "async () => { const s = await window.omnivox.talkStats();"
        " return s && s.packetsReceived > 50 && s.totalAudioEnergy > 0; }",
        timeout=20_000,
    )
    page.get_by_test_id("talk-mute").click()
    expect(page.get_by_test_id("talk-mute")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("talk-hangup").click()
    expect(panel).to_be_hidden()
    bubbles = page.get_by_test_id("message-list")
    expect(bubbles).to_contain_text(TRANSCRIPT)
    expect(bubbles).to_contain_text(f"You said: {TRANSCRIPT}")
