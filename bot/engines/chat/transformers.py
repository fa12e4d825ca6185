"""Chat with a transformers causal LM: a model id, a local folder, or a GGUF file.

With no model configured it loads the SmolLM2 GGUF that the llama.cpp engine
offers as `smollm2-135m` (transformers de-quantises it, which needs the `gguf`
package). Measured here it loads in ~20 s and streams ~20 tokens/s against
llama.cpp's 0.2 s and ~90 tokens/s, so llama.cpp is the default; this engine
is for models llama.cpp cannot run. Generation is one at a time (torch already
uses every core) and stops between tokens when the consumer cancels.
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

from bot.config import ChatSettings
from bot.engines.chat.gguf import smollm2_file
from bot.engines.chat.messages import text_messages
from bot.engines.runtime import Bound, LazyModel, stream_in_thread
from bot.models import ChatTurn
from bot.ports.engines import EngineStatus

HINT = "pip install 'omnivox[remote]' gguf accelerate (transformers + torch==2.13.0)"


def _source(configured: str) -> tuple[str, dict[str, Any]]:
    """What to pass to from_pretrained: a folder or id, plus `gguf_file` for GGUF."""
    path = Path(configured).expanduser() if configured else smollm2_file()
    if path.suffix == ".gguf":
        return str(path.parent), {"gguf_file": path.name}
    return configured, {}


class _Loaded:
    def __init__(self, configured: str) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        source, extra = _source(configured)
        self.tokenizer = AutoTokenizer.from_pretrained(source, **extra)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=torch.float32, **extra)
        self.model = model.eval()
        self.torch = torch


class TransformersChat:
    """Streams answers from a transformers model through TextIteratorStreamer."""

    name = "transformers"
    accepts_images = False

    def __init__(self, settings: ChatSettings) -> None:
        self._configured = settings.model
        self._bound = Bound(1)
        self._model: LazyModel[_Loaded] = LazyModel(
            self.name, lambda: _Loaded(self._configured), hint=HINT
        )

    async def warm_up(self) -> None:
        await self._model.get()

    async def stream(self, turns: Sequence[ChatTurn], *, max_tokens: int) -> AsyncIterator[str]:
        loaded = await self._model.get()
        messages = text_messages(turns)
        make = lambda: _generate(loaded, messages, max_tokens)  # noqa: E731
        async with aclosing(stream_in_thread(make, self._bound)) as pieces:
            async for piece in pieces:
                yield piece

    def token_count(self, text: str) -> int:
        """Tokens in `text` for this model (loads it if needed; call from a thread)."""
        loaded = self._model.get_sync()
        return len(loaded.tokenizer(text, add_special_tokens=False)["input_ids"])

    def status(self) -> EngineStatus:
        missing = [p for p in ("transformers", "torch") if importlib.util.find_spec(p) is None]
        if not self._configured or self._configured.endswith(".gguf"):
            missing += ["gguf"] if importlib.util.find_spec("gguf") is None else []
        if missing:
            return EngineStatus(
                job="chat", engine=self.name, available=False,
                detail=f"missing: {', '.join(missing)}", hint=HINT,
            )
        if self._model.last_error:
            return EngineStatus(
                job="chat", engine=self.name, available=False,
                detail=f"failed to load: {self._model.last_error}", hint="check OMNIVOX_LLM_MODEL",
            )
        what = self._configured or "SmolLM2-135M-Instruct (bundled GGUF)"
        return EngineStatus(
            job="chat", engine=self.name, available=True, detail=f"{what}, CPU float32"
        )


def _generate(loaded: _Loaded, messages: list[dict[str, Any]], max_tokens: int) -> Iterator[str]:
    """Run generate() in its own thread and yield decoded text as it streams."""
    from transformers import StoppingCriteria, StoppingCriteriaList, TextIteratorStreamer

    torch = loaded.torch
    stop = threading.Event()
    failure: list[BaseException] = []

    class _StopWhenAsked(StoppingCriteria):
        def __call__(self, input_ids: Any, scores: Any, **_kwargs: Any) -> Any:
            return torch.full((input_ids.shape[0],), stop.is_set(), dtype=torch.bool)

    tokenizer = loaded.tokenizer
    inputs: Any = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, return_tensors="pt", return_dict=True
    )
    streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True)

    def run() -> None:
        try:
            with torch.inference_mode():
                loaded.model.generate(
                    **inputs, streamer=streamer, max_new_tokens=max_tokens, do_sample=True,
                    temperature=0.3, top_p=0.9, repetition_penalty=1.15,
                    stopping_criteria=StoppingCriteriaList([_StopWhenAsked()]),
                    pad_token_id=tokenizer.eos_token_id,
                )
        except BaseException as exc:
            failure.append(exc)
            streamer.end()

    worker = threading.Thread(target=run, name="transformers-generate", daemon=True)
    worker.start()
    try:
        for text in streamer:
            if text:
                yield text
    finally:
        stop.set()
        worker.join()
    if failure:
        raise failure[0]
