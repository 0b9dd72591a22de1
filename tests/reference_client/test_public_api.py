"""The package surface (a sorted, importable ``__all__``) and turn-taking in isolation (§8.2)."""

from __future__ import annotations

import asyncio
import importlib
import pkgutil

from tinker_harness import reference_client
from tinker_harness.reference_client._turns import TurnTaker


def test_all_is_sorted_complete_and_importable() -> None:
    names = reference_client.__all__
    assert names == sorted(names) and len(set(names)) == len(names)
    for name in names:
        assert getattr(reference_client, name) is not None
    public = {n for n in dir(reference_client) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(names), f"public names missing from __all__: {sorted(public - set(names))}"


def test_every_module_is_private_and_cites_the_protocol_reference() -> None:
    modules = [m.name for m in pkgutil.iter_modules(reference_client.__path__)]
    assert modules and all(name.startswith("_") for name in modules)
    for name in modules:
        doc = importlib.import_module(f"reference_client.{name}").__doc__ or ""
        assert doc.strip(), name
        assert "§" in doc or "no protocol content" in doc, f"{name} names no protocol-reference section"


def test_turns_follow_reservation_order_whatever_the_start_order() -> None:
    async def main() -> list[str]:
        turns, order = TurnTaker(), []
        first, chunked, last = turns.reserve(1), turns.reserve(3), turns.reserve(1)
        assert (first, chunked, last) == (range(0, 1), range(1, 4), range(4, 5))

        async def submit(ids: range, name: str) -> None:
            async with turns.turn(ids):
                order.append(name)
                await asyncio.sleep(0)

        tasks = [asyncio.create_task(submit(last, "last")), asyncio.create_task(submit(chunked, "chunked"))]
        await asyncio.sleep(0.01)
        assert order == [], "nothing may go before id 0"
        await asyncio.gather(submit(first, "first"), *tasks)
        return order

    assert asyncio.run(main()) == ["first", "chunked", "last"]


def test_an_operation_cancelled_before_its_turn_passes_the_turn_on() -> None:
    async def main() -> list[str]:
        turns, order, release = TurnTaker(), [], asyncio.Event()
        held, cancelled, after = turns.reserve(), turns.reserve(), turns.reserve()

        async def hold() -> None:
            async with turns.turn(held):
                await release.wait()

        async def submit(ids: range, name: str) -> None:
            async with turns.turn(ids):
                order.append(name)

        holder = asyncio.create_task(hold())
        doomed = asyncio.create_task(submit(cancelled, "cancelled"))
        waiting = asyncio.create_task(submit(after, "after"))
        await asyncio.sleep(0.01)
        doomed.cancel()
        release.set()
        await asyncio.wait_for(asyncio.gather(holder, waiting), timeout=5)
        return order

    assert asyncio.run(main()) == ["after"]
