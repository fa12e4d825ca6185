"""Settings of the channels: Telegram and WhatsApp."""

from __future__ import annotations

from pydantic import Field, SecretStr

from bot.config.base import Section, env


class TelegramSettings(Section):
    bot_token: SecretStr = Field(
        SecretStr(""), validation_alias=env("TELEGRAM_BOT_TOKEN", "bot_token")
    )
    api_base_url: str = Field(
        "https://api.telegram.org/bot",
        validation_alias=env("TELEGRAM_API_BASE_URL", "api_base_url"),
    )
    file_base_url: str = Field(
        "https://api.telegram.org/file/bot",
        validation_alias=env("TELEGRAM_FILE_BASE_URL", "file_base_url"),
    )
    webhook_url: str = Field("", validation_alias=env("TELEGRAM_WEBHOOK_URL", "webhook_url"))
    webhook_secret: SecretStr = Field(
        SecretStr(""), validation_alias=env("TELEGRAM_WEBHOOK_SECRET", "webhook_secret")
    )
    rate_limiter: bool = Field(
        True, validation_alias=env("TELEGRAM_RATE_LIMITER", "rate_limiter")
    )
    request_timeout: float = Field(
        15.0, validation_alias=env("TELEGRAM_REQUEST_TIMEOUT", "request_timeout")
    )

    @property
    def enabled(self) -> bool:
        return bool(self.bot_token.get_secret_value())


class WhatsAppSettings(Section):
    access_token: SecretStr = Field(
        SecretStr(""), validation_alias=env("WHATSAPP_ACCESS_TOKEN", "access_token")
    )
    phone_number_id: str = Field(
        "", validation_alias=env("WHATSAPP_PHONE_NUMBER_ID", "phone_number_id")
    )
    app_secret: SecretStr = Field(
        SecretStr(""), validation_alias=env("WHATSAPP_APP_SECRET", "app_secret")
    )
    verify_token: SecretStr = Field(
        SecretStr(""), validation_alias=env("WHATSAPP_VERIFY_TOKEN", "verify_token")
    )
    graph_base_url: str = Field(
        "https://graph.facebook.com",
        validation_alias=env("WHATSAPP_GRAPH_BASE_URL", "graph_base_url"),
    )
    api_version: str = Field(
        "v23.0", validation_alias=env("WHATSAPP_API_VERSION", "api_version")
    )
    reply_template: str = Field(
        "", validation_alias=env("WHATSAPP_REPLY_TEMPLATE", "reply_template")
    )
    reply_template_language: str = Field(
        "en", validation_alias=env("WHATSAPP_REPLY_TEMPLATE_LANGUAGE", "reply_template_language")
    )

    @property
    def enabled(self) -> bool:
        return bool(self.access_token.get_secret_value() and self.phone_number_id)
