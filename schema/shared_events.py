"""One execution of a subscription event for all the subscribers that would get the same answer.

A status change wakes every `applicationStatusChanged` subscription of a process (hundreds under
bench/load.py), and graphql-core executes the subscription's selection over the event once per
subscriber: the same fields, the same DataLoader reads, the same result, hundreds of times. When
the subscription's resolver hands every subscriber the same event (its ``shared_by`` names the
object they all got), the subscribers that also share the operation (the same parsed document,
so the same query text), its variables and the viewer get one execution and the same result.

The viewer is part of the key because what a field shows may depend on who asks; nothing else of
a subscriber's context decides a result (its loaders are renewed per event and read the same rows).
An entry is dropped a few seconds after it is made: by then every subscriber woken by the change
has run it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

KEPT_SECONDS = 10.0

# key → (the event's token and the operation node, kept so that their ids stay theirs while the
# entry lives; the result, or the future of it)
_RESULTS: dict[tuple, tuple[Any, Any, Any]] = {}


def shared_token(root_value: Any) -> Any:
    """What the subscribers of one event share, or None when the event is a subscriber's own."""
    return getattr(root_value, "shared_by", None)


def execute_once(executor: Any, token: Any, run: Callable[[], Any]) -> Any:
    """``run()`` (graphql-core's execute_operation of this per-event executor), or the result the
    first subscriber with the same operation, variables and viewer got for the same event."""
    key = _key(executor, token)
    entry = _RESULTS.get(key)
    if entry is None:
        result = run()
        if executor.is_awaitable(result):
            result = asyncio.ensure_future(result)
        entry = _RESULTS[key] = (token, executor.operation, result)
        asyncio.get_running_loop().call_later(KEPT_SECONDS, _RESULTS.pop, key, None)
    return _answer(entry[2])


def known(executor: Any, token: Any) -> Any | None:
    """For a subscription's executor and an event: a stand-in for the per-event executor that
    graphql-core would copy from it, when the answer is already known (or being worked out), else
    None. Copying the executor was a tenth of what a delivery cost."""
    entry = _RESULTS.get(_key(executor, token))
    return None if entry is None else _Known(entry[2])


class _Known:
    """What graphql-core asks of a per-event executor (execute_subscription_event): the result."""

    __slots__ = ("result",)

    def __init__(self, result: Any) -> None:
        self.result = result

    def execute_operation(self, *_args: Any, **_kwargs: Any) -> Any:
        return _answer(self.result)


def _answer(result: Any) -> Any:
    # One subscriber going away (its task cancelled) does not cancel the others' execution.
    return asyncio.shield(result) if isinstance(result, asyncio.Future) else result


def _key(executor: Any, token: Any) -> tuple:
    return (id(token), id(executor.operation), executor.variables_key(), getattr(executor.context_value, "viewer", None))


def variables_key(values: Any) -> str:
    """The coerced variables (graphql-core's VariableValues) as a hashable value: their repr, by
    name (IDs, enums and scalars)."""
    return repr(sorted(values.coerced.items()))
