"""Tables in and out: what :meth:`Engine.register_table` accepts, and astropy tables of results."""

from __future__ import annotations

from typing import Any

import pyarrow as pa


def arrow_of(table: Any) -> Any:
    """``table`` as something with ``__arrow_c_stream__``: pyarrow and polars objects as they are, pandas
    DataFrames through pyarrow, astropy tables with their units, UCDs and descriptions as field metadata."""
    if hasattr(table, "__arrow_c_stream__"):
        return table
    module = type(table).__module__
    if module.startswith("pandas"):
        return pa.Table.from_pandas(table, preserve_index=False)
    if module.startswith("astropy"):
        return _from_astropy(table)
    raise TypeError(
        f"cannot register a {type(table).__name__}: give a pyarrow, pandas, polars or astropy table "
        "(or anything with __arrow_c_stream__)"
    )


def _from_astropy(table: Any) -> pa.Table:
    import numpy as np

    arrays, fields = [], []
    for name in table.colnames:
        column = table[name]
        values = np.asarray(getattr(column, "value", column))
        mask = getattr(column, "mask", None)
        if mask is not None and np.ndim(mask) == 0:
            mask = None if not mask else np.ones(len(values), dtype=bool)
        array = pa.array(values, mask=np.asarray(mask) if mask is not None else None)
        meta = {}
        unit = getattr(column, "unit", None)
        if unit is not None and str(unit):
            meta["unit"] = unit.to_string(format="vounit")
        info = getattr(column, "info", None)
        if info is not None and getattr(info, "description", None):
            meta["description"] = str(info.description)
        if info is not None and (info.meta or {}).get("ucd"):
            meta["ucd"] = str(info.meta["ucd"])
        arrays.append(array)
        fields.append(pa.field(name, array.type, nullable=True, metadata=meta or None))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def to_astropy(table: pa.Table, units: bool = True) -> Any:
    """``table`` as an astropy ``QTable`` (``Table`` without units): each column with its unit (VOUnit, as
    the services write them), UCD (``meta["ucd"]``) and description; NULLs masked."""
    import numpy as np
    from astropy import units as u
    from astropy.table import MaskedColumn, QTable, Table

    columns = []
    for field, chunked in zip(table.schema, table.columns):
        meta = {k.decode(): v.decode() for k, v in (field.metadata or {}).items()}
        array = chunked.combine_chunks() if chunked.num_chunks != 1 else chunked.chunk(0)
        mask = np.asarray(array.is_null()) if array.null_count else None
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            data = np.asarray(array.fill_null("").to_numpy(zero_copy_only=False), dtype=str)
        elif array.null_count and (pa.types.is_integer(array.type) or pa.types.is_boolean(array.type)):
            data = array.fill_null(0).to_numpy(zero_copy_only=False)
        else:
            data = array.to_numpy(zero_copy_only=False)
        unit = None
        if units and meta.get("unit"):
            unit = u.Unit(meta["unit"], format="vounit", parse_strict="silent")
        column = MaskedColumn(
            data,
            name=field.name,
            mask=mask if mask is not None else np.zeros(len(data), dtype=bool),
            unit=unit,
            description=meta.get("description"),
            meta={"ucd": meta["ucd"]} if meta.get("ucd") else None,
        )
        columns.append(column)
    return (QTable if units else Table)(columns)
