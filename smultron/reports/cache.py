"""A small, bounded, thread-safe in-process cache for published reports.

Keys carry the filters, the threshold and the data version (aggregate.data_version),
so a change to the data makes a new key and old entries simply age out. Only
published (anonymised) values are ever stored.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any


class ReportCache:
    """``version_ttl`` seconds: how long a data version is trusted before it is asked
    again (0 = ask every time). A few seconds make a repeated view a pure lookup, and
    a change still shows within that time."""

    def __init__(self, max_entries: int = 64, version_ttl: float = 0.0):
        self.max_entries = max_entries
        self.version_ttl = version_ttl
        self._versions: dict[Hashable, tuple[float, str]] = {}
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get_or_compute(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]
            self.misses += 1
        value = compute()
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return value

    def version(self, key: Hashable, compute: Callable[[], str]) -> str:
        """The data version for ``key``, asked again after ``version_ttl`` seconds."""
        now = time.monotonic()
        known = self._versions.get(key)
        if known is not None and now - known[0] < self.version_ttl:
            return known[1]
        value = compute()
        with self._lock:
            self._versions[key] = (now, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._versions.clear()

    def __len__(self) -> int:
        return len(self._entries)
