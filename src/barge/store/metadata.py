"""The metadata database (SQLite, WAL): images, tags, layers."""
from __future__ import annotations

import sqlite3
import threading
from contextlib import contextmanager

SCHEMA = """
CREATE TABLE IF NOT EXISTS layers (
    chain_id TEXT PRIMARY KEY, diff_id TEXT NOT NULL, parent TEXT,
    blob TEXT NOT NULL, tar_size INTEGER NOT NULL, size INTEGER NOT NULL, link TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS images (
    id TEXT PRIMARY KEY, top_chain TEXT, size INTEGER NOT NULL, stored_at REAL NOT NULL,
    parent TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS tags (ref TEXT PRIMARY KEY, image_id TEXT NOT NULL, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS digests (ref TEXT PRIMARY KEY, image_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS layer_blobs (
    digest TEXT NOT NULL, diff_id TEXT NOT NULL, size INTEGER NOT NULL, media_type TEXT NOT NULL,
    source TEXT NOT NULL, PRIMARY KEY (digest, source));
"""


class Metadata:
    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._lock = threading.RLock()

    @contextmanager
    def tx(self):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def query(self, sql: str, args=()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def close(self) -> None:
        self._db.close()
