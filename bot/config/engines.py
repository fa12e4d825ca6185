"""Settings of the engines: speech to text, chat, voice and vision."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from bot.config.base import Section, env


class SpeechSettings(Section):
    engine: Literal["faster-whisper", "openai-whisper", "openai"] = Field(
        "faster-whisper", validation_alias=env("OMNIVOX_ASR", "engine")
    )
    # OMNIVOX_ASR=openai: an OpenAI-compatible /v1/audio/transcriptions endpoint
    base_url: str = Field(
        "https://api.openai.com/v1", validation_alias=env("OMNIVOX_ASR_BASE_URL", "base_url")
    )
    api_key: SecretStr = Field(
        SecretStr(""), validation_alias=env("OMNIVOX_ASR_API_KEY", "api_key")
    )
    model: str = Field("", validation_alias=env("OMNIVOX_ASR_MODEL", "model"))
    language: str = Field("", validation_alias=env("OMNIVOX_ASR_LANGUAGE", "language"))
    concurrency: int = Field(1, validation_alias=env("OMNIVOX_ENGINE_CONCURRENCY", "concurrency"))
    cache_dir: str = Field(
        "~/.cache/omnivox", validation_alias=env("OMNIVOX_MODEL_CACHE", "cache_dir")
    )


class ChatSettings(Section):
    engine: Literal["llama-cpp", "transformers", "openai"] = Field(
        "llama-cpp", validation_alias=env("OMNIVOX_LLM", "engine")
    )
    model: str = Field("", validation_alias=env("OMNIVOX_LLM_MODEL", "model"))
    base_url: str = Field(
        "https://api.openai.com/v1", validation_alias=env("OMNIVOX_LLM_BASE_URL", "base_url")
    )
    api_key: SecretStr = Field(
        SecretStr(""), validation_alias=env("OMNIVOX_LLM_API_KEY", "api_key")
    )
    vision: bool = Field(False, validation_alias=env("OMNIVOX_LLM_VISION", "vision"))
    threads: int = Field(0, validation_alias=env("OMNIVOX_LLM_THREADS", "threads"))
    cache_dir: str = Field(
        "~/.cache/omnivox", validation_alias=env("OMNIVOX_MODEL_CACHE", "cache_dir")
    )


class VoiceSettings(Section):
    engine: Literal["piper", "edge-tts", "espeak", "openai"] = Field(
        "piper", validation_alias=env("OMNIVOX_TTS", "engine")
    )
    voice: str = Field("", validation_alias=env("OMNIVOX_TTS_VOICE", "voice"))
    # OMNIVOX_TTS=openai: an OpenAI-compatible /v1/audio/speech endpoint
    model: str = Field("", validation_alias=env("OMNIVOX_TTS_MODEL", "model"))
    base_url: str = Field(
        "https://api.openai.com/v1", validation_alias=env("OMNIVOX_TTS_BASE_URL", "base_url")
    )
    api_key: SecretStr = Field(
        SecretStr(""), validation_alias=env("OMNIVOX_TTS_API_KEY", "api_key")
    )
    piper_voices: str = Field(
        "", validation_alias=env("OMNIVOX_PIPER_VOICES", "piper_voices")
    )
    concurrency: int = Field(1, validation_alias=env("OMNIVOX_ENGINE_CONCURRENCY", "concurrency"))
    cache_dir: str = Field(
        "~/.cache/omnivox", validation_alias=env("OMNIVOX_MODEL_CACHE", "cache_dir")
    )


class VisionSettings(Section):
    engine: Literal["local", "transformers"] = Field(
        "local", validation_alias=env("OMNIVOX_VISION", "engine")
    )
    model: str = Field("", validation_alias=env("OMNIVOX_VISION_MODEL", "model"))
    concurrency: int = Field(1, validation_alias=env("OMNIVOX_ENGINE_CONCURRENCY", "concurrency"))
