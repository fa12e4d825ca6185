"""Settings from the environment and `.env`; secrets never appear in repr or logs."""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _env(name: str, field: str) -> AliasChoices:
    return AliasChoices(name, field)


class Settings(BaseSettings):
    """Every setting omnivox reads. `.env.example` documents each one."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", populate_by_name=True, frozen=True
    )

    # server and storage
    host: str = Field("127.0.0.1", validation_alias=_env("OMNIVOX_HOST", "host"))
    port: int = Field(8080, validation_alias=_env("OMNIVOX_PORT", "port"))
    database_url: str = Field(
        "sqlite+aiosqlite:///data/omnivox.db",
        validation_alias=_env("OMNIVOX_DATABASE_URL", "database_url"),
    )
    data_dir: str = Field("data", validation_alias=_env("OMNIVOX_DATA_DIR", "data_dir"))
    log_level: str = Field("INFO", validation_alias=_env("OMNIVOX_LOG_LEVEL", "log_level"))
    keep_audio: bool = Field(False, validation_alias=_env("OMNIVOX_KEEP_AUDIO", "keep_audio"))

    # limits and access
    max_media_mb: int = Field(20, validation_alias=_env("OMNIVOX_MAX_MEDIA_MB", "max_media_mb"))
    max_text_chars: int = Field(
        8000, validation_alias=_env("OMNIVOX_MAX_TEXT_CHARS", "max_text_chars")
    )
    allowed_users: str = Field("", validation_alias=_env("OMNIVOX_ALLOWED_USERS", "allowed_users"))
    rate_limit_per_minute: int = Field(
        20, validation_alias=_env("OMNIVOX_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute")
    )
    max_concurrent_chats: int = Field(
        8, validation_alias=_env("OMNIVOX_MAX_CONCURRENT_CHATS", "max_concurrent_chats")
    )
    engine_concurrency: int = Field(
        1, validation_alias=_env("OMNIVOX_ENGINE_CONCURRENCY", "engine_concurrency")
    )
    new_message_interrupts: bool = Field(
        True, validation_alias=_env("OMNIVOX_NEW_MESSAGE_INTERRUPTS", "new_message_interrupts")
    )
    context_tokens: int = Field(
        1500, validation_alias=_env("OMNIVOX_CONTEXT_TOKENS", "context_tokens")
    )

    # engines
    asr: Literal["faster-whisper", "openai-whisper"] = Field(
        "faster-whisper", validation_alias=_env("OMNIVOX_ASR", "asr")
    )
    asr_model: str = Field("", validation_alias=_env("OMNIVOX_ASR_MODEL", "asr_model"))
    asr_language: str = Field("", validation_alias=_env("OMNIVOX_ASR_LANGUAGE", "asr_language"))
    llm: Literal["llama-cpp", "transformers", "openai"] = Field(
        "llama-cpp", validation_alias=_env("OMNIVOX_LLM", "llm")
    )
    llm_model: str = Field("", validation_alias=_env("OMNIVOX_LLM_MODEL", "llm_model"))
    llm_base_url: str = Field(
        "https://api.openai.com/v1", validation_alias=_env("OMNIVOX_LLM_BASE_URL", "llm_base_url")
    )
    llm_api_key: SecretStr = Field(
        SecretStr(""), validation_alias=_env("OMNIVOX_LLM_API_KEY", "llm_api_key")
    )
    llm_vision: bool = Field(False, validation_alias=_env("OMNIVOX_LLM_VISION", "llm_vision"))
    llm_max_tokens: int = Field(
        200, validation_alias=_env("OMNIVOX_LLM_MAX_TOKENS", "llm_max_tokens")
    )
    llm_threads: int = Field(0, validation_alias=_env("OMNIVOX_LLM_THREADS", "llm_threads"))
    system_prompt: str = Field("", validation_alias=_env("OMNIVOX_SYSTEM_PROMPT", "system_prompt"))
    tts: Literal["piper", "edge-tts", "espeak"] = Field(
        "piper", validation_alias=_env("OMNIVOX_TTS", "tts")
    )
    tts_voice: str = Field("", validation_alias=_env("OMNIVOX_TTS_VOICE", "tts_voice"))
    vision: Literal["local", "transformers"] = Field(
        "local", validation_alias=_env("OMNIVOX_VISION", "vision")
    )
    vision_model: str = Field("", validation_alias=_env("OMNIVOX_VISION_MODEL", "vision_model"))
    warm_engines: bool = Field(True, validation_alias=_env("OMNIVOX_WARM_ENGINES", "warm_engines"))

    # Telegram
    telegram_bot_token: SecretStr = Field(
        SecretStr(""), validation_alias=_env("TELEGRAM_BOT_TOKEN", "telegram_bot_token")
    )
    telegram_api_base_url: str = Field(
        "https://api.telegram.org/bot",
        validation_alias=_env("TELEGRAM_API_BASE_URL", "telegram_api_base_url"),
    )
    telegram_file_base_url: str = Field(
        "https://api.telegram.org/file/bot",
        validation_alias=_env("TELEGRAM_FILE_BASE_URL", "telegram_file_base_url"),
    )
    telegram_webhook_url: str = Field(
        "", validation_alias=_env("TELEGRAM_WEBHOOK_URL", "telegram_webhook_url")
    )
    telegram_webhook_secret: SecretStr = Field(
        SecretStr(""), validation_alias=_env("TELEGRAM_WEBHOOK_SECRET", "telegram_webhook_secret")
    )
    telegram_rate_limiter: bool = Field(
        True, validation_alias=_env("TELEGRAM_RATE_LIMITER", "telegram_rate_limiter")
    )

    # WhatsApp Cloud API
    whatsapp_access_token: SecretStr = Field(
        SecretStr(""), validation_alias=_env("WHATSAPP_ACCESS_TOKEN", "whatsapp_access_token")
    )
    whatsapp_phone_number_id: str = Field(
        "", validation_alias=_env("WHATSAPP_PHONE_NUMBER_ID", "whatsapp_phone_number_id")
    )
    whatsapp_app_secret: SecretStr = Field(
        SecretStr(""), validation_alias=_env("WHATSAPP_APP_SECRET", "whatsapp_app_secret")
    )
    whatsapp_verify_token: SecretStr = Field(
        SecretStr(""), validation_alias=_env("WHATSAPP_VERIFY_TOKEN", "whatsapp_verify_token")
    )
    whatsapp_graph_base_url: str = Field(
        "https://graph.facebook.com",
        validation_alias=_env("WHATSAPP_GRAPH_BASE_URL", "whatsapp_graph_base_url"),
    )
    whatsapp_api_version: str = Field(
        "v23.0", validation_alias=_env("WHATSAPP_API_VERSION", "whatsapp_api_version")
    )

    @field_validator("max_media_mb", "rate_limit_per_minute", "max_concurrent_chats")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @property
    def max_media_bytes(self) -> int:
        return self.max_media_mb * 1024 * 1024

    @cached_property
    def allowed_user_keys(self) -> frozenset[str]:
        """`platform:id` entries; empty means everyone is allowed."""
        parts = (p.strip() for p in self.allowed_users.split(","))
        return frozenset(p.lstrip("+") if ":" not in p else user_key(p) for p in parts if p)

    @property
    def telegram_enabled(self) -> bool:
        return bool(self.telegram_bot_token.get_secret_value())

    @property
    def whatsapp_enabled(self) -> bool:
        return bool(
            self.whatsapp_access_token.get_secret_value() and self.whatsapp_phone_number_id
        )


def user_key(entry: str) -> str:
    """`platform:id` as access lists compare it: platform lower-cased, no leading `+`."""
    platform, _, ident = entry.partition(":")
    return f"{platform.strip().lower()}:{ident.strip().lstrip('+')}"
