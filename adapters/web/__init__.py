"""The local web chat: a page and a small JSON API on our aiohttp server."""
