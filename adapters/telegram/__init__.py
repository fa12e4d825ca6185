"""Telegram channel: python-telegram-bot inside our aiohttp server and event loop."""
