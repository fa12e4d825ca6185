"""Rows and the core's values meet in one place: times, media, blobs."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.models import Attachment, MediaRef, Reply, VoiceAudio
from storage.mapping import aware, blob_rows, choices_json, media_json, media_ref


def test_naive_times_from_sqlite_are_utc() -> None:
    naive = datetime(2026, 12, 1, 10, 0)
    assert aware(naive) == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert aware(None) is None
    stamped = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert aware(stamped) is stamped


def test_media_round_trips_through_json() -> None:
    media = MediaRef(file_id="f", mime_type="image/png", size=3, duration=None, file_name="p.png")
    assert media_ref(media_json(media)) == media
    assert media_json(None) is None and media_ref(None) is None and media_ref({}) is None


def test_a_reply_has_a_blob_per_part() -> None:
    assert blob_rows(1, Reply(text="plain")) == []
    both = Reply(text="t", voice=VoiceAudio(data=b"v", duration=1.0),
                 attachment=Attachment(file_name="a.md", data=b"a", mime_type="text/markdown"))
    assert [(r["role"], r["data"]) for r in blob_rows(7, both)] == [("voice", b"v"),
                                                                     ("attachment", b"a")]
    assert choices_json(()) is None
