"""Settings from the environment and `.env`, one section per concern; secrets never shown.

Each section reads its own environment variables (the names in `.env.example`), so a
component is handed only the section it needs: an engine its engine's section, a channel
its channel's. `Settings` is the whole, for the composition root.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from bot.config.channels import TelegramSettings, WhatsAppSettings
from bot.config.engines import ChatSettings, SpeechSettings, VisionSettings, VoiceSettings
from bot.config.service import (
    FIRST_CONTACT_NOTICE,
    AccessSettings,
    ConversationSettings,
    LimitSettings,
    ScaleSettings,
    ServerSettings,
    StorageSettings,
    TalkSettings,
    user_key,
)

__all__ = [
    "FIRST_CONTACT_NOTICE", "AccessSettings", "ChatSettings", "ConversationSettings",
    "LimitSettings", "ScaleSettings", "ServerSettings", "Settings", "SpeechSettings",
    "StorageSettings", "TalkSettings", "TelegramSettings", "VisionSettings", "VoiceSettings",
    "WhatsAppSettings", "user_key",
]


class Settings(BaseModel):
    """Every setting omnivox reads, by section. `.env.example` documents each one."""

    model_config = ConfigDict(frozen=True)

    server: ServerSettings = Field(default_factory=ServerSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    scale: ScaleSettings = Field(default_factory=ScaleSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    access: AccessSettings = Field(default_factory=AccessSettings)
    conversation: ConversationSettings = Field(default_factory=ConversationSettings)
    talk: TalkSettings = Field(default_factory=TalkSettings)
    speech: SpeechSettings = Field(default_factory=SpeechSettings)
    chat: ChatSettings = Field(default_factory=ChatSettings)
    voice: VoiceSettings = Field(default_factory=VoiceSettings)
    vision: VisionSettings = Field(default_factory=VisionSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    whatsapp: WhatsAppSettings = Field(default_factory=WhatsAppSettings)
