"""Where a study lives: `sweep.storage` (or the report command's argument) to an Optuna storage.

- null: SQLite at <output dir>/study.db (embedded, nothing to start);
- a file ending in .db, .sqlite or .sqlite3: that SQLite file;
- any SQLAlchemy URL (sqlite:///..., postgresql://..., mysql+pymysql://...): several workers on
  one or many machines; the trial of a killed worker is failed after 2 missed heartbeats
  (sweep.heartbeat_s) and queued once more with the same values;
- journal:<file> (or a file ending in .journal / .log): Optuna's journal file, for several workers
  on a shared file system without a database (no heartbeat: a killed worker's trial stays RUNNING);
- grpc://<host>:<port>: Optuna's gRPC storage proxy, started in front of the database with
  `optuna.storages.run_grpc_proxy_server(storage, host=..., port=...)`: hundreds of workers share
  its connections and its cache of the trials (needs grpcio).
"""

from __future__ import annotations

import contextlib
import random
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import optuna

from models.errors import UserError

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")
CREATE_ATTEMPTS = 8
JOURNAL_SUFFIXES = (".journal", ".log")


def storage_url(spec: str | None, output_dir: str | Path) -> str:
    """The storage as one string (a URL or journal:<absolute file>)."""
    if spec in (None, ""):
        return f"sqlite:///{(Path(output_dir) / 'study.db').resolve()}"
    spec = str(spec)
    if spec.startswith("journal:"):
        return f"journal:{Path(spec[len('journal:') :]).expanduser().resolve()}"
    if "://" in spec:
        return spec
    path = Path(spec).expanduser()
    if path.suffix in SQLITE_SUFFIXES:
        return f"sqlite:///{path.resolve()}"
    if path.suffix in JOURNAL_SUFFIXES:
        return f"journal:{path.resolve()}"
    raise UserError(
        f"sweep.storage={spec!r}: give a database URL (sqlite:///file.db, postgresql://...), "
        "journal:<file>, or a .db / .journal file"
    )


def open_storage(url: str, heartbeat_s: int | None = 60) -> optuna.storages.BaseStorage:
    """An Optuna storage for `url` (see storage_url); creates SQLite and journal files."""
    if url.startswith("grpc://"):
        host, _, port = url[len("grpc://") :].rstrip("/").rpartition(":")
        if not host or not port.isdigit():
            raise UserError(f"sweep.storage={url!r}: write grpc://<host>:<port>")
        try:
            with warnings.catch_warnings():  # "experimental" since Optuna 4.2
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.GrpcStorageProxy(host=host, port=int(port))
        except ImportError as e:
            raise UserError(f"sweep.storage={url!r}: {e}") from e
    if url.startswith("journal:"):
        path = Path(url[len("journal:") :])
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        with _writable(url, path):
            path.parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(str(path)))
    engine_kwargs = {}
    if url.startswith("sqlite:"):
        file = url.split(":///", 1)[-1]
        if file and file != ":memory:":
            with _writable(url, Path(file)):
                Path(file).parent.mkdir(parents=True, exist_ok=True)
        # several workers on one file: wait for the write lock instead of failing at once
        engine_kwargs = {"connect_args": {"timeout": 120}}
    heartbeat = int(heartbeat_s) if heartbeat_s else None
    for attempt in range(1, CREATE_ATTEMPTS + 1):
        try:
            with (
                warnings.catch_warnings()
            ):  # the heartbeat has been "experimental" since Optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = optuna.storages.RDBStorage(
                    url,
                    engine_kwargs=engine_kwargs,
                    heartbeat_interval=heartbeat,
                    grace_period=2 * heartbeat if heartbeat else None,
                    # a killed worker's trial is failed, then queued once more with its values
                    heartbeat_stale_trial_callback=(
                        optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1)
                        if heartbeat
                        else None
                    ),
                )
            if url.startswith("sqlite:"):
                serialise_sqlite(storage.engine)
            return storage
        except ImportError as e:  # a database driver that is not installed
            raise UserError(f"sweep.storage={url!r}: {e}") from e
        except Exception as e:
            if not type(e).__module__.startswith("sqlalchemy"):
                raise
            if attempt == CREATE_ATTEMPTS or not _is_temporary(e):
                raise UserError(f"sweep.storage={url!r}: {str(e).splitlines()[0]}") from e
            # workers creating the same new database race on its schema: the loser waits, retries
            time.sleep(0.2 * attempt + random.random() * 0.3)
    raise AssertionError("unreachable")


#: What workers creating one new database at once run into; anything else (a bad URL, a file
#: that cannot be opened, a server that refuses) will not go away by retrying.
TEMPORARY = (
    "already exists",  # CREATE TABLE of the schema: another worker made it first
    "duplicate key",  # the same on PostgreSQL (pg_type)
    "alembic_version",  # both stamping the schema's revision
    "database is locked",  # SQLite: another writer holds the file
)


@contextlib.contextmanager
def _writable(url: str, path: Path) -> Iterator[None]:
    """A storage file that cannot be made or opened, as the user's mistake it is."""
    try:
        yield
    except OSError as e:
        why = "a file is in the way" if isinstance(e, FileExistsError) else e.strerror
        raise UserError(f"sweep.storage={url!r}: cannot write {e.filename or path}: {why}") from e


def _is_temporary(error: Exception) -> bool:
    return any(text in str(error) for text in TEMPORARY)


def serialise_sqlite(engine) -> None:
    """Every transaction on the SQLite file takes its write lock first (BEGIN IMMEDIATE).

    Optuna claims a queued trial with "read WAITING, then write RUNNING" under SELECT ... FOR
    UPDATE, which SQLite ignores, and Python's sqlite3 only begins a transaction at the write:
    two workers could both read WAITING and both run the trial (and both fail a stale one).
    With the lock taken at BEGIN, the second waits (the connection's timeout) and reads RUNNING.
    """
    import sqlalchemy

    @sqlalchemy.event.listens_for(engine, "connect")
    def _no_implicit_begin(dbapi_connection, record) -> None:
        dbapi_connection.isolation_level = None  # sqlite3 leaves BEGIN to us

    @sqlalchemy.event.listens_for(engine, "begin")
    def _begin_immediate(connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened while the schema was created lack the listeners


def existing_file(url: str) -> Path | None:
    """The file behind a SQLite or journal URL, if that is what it is."""
    if url.startswith("journal:"):
        return Path(url[len("journal:") :])
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    return None
