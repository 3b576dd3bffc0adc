"""Small threading helpers shared by the pipelines."""

from __future__ import annotations

from typing import Iterable, Iterator


def prefetch(items: Iterable, *, depth: int = 1, name: str = "cinemuse-prefetch") -> Iterator:
    """Iterate ``items`` on a helper thread, ``depth`` items ahead of the consumer.

    The producer's work then overlaps with the consumer's wherever either releases the GIL
    (video decoding in FFmpeg while frames are analysed; synthesis while the previous block
    is mixed) instead of the two taking turns. Memory: at most ``depth`` items waiting.
    An exception raised by ``items`` is re-raised in the consumer; if the consumer stops early,
    the helper thread stops too.
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put(done)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=work, name=name, daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
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
