"""The batcher's wait window: it waits only for requests that are on their way."""

from __future__ import annotations

import asyncio

from mmbench.serve.batcher import Batcher
from mmbench.types import Prediction, Sample, TaskKind


def _echo(batch):
    return [Prediction(s.id, s.text) for s in batch]


def _sample(i: int) -> Sample:
    return Sample(id=str(i), kind=TaskKind.VQA, text=f"q{i}")


def test_a_lone_request_does_not_wait_for_the_window():
    async def lone():
        b = Batcher(_echo, max_batch=8, wait_s=3600.0)  # a window no test could sit out
        b.start()
        pred = await asyncio.wait_for(b.submit(_sample(0)), timeout=30)
        await b.stop()
        return pred.text, b.stats.batches

    assert asyncio.run(lone()) == ("q0", 1)


def test_a_batch_waits_for_an_announced_request():
    async def two():
        b = Batcher(_echo, max_batch=8, wait_s=3600.0)
        b.start()
        announced = asyncio.Event()

        async def late():
            with b.arriving():  # reading and decoding its body
                announced.set()
                for _ in range(20):  # the first request reaches the batcher meanwhile
                    await asyncio.sleep(0)
            return await b.submit(_sample(1))

        slow = asyncio.create_task(late())
        await announced.wait()
        first = await asyncio.wait_for(b.submit(_sample(0)), timeout=30)
        second = await asyncio.wait_for(slow, timeout=30)
        await b.stop()
        return first.text, second.text, b.stats.batches, b.stats.largest_batch

    assert asyncio.run(two()) == ("q0", "q1", 1, 2)


def test_an_announced_request_that_never_comes_ends_the_wait():
    async def refused():
        b = Batcher(_echo, max_batch=8, wait_s=3600.0)
        b.start()
        gate = asyncio.Event()

        async def broken():  # its body is refused (a 400): it is never submitted
            with b.arriving():
                await gate.wait()

        task = asyncio.create_task(broken())
        await asyncio.sleep(0)
        pending = asyncio.create_task(b.submit(_sample(0)))
        for _ in range(20):
            await asyncio.sleep(0)
        waited = not pending.done()  # the batch waits for the announced request...
        gate.set()
        await task
        pred = await asyncio.wait_for(pending, timeout=30)  # ...and stops when it gives up
        await b.stop()
        return waited, pred.text

    assert asyncio.run(refused()) == (True, "q0")
