"""Group commits: callers arriving together share one round trip, and each gets its own answer."""

from __future__ import annotations

import asyncio

import pytest

from services.batching import GroupCommit


class Doubler:
    """A round trip that doubles numbers and remembers each batch it was given."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[int]] = []
        self.fail = fail
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self, items: list[int]) -> list[int]:
        self.batches.append(list(items))
        await self.release.wait()
        if self.fail:
            raise RuntimeError("the database went away")
        return [item * 2 for item in items]


async def test_a_lone_caller_goes_at_once_and_later_ones_share_the_next_trip() -> None:
    work = Doubler()
    commit = GroupCommit(work)
    assert await commit(1) == 2
    work.release.clear()
    first = asyncio.create_task(commit(2))
    await asyncio.sleep(0)  # the first trip is under way
    rest = [asyncio.create_task(commit(n)) for n in (3, 4, 5)]
    await asyncio.sleep(0)
    work.release.set()
    assert await asyncio.gather(first, *rest) == [4, 6, 8, 10]
    assert work.batches == [[1], [2], [3, 4, 5]]


async def test_a_failed_trip_fails_every_caller_in_it() -> None:
    commit = GroupCommit(Doubler(fail=True))
    results = await asyncio.gather(commit(1), commit(2), return_exceptions=True)
    assert all(isinstance(result, RuntimeError) for result in results)


async def test_when_the_caller_doing_the_trip_is_cancelled_the_others_still_get_answers() -> None:
    work = Doubler()
    commit = GroupCommit(work)
    work.release.clear()
    leader = asyncio.create_task(commit(1))
    await asyncio.sleep(0)
    follower = asyncio.create_task(commit(2))
    await asyncio.sleep(0)
    leader.cancel()
    await asyncio.sleep(0)
    work.release.set()
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert await asyncio.wait_for(follower, 1) == 4
