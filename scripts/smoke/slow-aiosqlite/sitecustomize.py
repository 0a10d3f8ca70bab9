"""Loaded by the smoke (PYTHONPATH) into a generated project's pytest, on SQLite projects.

aiosqlite's worker thread is held back 0.5 s before each close it runs, as a loaded machine
sometimes holds it. A test that lets that thread outlive its event loop then fails a later test
with "Event loop is closed", every time instead of once in a few hundred runs.
"""

import time

import aiosqlite.core

_worker = aiosqlite.core._connection_worker_thread


def _held_back_worker(tx):
    class HeldBack:
        def get(self):
            future, function = tx.get()
            if getattr(function, "__name__", "") == "close_and_stop":
                time.sleep(0.5)
            return future, function

    return _worker(HeldBack())


# Threads are named after their target: keep the name the tests may look for.
_held_back_worker.__name__ = _worker.__name__
aiosqlite.core._connection_worker_thread = _held_back_worker
