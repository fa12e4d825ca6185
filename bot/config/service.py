"""Settings of the service itself: server, storage, scale-out, limits, access, the
conversation and live talk."""

from __future__ import annotations

from functools import cached_property

from pydantic import Field, field_validator

from bot.config.base import Section, at_least_one, env

FIRST_CONTACT_NOTICE = (
    "You are talking to an AI assistant. This conversation is stored on this server: "
    "/history shows it, /export downloads it, /forget deletes it."
)


class ServerSettings(Section):
    host: str = Field("127.0.0.1", validation_alias=env("OMNIVOX_HOST", "host"))
    port: int = Field(8080, validation_alias=env("OMNIVOX_PORT", "port"))
    data_dir: str = Field("data", validation_alias=env("OMNIVOX_DATA_DIR", "data_dir"))
    log_level: str = Field("INFO", validation_alias=env("OMNIVOX_LOG_LEVEL", "log_level"))
    log_sql: bool = Field(False, validation_alias=env("OMNIVOX_LOG_SQL", "log_sql"))
    warm_engines: bool = Field(True, validation_alias=env("OMNIVOX_WARM_ENGINES", "warm_engines"))
    http_read_timeout: float = Field(
        10.0, validation_alias=env("OMNIVOX_HTTP_READ_TIMEOUT", "http_read_timeout")
    )
    http_min_upload_rate: float = Field(
        16.0, validation_alias=env("OMNIVOX_HTTP_MIN_UPLOAD_RATE", "http_min_upload_rate")
    )
    http_max_connections: int = Field(
        256, validation_alias=env("OMNIVOX_HTTP_MAX_CONNECTIONS", "http_max_connections")
    )

    @field_validator("http_read_timeout")
    @classmethod
    def _some_time(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be more than 0 seconds")
        return value

    @field_validator("http_min_upload_rate")
    @classmethod
    def _not_negative(cls, value: float) -> float:
        if value < 0:
            raise ValueError("must be 0 (no floor) or more")
        return value

    @field_validator("http_max_connections")
    @classmethod
    def _positive(cls, value: int) -> int:
        return at_least_one(value)


class StorageSettings(Section):
    database_url: str = Field(
        "sqlite+aiosqlite:///data/omnivox.db",
        validation_alias=env("OMNIVOX_DATABASE_URL", "database_url"),
    )


class ScaleSettings(Section):
    """Many gateways and workers on one PostgreSQL database (`omnivox gateway` / `worker`)."""

    delivery_lease: float = Field(
        120.0, validation_alias=env("OMNIVOX_DELIVERY_LEASE", "delivery_lease")
    )
    worker_concurrency: int = Field(
        8, validation_alias=env("OMNIVOX_WORKER_CONCURRENCY", "worker_concurrency")
    )
    heartbeat: float = Field(5.0, validation_alias=env("OMNIVOX_QUEUE_HEARTBEAT", "heartbeat"))
    stalled_after: float = Field(
        30.0, validation_alias=env("OMNIVOX_QUEUE_STALLED_AFTER", "stalled_after")
    )
    leader_retry: float = Field(
        5.0, validation_alias=env("OMNIVOX_LEADER_RETRY", "leader_retry")
    )

    @field_validator("delivery_lease", "heartbeat", "stalled_after", "leader_retry")
    @classmethod
    def _some_time(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be more than 0 seconds")
        return value

    @field_validator("worker_concurrency")
    @classmethod
    def _positive(cls, value: int) -> int:
        return at_least_one(value)


class LimitSettings(Section):
    """What one message may be, on every channel."""

    max_media_mb: int = Field(20, validation_alias=env("OMNIVOX_MAX_MEDIA_MB", "max_media_mb"))
    max_audio_minutes: int = Field(
        120, validation_alias=env("OMNIVOX_MAX_AUDIO_MINUTES", "max_audio_minutes")
    )
    max_text_chars: int = Field(
        8000, validation_alias=env("OMNIVOX_MAX_TEXT_CHARS", "max_text_chars")
    )

    @field_validator("max_media_mb", "max_audio_minutes")
    @classmethod
    def _positive(cls, value: int) -> int:
        return at_least_one(value)

    @property
    def max_media_bytes(self) -> int:
        return self.max_media_mb * 1024 * 1024


class AccessSettings(Section):
    """Who may talk to omnivox, and how often."""

    allowed_users: str = Field("", validation_alias=env("OMNIVOX_ALLOWED_USERS", "allowed_users"))
    rate_limit_per_minute: int = Field(
        20, validation_alias=env("OMNIVOX_RATE_LIMIT_PER_MINUTE", "rate_limit_per_minute")
    )

    @field_validator("rate_limit_per_minute")
    @classmethod
    def _positive(cls, value: int) -> int:
        return at_least_one(value)

    @cached_property
    def allowed_user_keys(self) -> frozenset[str]:
        """`platform:id` entries; empty means everyone is allowed."""
        parts = (p.strip() for p in self.allowed_users.split(","))
        return frozenset(p.lstrip("+") if ":" not in p else user_key(p) for p in parts if p)


class ConversationSettings(Section):
    """How the dispatcher and the pipeline hold a conversation."""

    max_concurrent_chats: int = Field(
        8, validation_alias=env("OMNIVOX_MAX_CONCURRENT_CHATS", "max_concurrent_chats")
    )
    new_message_interrupts: bool = Field(
        True, validation_alias=env("OMNIVOX_NEW_MESSAGE_INTERRUPTS", "new_message_interrupts")
    )
    context_tokens: int = Field(
        1500, validation_alias=env("OMNIVOX_CONTEXT_TOKENS", "context_tokens")
    )
    max_tokens: int = Field(200, validation_alias=env("OMNIVOX_LLM_MAX_TOKENS", "max_tokens"))
    system_prompt: str = Field("", validation_alias=env("OMNIVOX_SYSTEM_PROMPT", "system_prompt"))
    keep_audio: bool = Field(False, validation_alias=env("OMNIVOX_KEEP_AUDIO", "keep_audio"))
    first_contact_notice: str = Field(
        FIRST_CONTACT_NOTICE,
        validation_alias=env("OMNIVOX_FIRST_CONTACT_NOTICE", "first_contact_notice"),
    )
    bot_name: str = Field("omnivox", validation_alias=env("OMNIVOX_BOT_NAME", "bot_name"))

    @field_validator("max_concurrent_chats")
    @classmethod
    def _positive(cls, value: int) -> int:
        return at_least_one(value)


class TalkSettings(Section):
    """Live voice conversations (the web chat's Talk button, WhatsApp calls)."""

    max_calls: int = Field(2, validation_alias=env("OMNIVOX_MAX_CALLS", "max_calls"))
    end_of_turn_ms: int = Field(
        600, validation_alias=env("OMNIVOX_TALK_END_OF_TURN_MS", "end_of_turn_ms")
    )
    idle_timeout_s: float = Field(
        15.0, validation_alias=env("OMNIVOX_TALK_IDLE_TIMEOUT", "idle_timeout_s")
    )
    max_turn_s: float = Field(28.0, validation_alias=env("OMNIVOX_TALK_MAX_TURN_S", "max_turn_s"))
    ice_servers: str = Field("", validation_alias=env("OMNIVOX_TALK_ICE_SERVERS", "ice_servers"))

    @field_validator("max_calls")
    @classmethod
    def _positive(cls, value: int) -> int:
        return at_least_one(value)

    @field_validator("end_of_turn_ms")
    @classmethod
    def _some_silence(cls, value: int) -> int:
        if not 100 <= value <= 5000:
            raise ValueError("must be from 100 to 5000 milliseconds")
        return value

    @field_validator("idle_timeout_s", "max_turn_s")
    @classmethod
    def _some_time(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("must be more than 0 seconds")
        return value

    @property
    def ice_server_urls(self) -> list[str]:
        """STUN/TURN URLs for WebRTC; none: host candidates only (a local network)."""
        return [u.strip() for u in self.ice_servers.split(",") if u.strip()]


def user_key(entry: str) -> str:
    """`platform:id` as access lists compare it: platform lower-cased, no leading `+`."""
    platform, _, ident = entry.partition(":")
    return f"{platform.strip().lower()}:{ident.strip().lstrip('+')}"
