"""Graph error bodies → severity → the DeliveryError the outbox sees."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from adapters.whatsapp.errors import (
    GraphAPIError,
    GraphError,
    Severity,
    TokenAlarm,
    to_delivery_error,
)
from tests.support.whatsapp_bodies import CORPUS


def body(code: int, message: str = "m", **extra: Any) -> dict[str, Any]:
    return {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": "T",
            **extra,
        }
    }


# name, HTTP status, body, severity, permanent, retry_after
CASES = [
    ("re-engagement", 400, body(131047), Severity.PERMANENT, False, None),
    ("throughput", 400, body(130429), Severity.TRANSIENT, False, 5.0),
    ("pair rate limit", 400, body(131056), Severity.TRANSIENT, False, 6.0),
    ("account rate limit", 400, body(80007), Severity.TRANSIENT, False, 60.0),
    ("app call limit", 400, body(4), Severity.TRANSIENT, False, 60.0),
    ("spam rate limit", 400, body(131048), Severity.TRANSIENT, False, 60.0),
    ("expired token", 401, body(190, error_subcode=463), Severity.AUTH, False, 60.0),
    ("media upload error", 400, body(131053), Severity.MEDIA, True, None),
    ("invalid parameter", 400, body(100), Severity.PERMANENT, True, None),
    ("undeliverable", 400, body(131026), Severity.PERMANENT, True, None),
    ("service unavailable", 503, body(131016), Severity.TRANSIENT, False, 10.0),
    ("bare 500", 500, None, Severity.TRANSIENT, False, 10.0),
    ("bare 502 html", 502, "<html>", Severity.TRANSIENT, False, 10.0),
    ("connection failed", 0, None, Severity.TRANSIENT, False, 10.0),
    ("bare 404", 404, None, Severity.PERMANENT, True, None),
    ("bare 401", 401, None, Severity.AUTH, False, 60.0),
]


@pytest.mark.parametrize(
    ("status", "payload", "severity", "permanent", "retry_after"),
    [pytest.param(*c[1:], id=c[0]) for c in CASES],
)
def test_classification(
    status: int, payload: Any, severity: Severity, permanent: bool, retry_after: float | None
) -> None:
    err = GraphError.from_body(status, payload)
    assert err.severity is severity
    delivery = to_delivery_error(GraphAPIError(err))
    assert (delivery.permanent, delivery.retry_after) == (permanent, retry_after)


def test_re_engagement_waits_for_the_user_and_says_so() -> None:
    err = to_delivery_error(GraphAPIError(GraphError.from_body(400, body(131047))))
    assert "24-hour window" in err.reason and err.waits_for_user


def test_fields_are_kept() -> None:
    err = GraphError.from_body(
        400,
        {
            "error": {
                "message": "(#131053) Media upload error",
                "code": "131053",
                "error_subcode": 2494,
                "error_data": {"details": "Downloading media failed"},
                "fbtrace_id": "AbC",
            }
        },
    )
    assert (err.code, err.subcode, err.details, err.fbtrace_id) == (
        131053,
        2494,
        "Downloading media failed",
        "AbC",
    )
    assert "Downloading media failed" in str(err)


def test_token_alarm_logs_once_a_minute(caplog: pytest.LogCaptureFixture) -> None:
    alarm = TokenAlarm(every=60)
    exc = GraphAPIError(GraphError.from_body(401, body(190)))
    with caplog.at_level(logging.ERROR):
        assert [alarm.report(exc) for _ in range(50)].count(True) == 1
    assert len(caplog.records) == 1 and "WHATSAPP_ACCESS_TOKEN" in caplog.text
    alarm._last = alarm._last - 61  # type: ignore[operator]
    assert alarm.report(exc) is True


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("name", "severity"),
    [
        ("pywa_error_131047_re_engagement.json", Severity.PERMANENT),
        ("pywa_error_131053_media_upload_error.json", Severity.MEDIA),
        ("pywa_error_190_expired_access_token.json", Severity.AUTH),
    ],
)
def test_corpus_error_objects(name: str, severity: Severity) -> None:
    path = CORPUS / name
    if not path.exists():
        pytest.skip(f"{path} is not here")
    error = json.loads(path.read_text())
    err = GraphError.from_body(400, {"error": error})
    assert err.severity is severity and err.code == error["code"]
