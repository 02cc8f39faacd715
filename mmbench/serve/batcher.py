"""Dynamic batching: requests that arrive together are predicted together.

A :class:`Batcher` owns one asyncio queue. Its loop takes the first waiting request, then
keeps collecting for at most ``wait_s`` (or until ``max_batch`` requests), and hands the batch
to the model in one worker thread, so the model is never called concurrently and the event
loop keeps accepting requests meanwhile. It waits only while more requests are on their way
(announced with :meth:`Batcher.arriving`: their bodies are being read or decoded): a lone
request is predicted at once instead of idling for ``wait_s``, and requests that arrive
while the model is busy queue up and form the next batch anyway.

>>> import asyncio
>>> from mmbench.types import Prediction, Sample, TaskKind
>>> def upper(batch):
...     return [Prediction(s.id, s.text.upper()) for s in batch]
>>> async def ask_three():
...     b = Batcher(upper, max_batch=8, wait_s=0.05)
...     b.start()
...     qs = [Sample(id=str(i), kind=TaskKind.VQA, text=t) for i, t in enumerate("abc")]
...     preds = await asyncio.gather(*(b.submit(q) for q in qs))
...     await b.stop()
...     return [p.text for p in preds], b.stats.largest_batch
>>> asyncio.run(ask_three())
(['A', 'B', 'C'], 3)
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass

from mmbench.types import Prediction, Sample

#: What the batcher calls: one prediction (or error) per sample, in order.
PredictFn = Callable[[Sequence[Sample]], list[Prediction]]


@dataclass
class BatchStats:
    """Counters shown by ``/health``."""

    requests: int = 0
    batches: int = 0
    largest_batch: int = 0

    def to_json(self) -> dict[str, int]:
        return asdict(self)


class Batcher:
    """Collects submitted samples into batches of at most ``max_batch`` for ``predict``."""

    def __init__(self, predict: PredictFn, max_batch: int, wait_s: float = 0.005) -> None:
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, not {max_batch}")
        self.predict = predict
        self.max_batch = max_batch
        self.wait_s = wait_s
        self.stats = BatchStats()
        self._queue: asyncio.Queue[tuple[Sample, asyncio.Future[Prediction]]] | None = None
        self._task: asyncio.Task[None] | None = None
        self._arriving = 0
        self._news: asyncio.Event | None = None  # set on a submit or an arrival that ended
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="mmbench-model")

    def start(self) -> None:
        """Start the batching loop on the running event loop."""
        self._queue = asyncio.Queue()
        self._news = asyncio.Event()
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        """Stop the loop; requests still queued get an error."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._queue is not None and not self._queue.empty():
            sample, future = self._queue.get_nowait()
            if not future.done():
                future.set_result(Prediction(sample.id, None, "server shutting down"))
        self._executor.shutdown(wait=False)

    @contextmanager
    def arriving(self) -> Iterator[None]:
        """Announce a request that will be submitted after this block (its body is read and
        decoded inside it): a batch being collected waits for it, at most ``wait_s``."""
        self._arriving += 1
        try:
            yield
        finally:
            self._arriving -= 1
            if self._news is not None:
                self._news.set()

    async def submit(self, sample: Sample) -> Prediction:
        """Queue one sample and wait for its prediction."""
        if self._queue is None:
            raise RuntimeError("Batcher.start() was not called")
        future: asyncio.Future[Prediction] = asyncio.get_running_loop().create_future()
        self.stats.requests += 1
        self._queue.put_nowait((sample, future))
        if self._news is not None:
            self._news.set()
        return await future

    async def _collect(self) -> list[tuple[Sample, asyncio.Future[Prediction]]]:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        batch = [await self._queue.get()]
        deadline = loop.time() + self.wait_s
        while len(batch) < self.max_batch:
            if not self._queue.empty():
                batch.append(self._queue.get_nowait())
                continue
            left = deadline - loop.time()
            if left <= 0 or not self._arriving:  # nothing else is on its way: do not idle
                break
            assert self._news is not None
            self._news.clear()
            try:  # until a request is submitted or an announced one gives up
                await asyncio.wait_for(self._news.wait(), left)
            except asyncio.TimeoutError:
                break
        return batch

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            batch = [(s, f) for s, f in batch if not f.done()]  # a client that went away
            if not batch:
                continue
            self.stats.batches += 1
            self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
            samples = [s for s, _ in batch]
            try:
                preds = await loop.run_in_executor(self._executor, self.predict, samples)
            except Exception as exc:  # the model broke the contract: every request hears it
                preds = [Prediction(s.id, None, f"{type(exc).__name__}: {exc}") for s in samples]
            for (_, future), pred in zip(batch, preds, strict=True):
                if not future.done():
                    future.set_result(pred)
