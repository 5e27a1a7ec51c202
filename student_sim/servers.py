"""Several OpenAI-compatible model servers for one run (one per node, say): jobs spread over them, with a
bound on the requests in flight per server.

A spec lists the servers (`servers: [http://node1:8000/v1, http://node2:8000/v1]`). Every job leases one
server for its whole dialogue, the least busy one, waiting while each has `max_in_flight` jobs. The lease
puts the server into the job's model specs (`openai:MODEL?base_url=URL`), so each dialogue's provenance
names the server that produced it and the manifest can count dialogues and model calls per server.

A pool lives in one process. The thread executor shares one pool, so the bound is exact; on Ray each actor
runs one job at a time with its own copy, started at a different server (`for_worker`), so actors spread
round-robin over the servers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tutor.errors import ConfigError
from tutor.models.spec import ModelSpec, parse_spec


def with_base_url(spec: str, url: str) -> str:
    """The model spec served by `url` (an `openai:` spec; its own base_url, if any, is replaced)."""
    parsed = parse_spec(spec)
    if parsed.kind != "openai":
        raise ConfigError(
            f"model {spec!r} cannot be spread over servers", "servers are for openai: specs (OpenAI-compatible)"
        )
    return str(ModelSpec(parsed.kind, parsed.target, {**parsed.options, "base_url": url}))


def server_of(spec: str) -> str:
    """The server a model spec names (`base_url`), or "" for none."""
    try:
        return str(parse_spec(spec).options.get("base_url", ""))
    except ConfigError:
        return ""


class ServerPool:
    """Leases servers to jobs: least in flight first (ties: from `offset` on), at most `max_in_flight` each."""

    def __init__(self, urls: list[str], max_in_flight: int, offset: int = 0) -> None:
        if not urls:
            raise ConfigError("a server pool needs at least one server")
        self.urls, self.max_in_flight, self.offset = list(urls), max_in_flight, offset
        self._in_flight = dict.fromkeys(self.urls, 0)
        self._changed = threading.Condition()

    def __getstate__(self) -> dict[str, Any]:
        return {"urls": self.urls, "max_in_flight": self.max_in_flight, "offset": self.offset}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["urls"], state["max_in_flight"], state["offset"])  # type: ignore[misc]

    def for_worker(self, index: int) -> ServerPool:
        """A copy for worker `index` of a cluster, starting at a different server than its neighbours."""
        return ServerPool(self.urls, self.max_in_flight, offset=self.offset + index)

    def _pick(self) -> str | None:
        order = [self.urls[(self.offset + i) % len(self.urls)] for i in range(len(self.urls))]
        free = [url for url in order if self._in_flight[url] < self.max_in_flight]
        return min(free, key=lambda url: self._in_flight[url]) if free else None

    @contextmanager
    def lease(self) -> Iterator[str]:
        """Hold one server for the duration of the block."""
        with self._changed:
            while (url := self._pick()) is None:
                self._changed.wait()
            self._in_flight[url] += 1
        try:
            yield url
        finally:
            with self._changed:
                self._in_flight[url] -= 1
                self._changed.notify()
