"""Bounded parallelism for independent HTTP work (batch exports, pages of a known count)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Generic, TypeVar

from .stop import STOP_CHECK_SECONDS, raise_if_stopping

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Outcome(Generic[T, R]):
    """The result of `fn(item)`, or the exception it raised; one item's failure never stops the others."""

    item: T
    result: R | None = None
    error: BaseException | None = None


def bounded_map(fn: Callable[[T], R], items: Iterable[T], max_workers: int) -> Iterator[Outcome[T, R]]:
    """Run `fn` over `items` on at most `max_workers` threads, yielding outcomes as they complete.

    Items are submitted lazily, so no more than `max_workers` results are ever held at once: memory
    stays flat however many items there are. httpx clients are thread-safe, and the work is I/O bound.
    """
    pending: dict[Future[R], T] = {}
    source = iter(items)
    # Not a `with` block: leaving it would wait for requests still in flight when the run is stopped.
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="finsync")
    try:
        while True:
            while len(pending) < max_workers:
                try:
                    item = next(source)
                except StopIteration:
                    break
                pending[pool.submit(fn, item)] = item
            if not pending:
                return
            done: set[Future[R]] = set()
            while not done:
                raise_if_stopping()
                done, _ = wait(pending, timeout=STOP_CHECK_SECONDS, return_when=FIRST_COMPLETED)
            for future in done:
                item = pending.pop(future)
                error = future.exception()
                yield Outcome(item, None if error else future.result(), error)
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)


def read_ahead(
    fetch: Callable[[int], R], first: int, max_workers: int, widen: Callable[[R], bool]
) -> Iterator[tuple[int, R]]:
    """`fetch(first)`, `fetch(first + 1)`, … yielded in order while later ones are already in flight.

    For lists whose length is unknown until their end: the window of requests in flight starts at one
    (a short list costs one request) and doubles, up to `max_workers`, each time a result for which
    `widen` is true comes back. It slides: as soon as the oldest result is handed over, the next number
    is requested, so the consumer never waits on a whole window. The consumer stops by closing the
    iterator (or breaking out of its loop); requests still in flight are abandoned.
    """
    window = 1
    pending: dict[int, Future[R]] = {}
    following = first
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="finsync-page")
    try:
        number = first
        while True:
            while len(pending) < window:
                pending[following] = pool.submit(fetch, following)
                following += 1
            future = pending.pop(number)
            while not future.done():
                raise_if_stopping()
                wait([future], timeout=STOP_CHECK_SECONDS)
            result = future.result()
            if widen(result):
                window = min(window * 2, max(1, max_workers))
            yield number, result
            number += 1
    finally:
        for future in pending.values():
            future.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
