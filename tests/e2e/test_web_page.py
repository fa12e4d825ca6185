"""The web chat driven in a real headless Chromium against a running omnivox (fake engines)."""

from __future__ import annotations

import io
import re
import wave
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Request

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

TRANSCRIPT = "what is the weather like today"  # what the fake transcriber always hears
SCREENSHOT = Path("/tmp/omnivox_page.png")


def make_png(path: Path) -> Path:
    image = Image.new("RGB", (160, 120), (230, 120, 40))
    for x in range(40, 120):
        for y in range(30, 90):
            image.putpixel((x, y), (250, 250, 250))
    image.save(path, format="PNG")
    return path


def make_wav(path: Path, seconds: float = 1.0, hz: float = 440.0) -> Path:
    rate = 16_000
    t = np.arange(int(rate * seconds)) / rate
    samples = (0.3 * np.sin(2 * np.pi * hz * t) * 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    path.write_bytes(buffer.getvalue())
    return path


def send_text(page: Page, text: str) -> None:
    page.get_by_test_id("composer-input").fill(text)
    page.get_by_test_id("composer-input").press("Enter")


def test_text_photo_audio_and_history(page: Page, tmp_path: Path) -> None:
    asked = page.get_by_test_id("message-in")
    answers = page.get_by_test_id("message-out")
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    # text: the user's bubble, then the answer
    send_text(page, "hello there")
    expect(asked.first).to_contain_text("hello there")
    expect(answers.first).to_contain_text("You said: hello there")
    expect(page.get_by_test_id("pending-indicator")).to_have_count(0)
    expect(page.get_by_test_id("composer-input")).to_have_value("")

    # a photo with a caption from the text box: thumbnail, answer, what was seen
    page.get_by_test_id("attach-input").set_input_files(make_png(tmp_path / "sign.png"))
    expect(page.get_by_test_id("attachment-chip")).to_be_visible()
    page.get_by_test_id("composer-input").fill("what is in this picture?")
    page.get_by_test_id("send-button").click()
    expect(asked).to_have_count(2)
    photo = asked.nth(1)
    thumbnail = photo.get_by_test_id("photo-thumb")
    expect(thumbnail).to_have_attribute("src", re.compile(r"^blob:"))
    expect(photo).to_contain_text("what is in this picture?")
    expect(answers).to_have_count(2)
    expect(answers.nth(1)).to_contain_text("You said:")
    expect(photo.get_by_test_id("photo-caption")).to_contain_text("cup")
    expect(page.get_by_test_id("attachment-chip")).to_be_hidden()

    # an audio file: the transcript under the user's bubble, a voice reply that plays
    page.get_by_test_id("attach-input").set_input_files(make_wav(tmp_path / "tone.wav"))
    page.get_by_test_id("send-button").click()
    expect(asked).to_have_count(3)
    expect(asked.nth(2).get_by_test_id("transcript")).to_contain_text(TRANSCRIPT)
    player = answers.nth(2).get_by_test_id("voice-player")
    expect(player).to_be_visible()
    expect(answers.nth(2)).to_contain_text(f"You said: {TRANSCRIPT}")
    voice_url = player.get_attribute("src")
    assert voice_url
    voice = page.request.get(voice_url)
    assert voice.status == 200
    assert voice.headers["content-type"].startswith("audio/ogg")
    assert (voice.body())[:4] == b"OggS"
    expect(page.get_by_test_id("pending-indicator")).to_have_count(0)
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    # after a reload the history is still there, from the server
    page.reload()
    expect(asked).to_have_count(3)
    expect(answers).to_have_count(3)
    expect(asked.first).to_contain_text("hello there")
    expect(asked.nth(1).get_by_test_id("photo-label")).to_have_text("📷 photo")
    expect(asked.nth(1).get_by_test_id("photo-caption")).to_contain_text("cup")
    expect(asked.nth(2).get_by_test_id("transcript")).to_contain_text(TRANSCRIPT)
    expect(answers.nth(2).get_by_test_id("voice-player")).to_have_attribute("src", voice_url)
    expect(page.get_by_test_id("empty-state")).to_be_hidden()


def test_bad_input_shows_one_line_and_sends_nothing(page: Page, tmp_path: Path) -> None:
    posts: list[Request] = []
    page.on("request", lambda request: posts.append(request) if request.method == "POST" else None)
    error = page.get_by_test_id("error-line")

    # empty and blank messages are not sent
    expect(page.get_by_test_id("send-button")).to_be_disabled()
    page.get_by_test_id("composer-input").press("Enter")
    send_text(page, "   ")
    page.wait_for_timeout(300)
    assert posts == []
    expect(page.get_by_test_id("message-in")).to_have_count(0)

    # a text file passed off as a photo: the server's 400 reason, on one line
    fake_photo = {"name": "holiday.png", "mimeType": "image/png", "buffer": b"just some text\n"}
    page.get_by_test_id("attach-input").set_input_files(fake_photo)
    page.get_by_test_id("send-button").click()
    expect(error).to_be_visible()
    expect(error).not_to_have_text("")
    assert "\n" not in error.inner_text()
    expect(page.get_by_test_id("message-in")).to_have_count(0)

    # a file over the size limit: the 413 reason
    too_big = {"name": "big.png", "mimeType": "image/png", "buffer": b"\0" * (1536 * 1024)}
    page.get_by_test_id("attach-input").set_input_files(too_big)
    page.get_by_test_id("send-button").click()
    expect(error).to_contain_text("MB")
    expect(page.get_by_test_id("message-in")).to_have_count(0)

    # the next good message clears the error and goes through
    send_text(page, "still here?")
    expect(error).to_be_hidden()
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: still here?")


@pytest.mark.parametrize("chat_delay", [1.5])
def test_pending_then_interrupted_by_a_newer_message(page: Page) -> None:
    composer = page.get_by_test_id("composer-input")
    send_text(page, "first question")
    expect(page.get_by_test_id("pending-indicator")).to_contain_text("thinking")
    composer.type("second")
    composer.press("Shift+Enter")
    composer.type("question")
    expect(composer).to_have_value("second\nquestion")
    composer.press("Enter")

    asked = page.get_by_test_id("message-in")
    expect(asked.first.get_by_test_id("message-error")).to_have_text(
        "not answered: interrupted by a newer message"
    )
    expect(asked.nth(1)).to_contain_text("second\nquestion")
    expect(page.get_by_test_id("message-out")).to_have_count(1)
    # the interrupted question is folded into the next turn, so the answer covers both
    expect(page.get_by_test_id("message-out")).to_contain_text("second\nquestion")
    expect(page.get_by_test_id("pending-indicator")).to_have_count(0)


def test_forget_asks_then_clears_the_page(page: Page) -> None:
    send_text(page, "remember this")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: remember this")
    send_text(page, "/forget")
    expect(page.get_by_test_id("message-out").last).to_contain_text("cannot be undone")
    page.get_by_test_id("choice").filter(has_text="Yes, delete everything").click()
    expect(page.get_by_test_id("notice")).to_contain_text("deleted")
    expect(page.get_by_test_id("message-out").last).to_contain_text("Done: deleted")
    expect(page.get_by_text("remember this")).to_have_count(0)
    expect(page.get_by_test_id("pending-indicator")).to_have_count(0)
    send_text(page, "hello again")
    expect(page.get_by_test_id("message-out").last).to_contain_text("You said: hello again")


def test_voice_note_recorded_with_the_microphone(page: Page) -> None:
    mic = page.get_by_test_id("mic-button")
    mic.click()
    expect(mic).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_test_id("recording-time")).to_be_visible()
    page.wait_for_timeout(1500)
    mic.click()
    expect(mic).to_have_attribute("aria-pressed", "false")
    asked = page.get_by_test_id("message-in")
    expect(asked.first.get_by_test_id("transcript")).to_contain_text(TRANSCRIPT)
    expect(page.get_by_test_id("message-out").first.get_by_test_id("voice-player")) \
        .to_be_visible()


def test_microphone_denied_is_explained(browser: Browser, base_url: str) -> None:
    context = browser.new_context(base_url=base_url)
    context.add_init_script(
        "navigator.mediaDevices.getUserMedia = () => "
        "Promise.reject(new DOMException('denied', 'NotAllowedError'));"
    )
    page = context.new_page()
    page.goto("/")
    page.get_by_test_id("mic-button").click()
    expect(page.get_by_test_id("error-line")).to_contain_text("denied")
    expect(page.get_by_test_id("mic-button")).to_have_attribute("aria-pressed", "false")
    context.close()
