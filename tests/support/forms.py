"""The multipart form the web chat's page sends: text fields, and files as
(file name, bytes, content type)."""

from __future__ import annotations

from typing import Any

import aiohttp


def multipart(**fields: Any) -> aiohttp.FormData:
    form = aiohttp.FormData()
    for name, value in fields.items():
        if isinstance(value, tuple):
            form.add_field(name, value[1], filename=value[0], content_type=value[2])
        else:
            form.add_field(name, value)
    return form
