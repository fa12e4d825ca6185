"""The transformers captioner: a tiny random VisionEncoderDecoder through the real loader."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from bot.engines.vision.transformers import TransformersCaptioner
from tests.support.settings import make_settings

pytestmark = pytest.mark.slow

transformers = pytest.importorskip("transformers")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ViT encoder + GPT-2 decoder, random weights, word-level tokenizer, saved locally."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        GPT2Config,
        PreTrainedTokenizerFast,
        VisionEncoderDecoderConfig,
        VisionEncoderDecoderModel,
        ViTConfig,
        ViTImageProcessor,
    )

    words = ["<pad>", "<s>", "</s>", "<unk>", "a", "cup", "of", "coffee", "on", "table"]
    vocab = {w: i for i, w in enumerate(words)}
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core, bos_token="<s>", eos_token="</s>", pad_token="<pad>",
        unk_token="<unk>",
    )
    encoder = ViTConfig(image_size=32, patch_size=16, hidden_size=32, num_hidden_layers=1,
                        num_attention_heads=2, intermediate_size=64)
    decoder = GPT2Config(vocab_size=len(words), n_positions=64, n_embd=32, n_layer=1, n_head=2,
                         bos_token_id=1, eos_token_id=2, pad_token_id=0)
    config = VisionEncoderDecoderConfig.from_encoder_decoder_configs(encoder, decoder)
    config.decoder_start_token_id = 1
    config.pad_token_id = 0
    config.eos_token_id = 2
    import torch

    torch.manual_seed(0)
    model = VisionEncoderDecoderModel(config=config)
    # random weights may well say </s> or <pad> first; keep them to the words so the
    # decoded caption is never empty
    model.generation_config.suppress_tokens = [0, 1, 2, 3]
    model.generation_config.decoder_start_token_id = 1
    model.generation_config.pad_token_id = 0
    model.generation_config.eos_token_id = 2
    folder = tmp_path_factory.mktemp("captioner")
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


async def test_tiny_random_captioner_returns_a_string(
    tiny_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model is a local folder; with the hub off, any attempt to fetch would fail loudly.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    engine = TransformersCaptioner(make_settings(vision="transformers",
                                                 vision_model=str(tiny_model)).vision)
    assert engine.can_caption
    out = io.BytesIO()
    Image.new("RGB", (120, 90), "brown").save(out, format="JPEG")
    found = await engine.describe(out.getvalue())
    assert isinstance(found.caption, str) and found.caption  # gibberish, but words
    assert (found.width, found.height) == (120, 90)
    assert engine.status().available
