"""Shared machinery for local engines: load once, run in a thread, stay bounded.

Models are loaded in a worker thread the first time anyone needs them (or by
`warm_up()` at start-up); concurrent callers wait for that one load. Inference
runs through `asyncio.to_thread` behind a per-engine bound so a busy engine
queues work instead of oversubscribing two CPU cores. Streaming generators run
in a thread too and stop between tokens when the consumer goes away (/stop).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Iterator
from typing import Generic, TypeVar

from bot.errors import EngineError, EngineUnavailable
from bot.metrics import engine_busy

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)


class LazyModel(Generic[T]):
    """Loads a model once, in a thread; every caller gets the same instance.

    The lock is a thread lock, not an asyncio one, so the same engine works
    from any event loop (tests run one loop per test). A failed load is not
    cached: the next caller tries again, and sees the error if it persists.
    """

    def __init__(self, name: str, load: Callable[[], T], *, hint: str | None = None) -> None:
        self._name = name
        self._load = load
        self._hint = hint
        self._lock = threading.Lock()
        self._value: T | None = None
        self.load_seconds: float | None = None
        self.last_error: str | None = None

    @property
    def loaded(self) -> bool:
        return self._value is not None

    def get_sync(self) -> T:
        if self._value is not None:
            return self._value
        with self._lock:
            if self._value is None:
                started = time.perf_counter()
                try:
                    self._value = self._load()
                except EngineError as exc:
                    self.last_error = str(exc)
                    log.error("%s cannot load: %s", self._name, exc)
                    raise
                except ImportError as exc:
                    self.last_error = str(exc)
                    raise EngineUnavailable(
                        f"{self._name}: a package is missing ({exc.name or exc})", hint=self._hint
                    ) from exc
                except Exception as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    raise EngineError(f"{self._name} could not load: {self.last_error}") from exc
                self.load_seconds = time.perf_counter() - started
                self.last_error = None
                log.info("%s loaded in %.2f s", self._name, self.load_seconds)
        return self._value

    async def get(self) -> T:
        if self._value is not None:
            return self._value
        return await asyncio.to_thread(self.get_sync)


class Bound:
    """A per-engine concurrency bound that works from whichever loop calls it."""

    def __init__(self, limit: int) -> None:
        self.limit = max(1, limit)
        self._sems: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
            weakref.WeakKeyDictionary()
        )

    def semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        sem = self._sems.get(loop)
        if sem is None:
            sem = self._sems[loop] = asyncio.Semaphore(self.limit)
        return sem

    async def run(self, fn: Callable[..., R], /, *args: object) -> R:
        """Run `fn(*args)` in a worker thread once a slot is free."""
        async with self.semaphore():
            return await asyncio.to_thread(_busy, fn, *args)


def _busy(fn: Callable[..., R], /, *args: object) -> R:
    """Run `fn`, counting its time as its engine's busy time."""
    began = time.perf_counter()
    try:
        return fn(*args)
    finally:
        owner = getattr(fn, "__self__", fn)
        engine_busy(getattr(owner, "name", None) or type(owner).__name__,
                    time.perf_counter() - began)  # fmt: skip


_DONE = object()


async def stream_in_thread(
    make: Callable[[], Iterator[T]], bound: Bound
) -> AsyncGenerator[T, None]:
    """Drive a blocking generator in a worker thread and yield its items here.

    When the consumer stops early (cancellation, `aclose()`), the worker is told
    to stop, closes its generator between two items, and is awaited before the
    slot is released, so the next request never overlaps a dying one.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[object] = asyncio.Queue()
    stop = threading.Event()

    def put(item: object) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def work() -> None:
        gen = make()
        try:
            for item in gen:
                if stop.is_set():
                    break
                put(item)
        except BaseException as exc:
            put(_Failure(exc))
        finally:
            close = getattr(gen, "close", None)
            if close is not None:
                close()
            put(_DONE)

    async with bound.semaphore():
        worker = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, _Failure):
                    raise item.exc
                yield item  # type: ignore[misc]
        finally:
            stop.set()
            await _wait_quietly(worker)


class _Failure:
    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


async def _wait_quietly(worker: asyncio.Future[None]) -> None:
    """Wait for the worker to finish even if we are being cancelled meanwhile."""
    while not worker.done():
        try:
            await asyncio.shield(worker)
        except asyncio.CancelledError:
            if worker.done():
                break
            continue
        except Exception:
            break
