"""Logs hold no secret at any level, and no SQL statement (with what users wrote) unless asked."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.app import serving
from bot.engines.chat.openai_compat import OpenAICompatChat
from bot.logs import quiet_statements
from bot.models import Platform
from tests.fakes.engines import fake_engines
from tests.fakes.graph_server import FakeGraph
from tests.fakes.llm_server import FakeLLMServer
from tests.fakes.telegram_server import FakeBotApi
from tests.support.ports import free_port
from tests.support.settings import make_settings

TELEGRAM_TOKEN = "424242:AAsecretTelegramHalf-0123456789"
LLM_KEY = "sk-test-QuotedBackKey-987654"
WEBHOOK_SECRET = "webhook-secret-5551212"
MARKER = "my-private-words-31337"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """A file handler on the root logger at DEBUG, added the way an operator would."""
    path = tmp_path / "omnivox.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
        quiet_statements(sql=False)


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


async def _post(base: str, chat: str, text: str) -> None:
    async with aiohttp.ClientSession() as session, session.post(
        f"{base}/api/chats/{chat}/messages", data={"text": text}
    ) as response:
        assert response.status == 202, await response.text()


@pytest.mark.parametrize("configured_secret", [WEBHOOK_SECRET, ""])
async def test_no_secret_reaches_a_debug_log(
    tmp_path: Path, log_file: Path, configured_secret: str
) -> None:
    api = await FakeBotApi(token=TELEGRAM_TOKEN).start()
    graph = FakeGraph(token="graph-access-token-777888")
    await graph.start()
    async with FakeLLMServer() as llm:
        llm.fail_next(401)
        port = free_port()
        settings = make_settings(
            host="127.0.0.1", port=port, database_url=f"sqlite+aiosqlite:///{tmp_path}/l.db",
            data_dir=str(tmp_path), warm_engines=False,
            telegram_bot_token=TELEGRAM_TOKEN, telegram_api_base_url=api.base_url,
            telegram_file_base_url=api.base_file_url, telegram_rate_limiter=False,
            telegram_webhook_url="https://omnivox.example/webhooks/telegram",
            telegram_webhook_secret=configured_secret,
            whatsapp_access_token=graph.token, whatsapp_phone_number_id=graph.phone_number_id,
            whatsapp_app_secret="whatsapp-app-secret-444", whatsapp_verify_token="verify-333222",
            whatsapp_graph_base_url=graph.base_url,
            llm="openai", llm_base_url=llm.base_url, llm_api_key=LLM_KEY,
        )  # fmt: skip
        engines = dataclasses.replace(fake_engines(), chat=OpenAICompatChat(settings.chat))
        async with serving(settings, engines) as app:
            derived = app.adapters[1].webhook_secret  # type: ignore[attr-defined]
            await _post(f"http://127.0.0.1:{port}", "logs", MARKER)
            await app.dispatcher.idle()
            listed = await app.store.history.messages(Platform.WEB, "logs")
    await api.stop()
    await graph.stop()
    logged = _read(log_file)
    assert "Set Bot API URL" in logged and "setWebhook" in logged  # the lines that held them
    assert "Incorrect API key provided" in logged
    assert listed[-1].direction.value == "out"
    for secret in (TELEGRAM_TOKEN, TELEGRAM_TOKEN.split(":")[1], derived, LLM_KEY, graph.token,
                   "whatsapp-app-secret-444", "verify-333222"):  # fmt: skip
        assert secret not in logged, secret


async def test_statements_stay_out_of_debug_unless_asked(
    tmp_path: Path, log_file: Path, store: Any, message: Any
) -> None:
    quiet_statements(sql=False)
    await store.inbox.accept(message(MARKER), in_context=True)
    assert MARKER not in _read(log_file)
    quiet_statements(sql=True)
    await store.inbox.accept(message(MARKER + "-again", message_id="m-2"), in_context=True)
    assert MARKER in _read(log_file)


def test_a_secret_in_a_traceback_is_redacted(log_file: Path) -> None:
    from bot.redaction import protect

    protect("traceback-secret-abcdef")
    try:
        raise RuntimeError("refused: traceback-secret-abcdef")
    except RuntimeError:
        logging.getLogger("omnivox.test").exception("failed with %s", "traceback-secret-abcdef")
    logged = log_file.read_text()
    assert "RuntimeError: refused: [redacted]" in logged
    assert "traceback-secret-abcdef" not in logged
