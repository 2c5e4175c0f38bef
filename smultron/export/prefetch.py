"""Read the next Arrow batches from PostgreSQL while GDAL writes the current one.

ADBC's reader and GDAL's writer both run in C with the GIL released, so a
background thread that keeps a few batches ready lets reading and writing use
two cores. The queue is short, so memory stays bounded.
"""

from __future__ import annotations

import queue
import threading

import pyarrow as pa

_END = object()


class Prefetch:
    def __init__(self, reader: pa.RecordBatchReader, depth: int = 3):
        self.schema = reader.schema
        self._reader = reader
        self._queue: queue.Queue = queue.Queue(depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._pump, daemon=True)
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _pump(self) -> None:
        try:
            for batch in self._reader:
                if not self._put(batch):
                    return
            item = _END
        except BaseException as exc:  # noqa: BLE001 - handed to the consuming thread
            item = exc
        self._put(item)

    def _batches(self):
        while True:
            item = self._queue.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def reader(self) -> pa.RecordBatchReader:
        return pa.RecordBatchReader.from_batches(self.schema, self._batches())

    def close(self) -> None:
        """Stop the thread (also after a failed write) before the cursor is reused."""
        self._stop.set()
        self._thread.join()

    def __enter__(self) -> Prefetch:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
