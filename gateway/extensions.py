"""Extension objects, unbound; `create_app` binds them with `init_app`."""
import sqlite3

from flask_babel import Babel
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError
from sqlalchemy.orm import DeclarativeBase

# Named constraints so Alembic can drop them again on every database (SQLite batch mode needs names).
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
babel = Babel()


def init_sqlite_pragmas() -> None:
    """SQLite: enforce foreign keys, WAL so the embedded worker thread and web threads coexist."""
    @event.listens_for(Engine, "connect")
    def _set_pragmas(dbapi_connection, connection_record):
        if isinstance(dbapi_connection, sqlite3.Connection):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()



# SQLite's INTEGER is 64-bit; a larger Python int makes sqlite3 raise OverflowError (no DB error).
_SQLITE_INT = (-2 ** 63, 2 ** 63 - 1)


def _values(parameters):
    """Every value of a statement's parameters: a dict or a sequence of values, or (executemany,
    a batched INSERT) a sequence of those."""
    for item in (parameters.values() if isinstance(parameters, dict) else parameters):
        if isinstance(item, (dict, list, tuple)):
            yield from (item.values() if isinstance(item, dict) else item)
        else:
            yield item


def _refused_value(parameters) -> str | None:
    """Why SQLite must refuse a statement's parameters as PostgreSQL would, or None."""
    for value in _values(parameters):
        if isinstance(value, str) and "\x00" in value:
            return "text fields cannot contain NUL (0x00) bytes"
        if isinstance(value, int) and not _SQLITE_INT[0] <= value <= _SQLITE_INT[1]:
            return "integer out of range"
    return None


def init_sqlite_guard() -> None:
    """SQLite stores NUL characters and fails on huge integers with a bare OverflowError, where
    PostgreSQL refuses both with a DataError: make SQLite refuse them the same way, so what the
    tests (and `make run`) see is what production does."""
    @event.listens_for(Engine, "before_cursor_execute")
    def _refuse(conn, cursor, statement, parameters, context, executemany):
        if conn.dialect.name == "sqlite" and parameters:
            reason = _refused_value(parameters)
            if reason is not None:
                raise DataError(statement, None, sqlite3.DataError(reason), hide_parameters=True)


init_sqlite_pragmas()
init_sqlite_guard()
