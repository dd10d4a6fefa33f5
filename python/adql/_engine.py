"""The Python face of the engine: :class:`Engine` and :class:`Result`."""

from __future__ import annotations

import os
from typing import Any, Iterator, Mapping, Sequence, Union

import pyarrow as pa

from . import _adql
from ._convert import arrow_of, to_astropy

PathLike = Union[str, "os.PathLike[str]"]


class Result:
    """The rows of one query, read when asked for: all at once (:meth:`to_arrow`, :meth:`to_pandas`,
    :meth:`to_astropy`) or one record batch at a time (iteration)."""

    def __init__(self, native: Any, engine: "Engine") -> None:
        self._native = native
        self._engine = engine

    @property
    def adql(self) -> str:
        """The query."""
        return self._native.adql

    @property
    def schema(self) -> pa.Schema:
        """The columns: names, types, and units, UCDs and descriptions in field metadata."""
        return self._native.schema()

    def to_arrow(self) -> pa.Table:
        """Every row as a pyarrow Table (handed over through the Arrow C data interface, not copied)."""
        return pa.Table.from_batches(self._native.batches(), schema=self.schema)

    def to_pandas(self, **kwargs: Any) -> "Any":
        """Every row as a pandas DataFrame (``pyarrow.Table.to_pandas`` with ``kwargs``)."""
        return self.to_arrow().to_pandas(**kwargs)

    def to_astropy(self, units: bool = True) -> "Any":
        """Every row as an astropy ``QTable`` (a ``Table`` with ``units=False``): units, UCDs and descriptions
        on the columns, NULLs masked."""
        return to_astropy(self.to_arrow(), units=units)

    def explain(self) -> str:
        """How the query runs: the ADQL sent to each service, the strategies and the plans."""
        return self._engine.explain(self.adql)

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        """The rows, one pyarrow RecordBatch at a time (for results larger than memory)."""
        return iter(self._native)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule stream interface (polars, DuckDB, … read a result directly)."""
        return self.to_arrow().__arrow_c_stream__(requested_schema)

    def __repr__(self) -> str:
        return f"<adql.Result of {self.adql!r}>"


class Engine:
    """The federated ADQL engine.

    :param services: more TAP services, as ``{"name": "https://…/tap"}`` or ``["name=https://…/tap"]``.
    :param config: a configuration file (or several), read after the user's (``~/.config/adql/config.toml``).
    :param maxrec: MAXREC sent with every remote query.
    :param timeout: longest time one remote request may take, in seconds.
    :param on_overflow: ``"split"`` fetches a remote part that reaches MAXREC again in pieces; ``"fail"``
        raises :class:`adql.OverflowError`.
    :param max_remote_rows: the most rows a remote part may fetch when nothing in the query bounds it
        (default ten million; 0: no limit); a larger part raises :class:`adql.OverflowError` before its rows
        move.
    :param user_config: read the user's configuration file.
    """

    def __init__(
        self,
        services: Union[Mapping[str, str], Sequence[str], None] = None,
        config: Union[PathLike, Sequence[PathLike], None] = None,
        maxrec: Union[int, None] = None,
        timeout: Union[float, None] = None,
        on_overflow: str = "split",
        max_remote_rows: Union[int, None] = None,
        user_config: bool = True,
    ) -> None:
        if isinstance(config, (str, os.PathLike)):
            config = [config]
        self._native = _adql.Engine(
            services=dict(services) if isinstance(services, Mapping) else services,
            config=[os.fspath(c) for c in config] if config is not None else None,
            maxrec=maxrec,
            timeout=timeout,
            on_overflow=on_overflow,
            max_remote_rows=max_remote_rows,
            user_config=user_config,
        )

    def query(self, adql: str) -> Result:
        """Plans ``adql`` (errors in it raise :class:`adql.AdqlSyntaxError` now); the rows come when the
        :class:`Result` is read."""
        return Result(self._native.query(adql), self)

    def explain(self, adql: str) -> str:
        """How ``adql`` would run: the ADQL sent to each service and the plans."""
        return self._native.explain(adql)

    def register_table(self, name: str, table: Any) -> None:
        """Makes ``table`` the local table ``name``: a pyarrow Table, a pandas or polars DataFrame, an
        astropy Table (units kept), or anything with ``__arrow_c_stream__``."""
        self._native.register_table(name, arrow_of(table))

    def register_file(
        self, name: str, path: PathLike, units: Union[Mapping[str, str], None] = None
    ) -> None:
        """Makes the file at ``path`` (Parquet, CSV or VOTable, by its extension) the local table ``name``;
        ``units`` gives units (``{"ra": "deg"}``) to columns of files that carry none (CSV)."""
        self._native.register_file(name, os.fspath(path), dict(units) if units else None)

    def deregister_table(self, name: str) -> bool:
        """Removes the local table ``name``; whether there was one."""
        return self._native.deregister_table(name)

    def tables(self, service: str) -> pa.Table:
        """The tables of the TAP service ``service``: schema, table, description, rows, columns."""
        return self._native.tables(service)

    @property
    def services(self) -> list[str]:
        """The names of the configured services."""
        return self._native.services()
