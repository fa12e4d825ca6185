"""X-Hub-Signature-256 verdicts."""

from __future__ import annotations

import pytest

from adapters.whatsapp.signature import Verdict, check, sign

SECRET = b"s3cret"
BODY = b'{"object":"whatsapp_business_account","entry":[]}'


def test_sign_matches_meta_format() -> None:
    # echo -n BODY | openssl dgst -sha256 -hmac s3cret
    assert sign(SECRET, BODY).startswith("sha256=") and len(sign(SECRET, BODY)) == 7 + 64


@pytest.mark.parametrize(
    ("header", "verdict"),
    [
        (None, Verdict.MISSING),
        ("", Verdict.MISSING),
        ("   ", Verdict.MISSING),
        (sign(SECRET, BODY), Verdict.VALID),
        (f"  {sign(SECRET, BODY)} ", Verdict.VALID),
        (sign(b"other", BODY), Verdict.WRONG),
        (sign(SECRET, BODY + b" "), Verdict.WRONG),
        (sign(SECRET, BODY).replace("sha256=", "sha1="), Verdict.WRONG),
        (sign(SECRET, BODY)[7:], Verdict.WRONG),
        ("sha256=zz", Verdict.WRONG),
        ("sha256=é", Verdict.WRONG),
    ],
    ids=[
        "absent",
        "empty",
        "blank",
        "valid",
        "padded",
        "other secret",
        "other body",
        "other algorithm",
        "no prefix",
        "garbage",
        "non-ascii",
    ],
)
def test_check(header: str | None, verdict: Verdict) -> None:
    assert check(SECRET, BODY, header) is verdict


def test_no_secret_configured_refuses_everything() -> None:
    assert check(b"", BODY, sign(b"", BODY)) is Verdict.WRONG
