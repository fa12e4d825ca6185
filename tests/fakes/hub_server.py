"""A fake Hugging Face Hub on 127.0.0.1: what `hf_hub_download` asks of the real one.

It speaks the protocol as huggingface_hub's `file_download.py` reads it: `HEAD` and
`GET /{repo_id}/resolve/{revision}/{path}`, answering with `X-Repo-Commit`, an `ETag`
(the sha256 for large "LFS" files, a 40-hex git hash for small ones, as the Hub does),
`X-Linked-Size`/`Content-Length`, byte ranges, and `X-Error-Code: EntryNotFound` /
`RepoNotFound` on 404s. Point `HF_ENDPOINT` at `base_url`. The files are ones the tests
make (or copy from an installed package); `lie_about` serves a file under a wrong sha256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from aiohttp import web

COMMIT = "0123456789abcdef0123456789abcdef01234567"
LFS_FROM = 1024  # the Hub stores large files in LFS, named by sha256


@dataclass
class FakeHub:
    repos: dict[str, dict[str, bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    lies: dict[tuple[str, str], str] = field(default_factory=dict)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    def add(self, repo_id: str, path: str, data: bytes) -> None:
        self.repos.setdefault(repo_id, {})[path] = data

    def lie_about(self, repo_id: str, path: str) -> None:
        """Serve this file under the sha256 of something else (a corrupted transfer)."""
        self.lies[(repo_id, path)] = hashlib.sha256(b"not this file").hexdigest()

    def downloads(self, path_end: str) -> int:
        return sum(1 for method, path in self.requests
                   if method == "GET" and path.endswith(path_end))

    async def start(self) -> FakeHub:
        app = web.Application()
        app.router.add_route("*", "/{owner}/{name}/resolve/{revision}/{path:.+}", self._resolve)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def _etag(self, repo_id: str, path: str, data: bytes) -> str:
        if (repo_id, path) in self.lies:
            return self.lies[(repo_id, path)]
        if len(data) >= LFS_FROM:
            return hashlib.sha256(data).hexdigest()
        return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()

    async def _resolve(self, request: web.Request) -> web.StreamResponse:
        repo_id = f"{request.match_info['owner']}/{request.match_info['name']}"
        path = request.match_info["path"]
        self.requests.append((request.method, request.path))
        common = {"X-Repo-Commit": COMMIT}
        if repo_id not in self.repos:
            return web.Response(status=404, headers={**common, "X-Error-Code": "RepoNotFound"},
                                text="Repository not found")  # fmt: skip
        data = self.repos[repo_id].get(path)
        if data is None:
            return web.Response(status=404, headers={**common, "X-Error-Code": "EntryNotFound"},
                                text="Entry not found")  # fmt: skip
        headers = {**common, "ETag": f'"{self._etag(repo_id, path, data)}"',
                   "Accept-Ranges": "bytes", "Content-Type": "application/octet-stream"}
        if len(data) >= LFS_FROM:
            headers["X-Linked-Size"] = str(len(data))
            headers["X-Linked-Etag"] = headers["ETag"]
        if request.method == "HEAD":
            return web.Response(status=200, headers={**headers,
                                                     "Content-Length": str(len(data))})
        start = _range_start(request.headers.get("Range"))
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            return web.Response(status=206, body=data[start:], headers=headers)
        return web.Response(status=200, body=data, headers=headers)


def _range_start(header: str | None) -> int:
    if not header or not header.startswith("bytes="):
        return 0
    first = header.removeprefix("bytes=").split("-", 1)[0]
    return int(first) if first.isdigit() else 0
