"""Channels: each turns platform traffic into `IncomingMessage`s and replies into calls."""
