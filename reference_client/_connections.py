"""The client's HTTP connections and the empty-400 "proxy reject" rule (protocol reference §1.1, §15.3 first row).

An edge proxy (Cloudflare) that refuses a request answers ``400`` with no body. The SDK tells that
apart from the server's own 400 by the header alone: ``Content-Length`` ``0`` or absent. Such an
answer is not the server's verdict but a bad connection, so the SDK opens new connections and
raises a connection error, which its retry layers then retry (the holder layer, the poll loop's
backoff), while a budget of 16 such conversions lasts; every successful call refills one.

:class:`Connections` does the same for this client: :meth:`Connections.renew` swaps in a fresh
``httpx.AsyncClient`` (the old one is closed once its in-flight requests, such as other long-polls,
have finished) and :meth:`Connections.take_reject` spends the budget. The SDK keeps a budget per
connection pool; this client has one pool, so it has one budget.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import httpx

__all__ = ["MAX_PROXY_REJECTS", "Connections", "is_proxy_reject"]

MAX_PROXY_REJECTS = 16


def is_proxy_reject(response: httpx.Response) -> bool:
    """A 400 whose ``Content-Length`` is ``"0"`` or missing: a proxy refused it, not the server (§1.1)."""
    return response.status_code == 400 and response.headers.get("content-length", "0") == "0"


class Connections:
    """The current ``httpx.AsyncClient``, renewable; ``open_client`` makes a new one.

    With ``renewable=False`` (an injected transport, whose connections the client does not own)
    :meth:`renew` keeps the current client.
    """

    def __init__(self, open_client: Callable[[], httpx.AsyncClient], *, renewable: bool = True) -> None:
        self._open = open_client
        self._renewable = renewable
        self._current = open_client()
        self._in_flight: Counter[httpx.AsyncClient] = Counter()
        self._retired: set[httpx.AsyncClient] = set()
        self.reject_budget = MAX_PROXY_REJECTS

    def build_request(self, method: str, url: str, **kwargs: Any) -> httpx.Request:
        return self._current.build_request(method, url, **kwargs)

    async def send(self, request: httpx.Request) -> httpx.Response:
        """Send on the current client; a retired client is closed when its last request is done."""
        client = self._current
        self._in_flight[client] += 1
        try:
            return await client.send(request)
        finally:
            self._in_flight[client] -= 1
            if client in self._retired and not self._in_flight[client]:
                await self._close(client)

    async def renew(self) -> None:
        """Later requests go out on new connections."""
        if not self._renewable:
            return
        old, self._current = self._current, self._open()
        self._retired.add(old)
        if not self._in_flight[old]:
            await self._close(old)

    def take_reject(self) -> bool:
        """Spend one conversion of a proxy reject into a connection error; False once the budget is gone."""
        if self.reject_budget <= 0:
            return False
        self.reject_budget -= 1
        return True

    def note_success(self) -> None:
        self.reject_budget = min(self.reject_budget + 1, MAX_PROXY_REJECTS)

    async def aclose(self) -> None:
        for client in [self._current, *self._retired]:
            await self._close(client)

    async def _close(self, client: httpx.AsyncClient) -> None:
        self._retired.discard(client)
        del self._in_flight[client]
        await client.aclose()
