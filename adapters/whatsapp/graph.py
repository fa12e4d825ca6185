"""A small Graph API client for the Cloud API calls omnivox makes, on aiohttp.

Why not pywa (the well-kept Python library for this API)? We looked at 4.5:
its client runs on httpx, so it would be a second HTTP stack next to our
aiohttp server; it pins the host to graph.facebook.com inside its session
(WHATSAPP_GRAPH_BASE_URL and our fake Graph server would need a private
attribute overwritten); its webhook handling wants to own the server and the
handler loop, while we must store first and acknowledge at once; and its media
download has no size cap while streaming. We need five calls (send, mark read
with typing, media URL, media bytes, upload) whose shapes are small and
documented, so they live here, with retries on passing failures under the
shared policy (`bot.retry.RetryPolicy`, re-exported here for the adapter).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any

import aiohttp

from adapters.whatsapp.errors import GraphAPIError, GraphError, Severity
from bot.errors import MediaTooLarge, UnreadableMedia
from bot.retry import RetryPolicy

log = logging.getLogger(__name__)

_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class MediaInfo:
    url: str
    mime_type: str | None
    file_size: int | None


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, GraphAPIError) and exc.severity is Severity.TRANSIENT


def _clearly_not_sent(exc: BaseException) -> bool:
    """Worth sending again at once: a passing failure that Meta answered (or no
    connection at all), never one whose request may have been taken."""
    return _transient(exc) and isinstance(exc, GraphAPIError) and not exc.error.unclear


class GraphClient:
    def __init__(
        self,
        *,
        base_url: str,
        version: str,
        token: str,
        phone_number_id: str,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._api = f"{base_url.rstrip('/')}/{version.strip('/')}"
        self._auth = {"Authorization": f"Bearer {token}"}
        self._phone = phone_number_id
        self._retry = retry or RetryPolicy()
        self._timeout = aiohttp.ClientTimeout(total=timeout, sock_connect=10)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("GraphClient.start() was not called")
        return self._session

    async def send_message(self, payload: Mapping[str, Any]) -> str:
        """POST /{phone-number-id}/messages; returns the new message's wamid.

        A send whose request went out but got no answer (a timeout, a reset) is not
        tried again here: Meta may have taken it, and a second POST would deliver the
        message twice. It raises with `error.unclear`; the adapter waits for the status
        report carrying the message's tag before deciding to send again."""
        body = {"messaging_product": "whatsapp", "recipient_type": "individual", **payload}
        answer = await self._retry.run(
            lambda: self._request("POST", f"{self._phone}/messages", body, None),
            retry_if=_clearly_not_sent, what="Graph POST messages",
        )
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise GraphAPIError(GraphError(200, None, f"no message id in {answer!r}")) from exc

    async def mark_read(self, wamid: str, *, typing: bool = True) -> None:
        """Blue ticks on the user's message, and the typing dots while we work."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "status": "read"}
        body["message_id"] = wamid
        if typing:
            body["typing_indicator"] = {"type": "text"}
        await self._call("POST", f"{self._phone}/messages", payload=body, retry=False)

    async def call_action(self, call_id: str, action: str, *, sdp: str | None = None) -> None:
        """POST /{phone-number-id}/calls: pre_accept, accept (with our SDP answer), reject
        or terminate a call. Not retried: a call lives for seconds, not minutes."""
        body: dict[str, Any] = {"messaging_product": "whatsapp", "call_id": call_id,
                                "action": action}  # fmt: skip
        if sdp is not None:
            body["session"] = {"sdp_type": "answer", "sdp": sdp}
        await self._call("POST", f"{self._phone}/calls", payload=body, retry=False)

    async def upload(self, data: bytes, *, mime_type: str, file_name: str) -> str:
        """POST /{phone-number-id}/media (multipart); returns the media id."""

        def form() -> aiohttp.FormData:
            fd = aiohttp.FormData()
            fd.add_field("messaging_product", "whatsapp")
            fd.add_field("type", mime_type)
            fd.add_field("file", data, filename=file_name, content_type=mime_type)
            return fd

        answer = await self._call("POST", f"{self._phone}/media", form=form)
        media_id = answer.get("id") if isinstance(answer, dict) else None
        if not media_id:
            raise GraphAPIError(GraphError(200, None, f"no media id in {answer!r}"))
        return str(media_id)

    async def media_info(self, media_id: str) -> MediaInfo:
        answer = await self._call("GET", media_id)
        url = answer.get("url") if isinstance(answer, dict) else None
        if not isinstance(url, str) or not url:
            raise UnreadableMedia("I could not fetch that file from WhatsApp.", f"no url: {answer}")
        size = answer.get("file_size")
        return MediaInfo(
            url=url,
            mime_type=answer.get("mime_type"),
            file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
        )

    async def download(self, url: str, *, max_bytes: int, limit_mb: int) -> bytes:
        """GET the media URL with our token, giving up as soon as it grows past max_bytes."""
        return await self._retry.run(
            lambda: self._download_once(url, max_bytes, limit_mb),
            retry_if=_transient, what="Graph media download",
        )

    async def _download_once(self, url: str, max_bytes: int, limit_mb: int) -> bytes:
        try:
            async with self.session.get(url, headers=self._auth) as resp:
                if resp.status >= 400:
                    raise await _error_from(resp)
                declared = resp.content_length
                if declared is not None and declared > max_bytes:
                    raise MediaTooLarge(limit_mb, declared)
                buf = bytearray()
                async for chunk in resp.content.iter_chunked(_CHUNK):
                    buf += chunk
                    if len(buf) > max_bytes:
                        raise MediaTooLarge(limit_mb, len(buf))
                return bytes(buf)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphAPIError(GraphError(0, None, f"media download failed: {exc}")) from exc

    async def _call(
        self,
        method: str,
        path: str,
        *,
        payload: Any = None,
        form: Any = None,
        retry: bool = True,
    ) -> Any:
        if not retry:
            return await self._request(method, path, payload, form)
        return await self._retry.run(
            lambda: self._request(method, path, payload, form),
            retry_if=_transient, what=f"Graph {method} {path}",
        )

    async def _request(self, method: str, path: str, body: Any, form: Any) -> Any:
        url = f"{self._api}/{path}"
        data = form() if form is not None else None
        try:
            async with self.session.request(
                method, url, json=body, data=data, headers=self._auth
            ) as resp:
                if resp.status >= 400:
                    raise await _error_from(resp)
                return await resp.json(content_type=None)
        except aiohttp.ClientConnectorError as exc:  # no connection: nothing was sent
            raise GraphAPIError(GraphError(0, None, f"{method} {path} failed: {exc}")) from exc
        except (aiohttp.ClientError, TimeoutError, JSONDecodeError) as exc:
            failure = f"{method} {path}: no clear answer: {exc or type(exc).__name__}"
            raise GraphAPIError(GraphError(0, None, failure, unclear=True)) from exc


async def _error_from(resp: aiohttp.ClientResponse) -> GraphAPIError:
    try:
        body = await resp.json(content_type=None)
    except (ValueError, aiohttp.ClientError):
        body = None
    err = GraphError.from_body(resp.status, body)
    log.debug("Graph %s %s → %s", resp.method, resp.url.path, err)
    return GraphAPIError(err)
