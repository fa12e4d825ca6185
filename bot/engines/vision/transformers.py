"""Photo captions with a transformers image-to-text model (BLIP, ViT-GPT2...).

`OMNIVOX_VISION_MODEL` is a hub id (fetched once into the Hugging Face cache,
so it needs the internet the first time) or a local folder holding the model,
its image processor and tokenizer. When the offline describer's packages are
installed too, their OCR text and labels are added, since captioners rarely
read text.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from pathlib import Path
from typing import Any

from bot.config import VisionSettings
from bot.engines.runtime import Bound, LazyModel
from bot.engines.vision.rapidocr_efficientnet import LocalDescriber
from bot.errors import EngineUnavailable
from bot.ports.engines import EngineStatus, ImageDescription

log = logging.getLogger(__name__)

HINT = "pip install 'omnivox[remote]' (transformers) and set OMNIVOX_VISION_MODEL"
DEFAULT_MODEL = "Salesforce/blip-image-captioning-base"
MAX_CAPTION_TOKENS = 40


def _load_model(transformers: Any, source: str) -> Any:
    """The image-to-text auto class (its name changed across transformers versions)."""
    error: Exception = EngineUnavailable("transformers has no image-to-text auto class", hint=HINT)
    for name in ("AutoModelForImageTextToText", "AutoModelForVision2Seq"):
        auto = getattr(transformers, name, None)
        if auto is None:
            continue
        try:
            return auto.from_pretrained(source)
        except ValueError as exc:  # this auto class does not map the model's type
            error = exc
    raise error


class _Loaded:
    def __init__(self, source: str) -> None:
        import torch
        import transformers
        from transformers import AutoImageProcessor, AutoTokenizer

        self.model = _load_model(transformers, source)
        self.model.eval()
        self.images = AutoImageProcessor.from_pretrained(source)
        self.tokenizer = AutoTokenizer.from_pretrained(source)
        self.torch = torch

    def caption(self, picture: Any) -> str:
        pixels = self.images(images=picture, return_tensors="pt")["pixel_values"]
        with self.torch.inference_mode():
            out = self.model.generate(pixel_values=pixels, max_new_tokens=MAX_CAPTION_TOKENS)
        return str(self.tokenizer.batch_decode(out, skip_special_tokens=True)[0]).strip()


class TransformersCaptioner:
    """Captions photos; adds OCR text and labels when the local describer can run."""

    name = "transformers-captioner"
    can_caption = True

    def __init__(self, settings: VisionSettings) -> None:
        self.model_name = settings.model or DEFAULT_MODEL
        self._bound = Bound(max(1, settings.concurrency))
        self._model: LazyModel[_Loaded] = LazyModel(
            self.name, lambda: _Loaded(self.model_name), hint=HINT
        )
        local = LocalDescriber(settings)
        self._local: LocalDescriber | None = local if local.status().available else None

    async def warm_up(self) -> None:
        await self._model.get()
        if self._local is not None:
            await self._local.warm_up()

    async def describe(self, image: bytes) -> ImageDescription:
        from bot.images import load_rgb

        loaded = await self._model.get()
        picture = await asyncio.to_thread(load_rgb, image)
        caption = await self._bound.run(loaded.caption, picture)
        found = await self._local_findings(image)
        return ImageDescription(
            caption=caption or None,
            labels=found.labels if found else (),
            text=found.text if found else "",
            width=picture.width,
            height=picture.height,
        )

    async def _local_findings(self, image: bytes) -> ImageDescription | None:
        if self._local is None:
            return None
        try:
            return await self._local.describe(image)
        except EngineUnavailable as exc:
            log.warning("OCR/labels unavailable beside the captioner: %s", exc)
            self._local = None
            return None

    def status(self) -> EngineStatus:
        missing = [p for p in ("transformers", "torch") if importlib.util.find_spec(p) is None]
        if missing:
            return EngineStatus(
                job="photos", engine=self.name, available=False,
                detail=f"missing: {', '.join(missing)}", hint=HINT,
            )
        if self._model.last_error:
            return EngineStatus(
                job="photos", engine=self.name, available=False,
                detail=f"failed to load: {self._model.last_error}",
                hint="check OMNIVOX_VISION_MODEL",
            )
        extra = " + OCR/labels" if self._local else ""
        if not Path(self.model_name).expanduser().is_dir():
            extra += " (a hub id: fetched on first use unless cached)"
        return EngineStatus(
            job="photos", engine=self.name, available=True,
            detail=f"captions with {self.model_name}{extra}",
        )
