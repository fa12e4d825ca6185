"""`omnivox chat`'s channel: typed lines become messages; replies are printed or saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters.terminal import TerminalAdapter
from bot.errors import MediaTooLarge, UnreadableMedia
from bot.models import Attachment, Choice, ContentKind, IncomingMessage, VoiceAudio


@pytest.fixture
def printed() -> list[str]:
    return []


@pytest.fixture
async def terminal(tmp_path: Path, printed: list[str]) -> TerminalAdapter:
    adapter = TerminalAdapter(tmp_path / "out", max_bytes=1000, write=printed.append)
    await adapter.start()
    return adapter


def test_a_line_is_a_text_message(terminal: TerminalAdapter) -> None:
    parsed = terminal.parse("hello there", "m1")
    assert isinstance(parsed, IncomingMessage)
    assert (parsed.kind, parsed.text, parsed.message_id) == (ContentKind.TEXT, "hello there", "m1")


def test_files_become_voice_notes_and_photos(terminal: TerminalAdapter, tmp_path: Path) -> None:
    note = tmp_path / "q.ogg"
    note.write_bytes(b"OggS")
    voice = terminal.parse(f"/voicefile {note}", "m2")
    assert isinstance(voice, IncomingMessage) and voice.kind is ContentKind.VOICE
    assert voice.media is not None and voice.media.mime_type == "audio/ogg"
    photo = terminal.parse(f"/photo {note} what is this?", "m3")
    assert isinstance(photo, IncomingMessage) and photo.kind is ContentKind.PHOTO
    assert photo.text == "what is this?"


def test_a_missing_file_is_a_one_line_complaint(terminal: TerminalAdapter) -> None:
    assert terminal.parse("/photo /nowhere.png", "m4") == "No such file: /nowhere.png"
    assert terminal.parse("/voicefile", "m5") == "No such file: (none given)"


async def test_download_checks_size_and_presence(terminal: TerminalAdapter, tmp_path: Path) -> None:
    small, big = tmp_path / "s.bin", tmp_path / "b.bin"
    small.write_bytes(b"x" * 10)
    big.write_bytes(b"x" * 2000)
    small_ref = terminal.parse(f"/voicefile {small}", "a")
    big_ref = terminal.parse(f"/voicefile {big}", "b")
    assert isinstance(small_ref, IncomingMessage) and isinstance(big_ref, IncomingMessage)
    assert small_ref.media is not None and big_ref.media is not None
    assert await terminal.download(small_ref.media) == b"x" * 10
    with pytest.raises(MediaTooLarge):
        await terminal.download(big_ref.media)
    small.unlink()
    with pytest.raises(UnreadableMedia):
        await terminal.download(small_ref.media)


async def test_replies_are_printed_and_files_saved(
    terminal: TerminalAdapter, printed: list[str], tmp_path: Path
) -> None:
    await terminal.send_text("terminal", "hi", choices=(Choice(label="Yes", command="/yes"),))
    [voice_id] = await terminal.send_voice(
        "terminal", VoiceAudio(data=b"OggS", duration=1.2), text="spoken"
    )
    await terminal.send_attachment(
        "terminal", Attachment(file_name="h.md", data=b"# h", mime_type="text/markdown")
    )
    assert printed[0] == "omnivox> hi" and "[Yes] /yes" in printed[1]
    assert (tmp_path / "out" / f"reply-{voice_id}.ogg").read_bytes() == b"OggS"
    assert (tmp_path / "out" / "h.md").read_bytes() == b"# h"


async def test_forget_deletes_the_files_written_for_the_chat(
    terminal: TerminalAdapter, tmp_path: Path
) -> None:
    await terminal.send_voice("terminal", VoiceAudio(data=b"OggS", duration=1.0), text="hi")
    export = Attachment(file_name="omnivox-history.md", data=b"# all", mime_type="text/markdown")
    await terminal.send_attachment("terminal", export)
    assert len(list((tmp_path / "out").iterdir())) == 2
    await terminal.forget_chat("terminal")
    assert list((tmp_path / "out").iterdir()) == []
