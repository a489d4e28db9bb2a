# SPDX-FileCopyrightText: 2026 modelgate contributors
# SPDX-License-Identifier: Apache-2.0
"""Bookkeeping around requests: the call log, injected faults, and rate-limit windows."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from demo.github_double.errors import (
    BAD_GATEWAY,
    NOT_FOUND,
    SECONDARY_RATE_LIMIT,
    SERVER_ERROR,
    VALIDATION_FAILED,
)

CORE_LIMIT = 5000
WINDOW = timedelta(hours=1)
FAULT_MESSAGES = {
    403: "Forbidden",
    404: NOT_FOUND,
    422: VALIDATION_FAILED,
    500: SERVER_ERROR,
    502: BAD_GATEWAY,
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class Call:
    """One request the double answered, for tests to assert what the bot did."""

    method: str
    path: str
    query: Mapping[str, list[str]]
    body: Any
    status: int
    login: str | None
    operation_id: str | None
    at: datetime


@dataclass
class Fault:
    """The next `times` requests matching `method` and the `path` glob get this answer."""

    method: str
    path: str
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    times: int = 1
    canned: bool = False

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method == "*" or self.method.upper() == method
        return method_ok and fnmatch.fnmatchcase(path, self.path)


def error_fault(method: str, path: str, status: int, times: int, message: str | None) -> Fault:
    if status not in FAULT_MESSAGES:
        raise ValueError(
            f"no GitHub error shape for status {status}: use one of {sorted(FAULT_MESSAGES)}"
        )
    text = message or FAULT_MESSAGES[status]
    body: dict[str, Any] = {"message": text, "documentation_url": "https://docs.github.com/rest"}
    if status == 422:
        body["errors"] = []
    return Fault(method, path, status, body, times=times)


def secondary_rate_limit_fault(method: str, path: str, times: int, retry_after: int) -> Fault:
    body = {
        "message": SECONDARY_RATE_LIMIT,
        "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
    }
    return Fault(method, path, 403, body, headers={"retry-after": str(retry_after)}, times=times)


class FaultBook:
    """Injected faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times < 1:
            raise ValueError("a fault must apply at least once")
        self._faults.append(fault)

    def take(self, method: str, path: str) -> Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self._faults.remove(fault)
                return fault
        return None

    def pending(self) -> list[Fault]:
        return list(self._faults)


@dataclass
class RateWindow:
    """GitHub's primary (core) limit for one account."""

    limit: int
    used: int
    reset: datetime

    @property
    def remaining(self) -> int:
        return max(self.limit - self.used, 0)

    def headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-reset": str(int(self.reset.timestamp())),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-resource": "core",
        }


class RateLimits:
    def __init__(self) -> None:
        self._windows: dict[str, RateWindow] = {}

    def window(self, login: str, now: datetime) -> RateWindow:
        window = self._windows.get(login)
        if window is None or now >= window.reset:
            window = RateWindow(limit=CORE_LIMIT, used=0, reset=now + WINDOW)
            self._windows[login] = window
        return window

    def set_remaining(self, login: str, remaining: int, now: datetime) -> None:
        window = self.window(login, now)
        window.used = window.limit - remaining
