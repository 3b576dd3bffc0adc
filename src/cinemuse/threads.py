"""Small threading helpers shared by the pipelines."""

from __future__ import annotations

from typing import Iterable, Iterator


def prefetch(items: Iterable, *, depth: int = 1, name: str = "cinemuse-prefetch") -> Iterator:
    """Iterate ``items`` on a helper thread, ``depth`` items ahead of the consumer.

    The producer's work then overlaps with the consumer's wherever either releases the GIL
    (video decoding in FFmpeg while frames are analysed; synthesis while the previous block
    is mixed) instead of the two taking turns. Memory: besides the item the consumer holds,
    at most ``depth`` items exist (made, or being made). An exception raised by ``items``
    is re-raised in the consumer; if the consumer stops early, the helper thread stops too.
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue()
    room = threading.Semaphore(depth)  # a slot is taken before an item is made
    stop = threading.Event()
    done = object()
    source = iter(items)

    def work() -> None:
        try:
            while True:
                while not room.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                item = next(source, done)
                q.put(item)
                if item is done:
                    return
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            room.release()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        close = getattr(items, "close", None)
        thread.join(timeout=1.0)
        if close is not None and not thread.is_alive():
            close()
