"""Chat with a GGUF model through llama-cpp-python (the default, fully offline).

The default model is Qwen2.5-Coder-0.5B-Instruct Q4_K_M (see `gguf.py` for the others):
on this machine it loads in about a third of a second and streams ~20 tokens/s on two
threads; SmolLM2-135M streams ~90 tokens/s but answers far worse.
A `Llama` instance is not thread-safe, so generations are strictly one at a
time whatever `engine_concurrency` says; a cancelled stream stops within a token.

Threads: llama.cpp's workers spin on barriers, so when anything else wants a
core (speech recognition for another chat, Piper speaking the previous
sentence) a generation using every core slows down tenfold. By default it
leaves one core free (`OMNIVOX_LLM_THREADS=0`); set it to use more.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

from bot.config import ChatSettings
from bot.engines import hub
from bot.engines.chat.gguf import HINT as GGUF_HINT
from bot.engines.chat.gguf import bundle_for, resolve_model
from bot.engines.chat.messages import text_messages
from bot.engines.runtime import Bound, LazyModel, stream_in_thread
from bot.engines.weights import check
from bot.models import ChatTurn
from bot.ports.engines import EngineStatus

HINT = "CMAKE_ARGS='-DGGML_NATIVE=OFF -DGGML_AVX2=ON' pip install llama-cpp-python"
CONTEXT_TOKENS = 4096


def default_threads() -> int:
    """All cores but one (at least one, at most eight)."""
    return max(1, min(8, (os.cpu_count() or 2) - 1))


class LlamaCppChat:
    """Streams answers from a local GGUF model with its own chat template."""

    name = "llama-cpp"
    accepts_images = False

    def __init__(self, settings: ChatSettings) -> None:
        self._configured = settings.model
        self._cache = Path(settings.cache_dir).expanduser()
        self.threads = settings.threads or default_threads()
        self._bound = Bound(1)
        self._model: LazyModel[Any] = LazyModel(self.name, self._load, hint=HINT)
        self.model_path: str | None = None

    def _load(self) -> Any:
        from llama_cpp import Llama

        path = resolve_model(self._configured, self._cache)
        self.model_path = str(path)
        return Llama(
            model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=self.threads,
            n_threads_batch=self.threads, n_batch=256, verbose=False,
        )

    async def warm_up(self) -> None:
        await self._model.get()

    async def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        model = await self._model.get()
        messages = text_messages(turns)

        def generate() -> Iterator[str]:
            chunks = model.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                stream=True,
                temperature=0.3,
                top_p=0.9,
                repeat_penalty=1.15,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

        async with aclosing(stream_in_thread(generate, self._bound)) as pieces:
            async for piece in pieces:
                yield piece

    def token_count(self, text: str) -> int:
        """Tokens in `text` for this model (loads it if needed; call from a thread)."""
        model = self._model.get_sync()
        return len(model.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def status(self) -> EngineStatus:
        job = "chat"
        if importlib.util.find_spec("llama_cpp") is None:
            return EngineStatus(
                job=job, engine=self.name, available=False,
                detail="llama-cpp-python is not installed", hint=HINT,
            )
        bundle = bundle_for(self._configured)
        if bundle is not None:
            problem = check(bundle, self._cache / "models")
            if problem:
                return EngineStatus(job=job, engine=self.name, available=False,
                                    detail=f"{bundle.title}: {problem}",
                                    hint=bundle.install_hint)  # fmt: skip
            name = f"{bundle.title} (checksum ok)"
        elif Path(self._configured).expanduser().is_file():
            name = Path(self._configured).name
        elif hub.is_gguf_reference(self._configured):
            name = f"{self._configured} (Hugging Face Hub, downloaded once)"
        else:
            return EngineStatus(job=job, engine=self.name, available=False,
                                detail=f"no GGUF file at {self._configured}", hint=GGUF_HINT)
        if self._model.last_error:
            return EngineStatus(
                job=job, engine=self.name, available=False,
                detail=f"failed to load: {self._model.last_error}", hint=HINT,
            )
        detail = f"{name}, {self.threads} thread(s), one generation at a time"
        if self._model.loaded:
            detail += f", loaded in {self._model.load_seconds:.2f} s"
        return EngineStatus(job=job, engine=self.name, available=True, detail=detail)
