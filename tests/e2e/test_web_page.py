"""The web chat driven in a real headless Chromium against a running omnivox (fake engines)."""

from __future__ import annotations

import io
import json
import re
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from PIL import Image

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Request, Response, Route

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed").expect

TRANSCRIPT = "what is the weather like today"  # what the fake transcriber always hears
SCREENSHOT = Path("/tmp/omnivox_page.png")
CHAT_ID_KEY = "omnivox.chat_id"
MESSAGES = re.compile(r"/api/chats/[^/?]+/messages\?after=")


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


def issued_chat_id(response: Response) -> bool:
    return response.request.method == "POST" and response.url.endswith("/api/chats")


def stored_chat_id(page: Page) -> str | None:
    return page.evaluate(f"localStorage.getItem({json.dumps(CHAT_ID_KEY)})")


def watch(page: Page) -> list[str]:
    """Errors the page throws or logs to its console, collected as they come."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
    page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error"
            else None)
    return problems


@pytest.fixture
def context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """A fresh browser profile with nothing loaded yet."""
    fresh = browser.new_context(base_url=base_url)
    fresh.set_default_timeout(10_000)
    try:
        yield fresh
    finally:
        fresh.close()


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


def test_forget_in_other_words_clears_the_page_too(page: Page) -> None:
    send_text(page, "remember this")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: remember this")
    send_text(page, "/forget yes")
    expect(page.get_by_test_id("notice")).to_contain_text("deleted")
    expect(page.get_by_test_id("message-out").last).to_contain_text("Done: deleted")
    expect(page.get_by_text("remember this")).to_have_count(0)

    # addressed to the bot by name: the server carries it out, and the page follows its word
    send_text(page, "and this too")
    expect(page.get_by_test_id("message-out").last).to_contain_text("You said: and this too")
    send_text(page, "/FORGET@omnivox confirm")
    expect(page.get_by_text("and this too")).to_have_count(0)
    expect(page.get_by_text("/forget yes")).to_have_count(0)
    expect(page.get_by_test_id("message-out")).to_have_count(1)
    expect(page.get_by_test_id("message-out")).to_contain_text("Done: deleted")
    expect(page.get_by_test_id("notice")).to_have_count(1)


def test_the_page_resets_on_the_servers_event_and_not_on_the_words(page: Page) -> None:
    marked = "mark this reply"

    def rewrite(route: Route) -> None:
        # the server's event, moved: off the /forget reply, onto an ordinary one
        response = route.fetch()
        rows = response.json()
        for row in rows:
            out = row["direction"] == "out"
            row["event"] = "history_deleted" if out and marked in (row["text"] or "") else None
        route.fulfill(response=response, json=rows)

    page.route(MESSAGES, rewrite)
    send_text(page, "remember this")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: remember this")
    send_text(page, "/forget confirm")
    expect(page.get_by_test_id("message-out").last).to_contain_text("Done: deleted")
    page.wait_for_timeout(1500)  # a couple of polls
    expect(page.get_by_test_id("notice")).to_have_count(0)
    expect(page.get_by_test_id("message-in").first).to_contain_text("remember this")

    send_text(page, marked)
    expect(page.get_by_test_id("notice")).to_contain_text("deleted")
    # re-read from the server, which no longer holds the first exchange
    expect(page.get_by_text("remember this")).to_have_count(0)
    expect(page.get_by_test_id("message-out").last).to_contain_text(f"You said: {marked}")
    expect(page.get_by_test_id("pending-indicator")).to_have_count(0)


def test_a_fresh_profile_gets_its_chat_id_from_the_server(context: BrowserContext) -> None:
    page = context.new_page()
    problems = watch(page)
    requests: list[Request] = []
    page.on("request", lambda request: requests.append(request))
    with page.expect_response(issued_chat_id) as issued:
        page.goto("/")
    assert issued.value.status == 201
    chat_id = issued.value.json()["chat_id"]
    assert re.fullmatch(r"web-[0-9a-f]+", chat_id)
    send_text(page, "who am I?")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: who am I?")
    assert stored_chat_id(page) == chat_id
    chats = {r.url.split("/api/chats/")[1].split("/")[0] for r in requests if "/messages" in r.url}
    assert chats == {chat_id}

    # a reload keeps it: the same history, and no new id asked for
    requests.clear()
    page.reload()
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: who am I?")
    assert not [r for r in requests if r.url.endswith("/api/chats")]
    assert stored_chat_id(page) == chat_id
    assert not problems


@pytest.mark.parametrize("stored", ["not a chat id!", "x" * 65])
def test_a_refused_stored_chat_id_is_replaced(context: BrowserContext, stored: str) -> None:
    context.add_init_script(
        "if (!sessionStorage.getItem('seeded')) {"
        " sessionStorage.setItem('seeded', '1');"
        f" localStorage.setItem({json.dumps(CHAT_ID_KEY)}, {json.dumps(stored)}); }}"
    )
    page = context.new_page()
    thrown: list[str] = []
    page.on("pageerror", lambda error: thrown.append(str(error)))
    refused: list[int] = []
    page.on("response", lambda r: refused.append(r.status) if "/messages?after=" in r.url
            and r.status == 400 else None)
    with page.expect_response(issued_chat_id) as issued:
        page.goto("/")
    chat_id = issued.value.json()["chat_id"]
    assert refused, "the stored id was never put to the server"
    send_text(page, "hello with a new id")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: hello with a new id")
    expect(page.get_by_test_id("connection")).to_be_hidden()
    assert stored_chat_id(page) == chat_id

    page.reload()
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: hello with a new id")
    assert stored_chat_id(page) == chat_id
    assert not thrown


def test_blocked_storage_keeps_a_server_chat_id_for_the_tab(context: BrowserContext) -> None:
    context.add_init_script(
        "Object.defineProperty(window, 'localStorage', { configurable: true,"
        " get() { throw new DOMException('blocked', 'SecurityError'); } });"
    )
    page = context.new_page()
    problems = watch(page)
    with page.expect_response(issued_chat_id) as issued:
        page.goto("/")
    chat_id = issued.value.json()["chat_id"]
    with page.expect_request(lambda r: r.method == "POST" and f"/{chat_id}/messages" in r.url):
        send_text(page, "no storage here")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: no storage here")
    assert not problems


def test_the_page_loads_as_es_modules_without_console_errors(context: BrowserContext) -> None:
    page = context.new_page()
    problems = watch(page)
    scripts: list[Response] = []
    page.on("response", lambda r: scripts.append(r) if r.request.resource_type == "script"
            else None)
    page.goto("/")
    send_text(page, "modules?")
    expect(page.get_by_test_id("message-out")).to_contain_text("You said: modules?")

    assert page.locator("script").count() == page.locator("script[type=module]").count() == 1
    loaded = {r.url.rsplit("/", 1)[1]: r for r in scripts}
    for name in ("main.js", "state.js", "render.js", "transport.js", "recording.js"):
        assert name in loaded, f"{name} was not loaded: {sorted(loaded)}"
    for name, response in loaded.items():
        assert response.status == 200, name
        assert "javascript" in response.headers["content-type"], name
    assert not problems
