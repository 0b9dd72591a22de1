"""Running work behind futures (protocol reference §6.1).

A submit handler creates a :class:`FutureRecord`, answers ``UntypedAPIFuture`` immediately, and
hands a synchronous compute function to :func:`run_future`, which runs it in a worker thread (numpy
work never blocks the event loop) and records the outcome: a :class:`FutureResult`, a
:class:`RequestFailure` (``{"error","category"}`` for the client), or, for an unexpected exception,
a failure with category ``server`` that names the exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.responses import JSONResponse

from tinker_harness.contracts._futures import UntypedAPIFuture
from tinker_harness.mock_server.calls import Call, ok
from tinker_harness.mock_server.errors import ApiError
from tinker_harness.mock_server.futures import FutureRecord, FutureResult, FutureStore, RequestFailure
from tinker_harness.mock_server.model import UserInputError
from tinker_harness.mock_server.usage import record_completed

if TYPE_CHECKING:
    from tinker_harness.mock_server.app import MockServer

__all__ = ["Compute", "future_answer", "new_future", "run_future"]

logger = logging.getLogger(__name__)

Compute = Callable[[], FutureResult]


def new_future(call: Call, model_id: str | None = None) -> FutureRecord:
    """Create the future of this submit; its request type is the endpoint's (``X-Tinker-Request-Type``)."""
    server = call.server
    record = server.state.futures.create(
        server.ids.uuid(),
        call.endpoint.request_type or call.endpoint.name,
        owner=call.owner,
        session_id=call.session_id,
        model_id=model_id,
        now=server.clock.now(),
    )
    record.extra["origin"] = call.endpoint.name
    call.exchange.future_request_id = record.request_id
    return record


def future_answer(record: FutureRecord, *, sample_sequence_ids: list[str] | None = None) -> JSONResponse:
    return ok(
        UntypedAPIFuture(
            request_id=record.request_id, model_id=record.model_id, sample_sequence_ids=sample_sequence_ids
        )
    )


async def run_future(server: MockServer, record: FutureRecord, compute: Compute) -> None:
    """Run ``compute`` off the event loop and settle ``record`` with its outcome."""
    if not record.is_queued:  # cancelled or expired while waiting for its turn
        return
    FutureStore.start(record)
    try:
        result = await asyncio.to_thread(compute)
    except RequestFailure as failure:
        _settle_failure(server, record, failure)
    except UserInputError as exc:
        _settle_failure(server, record, RequestFailure(str(exc), "user"))
    except Exception as exc:  # a mock bug surfaces to the client as a server-category failure
        logger.exception("future %s (%s) failed", record.request_id, record.request_type)
        _settle_failure(
            server, record, RequestFailure(f"internal error in the mock: {type(exc).__name__}: {exc}", "server")
        )
    else:
        if not record.is_running:
            return
        try:
            if result.commit is not None:
                result.commit()
        except ApiError as exc:  # the state moved under the op (e.g. a name taken meanwhile)
            _settle_failure(server, record, RequestFailure(exc.detail, "user"))
        else:
            FutureStore.complete(record, result, server.clock.now())
            record_completed(server, record)


def _settle_failure(server: MockServer, record: FutureRecord, failure: RequestFailure) -> None:
    if record.is_running:
        FutureStore.fail(record, failure, server.clock.now())
