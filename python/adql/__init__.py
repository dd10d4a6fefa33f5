"""One ADQL query across astronomical archives, from Python.

>>> import adql
>>> engine = adql.Engine(services={"mine": "http://localhost:8080/tap"})
>>> result = engine.query("SELECT TOP 5 source_id, ra, dec FROM mine.archive2.sources")
>>> table = result.to_astropy()          # or .to_arrow(), .to_pandas(), or iterate over record batches

The engine is the Rust ``adql`` engine (its command line is ``adql query``): services are TAP archives
(built in: Gaia, MAST, VizieR, SIMBAD, IRSA, HEASARC, NED, …, and those of the user's configuration),
tables are named ``service.schema.table``, and the notebook's own tables join them with
:meth:`Engine.register_table`.
"""

from ._adql import (
    AdqlError,
    AdqlSyntaxError,
    OverflowError,
    RemoteError,
    check,
    fmt,
)
from ._engine import Engine, Result

__all__ = [
    "AdqlError",
    "AdqlSyntaxError",
    "Engine",
    "OverflowError",
    "RemoteError",
    "Result",
    "check",
    "fmt",
]
