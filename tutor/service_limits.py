"""Abuse limits for the service: failed log-ins per user name and per client, sign-ups per client, and
messages per session, as moving windows (the `limits` library, kept in memory per process).

A refused action raises `RateLimitedError` before anything is stored, with a message that says what was
limited and when to try again, so a front end can show it and keep what the user typed.
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from tutor.errors import ConfigError, RateLimitedError
from tutor.settings import RateLimits

# The settings' name for the same thing, so callers can say `LimitPolicy(messages_per_session="1/minute")`.
LimitPolicy = RateLimits


class AbuseLimits:
    """Checks and counts actions against the configured `RateLimits` (`access.limits` in the settings).
    Safe to share between threads."""

    def __init__(self, policy: RateLimits | None = None) -> None:
        self.policy = policy or RateLimits()
        try:
            self._items: dict[str, RateLimitItem] = {
                name: parse(getattr(self.policy, name)) for name in RateLimits.model_fields
            }
        except ValueError as exc:
            raise ConfigError(
                f"a rate limit in access.limits cannot be read: {exc}", "write limits like '5/minute'"
            ) from exc
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def _wait_s(self, name: str, key: str) -> int:
        reset = self._limiter.get_window_stats(self._items[name], name, key).reset_time
        return max(1, math.ceil(reset - time.time()))

    def check(self, name: str, key: str, what: str) -> None:
        """Refuse when the window for (`name`, `key`) is used up, without counting this try."""
        if not self._limiter.test(self._items[name], name, key):
            raise RateLimitedError(f"too many {what}", f"try again in {self._wait_s(name, key)} s")

    def count(self, name: str, key: str, what: str) -> None:
        """Count one action; refuse it when the window is already used up."""
        if not self._limiter.hit(self._items[name], name, key):
            raise RateLimitedError(f"too many {what}", f"try again in {self._wait_s(name, key)} s")

    def check_login(self, username: str, client: str) -> None:
        """Before checking a password: refuse while this name or this client has too many recent failures."""
        self.check("failed_logins_per_name", username.strip().casefold(), "failed log-ins for this user name")
        self.check("failed_logins_per_client", client, "failed log-ins from this computer")

    def failed_login(self, username: str, client: str) -> None:
        """Count a wrong password (or unknown name) against both the name and the client."""
        for name, key in (
            ("failed_logins_per_name", username.strip().casefold()),
            ("failed_logins_per_client", client),
        ):
            self._limiter.hit(self._items[name], name, key)

    def sign_up(self, client: str) -> None:
        self.count("signups_per_client", client, "sign-ups from this computer")

    def message(self, session_id: str) -> None:
        self.count("messages_per_session", session_id, "messages in this session")
