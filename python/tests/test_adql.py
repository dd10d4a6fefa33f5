"""The adql package end to end: local files, the DaCHS on loopback, a notebook's own table joined with a remote
one, units into astropy, errors as exceptions, and Ctrl-C during a query."""

from __future__ import annotations

import _thread
import io
import socket
import threading
import time

import pandas as pd
import pyarrow as pa
import pytest

import adql
from conftest import run_cli

NEAR = "1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', 317.3778, 37.072, 0.5))"


def engine(tap: str | None = None) -> adql.Engine:
    return adql.Engine(services={"d": tap} if tap else None, user_config=False)


def test_local_files_and_results_in_every_form(data):
    e = engine()
    e.register_file("stars", data / "stars.csv")
    result = e.query("SELECT TOP 3 star_id, ra, gmag FROM stars ORDER BY gmag")
    table = result.to_arrow()
    assert table.column_names == ["star_id", "ra", "gmag"]
    assert table.num_rows == 3
    assert result.to_pandas()["gmag"].is_monotonic_increasing
    assert sum(b.num_rows for b in result) == 3
    # The C stream interface: pyarrow reads a result directly.
    assert pa.table(result).num_rows == 3
    assert "stars" in result.explain()


def test_a_federated_query_gives_the_rows_adql_query_gives(tap, cli):
    query = (
        "SELECT s.source_id, s.ra, s.dec, s.phot_g_mean_mag FROM d.xmbench.sources AS s "
        f"WHERE {NEAR} ORDER BY s.source_id"
    )
    ours = engine(tap).query(query).to_pandas()
    theirs = pd.read_csv(
        io.StringIO(run_cli(cli, "query", "--no-user-config", "--service", f"d={tap}", "--format", "csv", query))
    )
    assert len(ours) > 100
    assert list(ours.columns) == list(theirs.columns)
    assert (ours["source_id"].to_numpy() == theirs["source_id"].to_numpy()).all()
    assert ours["ra"].to_numpy() == pytest.approx(theirs["ra"].to_numpy(), rel=0, abs=1e-12)


def test_a_pandas_table_is_crossmatched_with_a_remote_table(tap):
    e = engine(tap)
    targets = pd.DataFrame({"name": ["a", "b"], "ra": [317.3778, 10.0], "dec": [37.072, -80.0]})
    e.register_table("targets", targets)
    rows = e.query(
        "SELECT t.name, s.source_id FROM targets AS t JOIN d.archive2.sources AS s "
        "ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', t.ra, t.dec, 0.5))"
    ).to_pandas()
    alone = e.query(
        f"SELECT s.source_id FROM d.archive2.sources AS s WHERE {NEAR}"
    ).to_pandas()
    assert sorted(rows[rows["name"] == "a"]["source_id"]) == sorted(alone["source_id"])
    assert e.deregister_table("targets")


def test_units_ucds_and_descriptions_reach_astropy(tap):
    table = engine(tap).query(
        "SELECT TOP 3 source_id, ra, dec, phot_g_mean_mag FROM d.archive2.sources ORDER BY source_id"
    ).to_astropy()
    import astropy.units as u

    assert table["ra"].unit == u.deg
    assert table["phot_g_mean_mag"].unit == u.mag
    assert table["ra"].info.meta["ucd"] == "pos.eq.ra;meta.main"
    assert "Right ascension" in table["ra"].info.description
    assert table["ra"].to(u.arcsec)[0].value == pytest.approx(table["ra"][0].value * 3600)


def test_nulls_are_masked_in_astropy():
    e = engine()
    e.register_table("t", pa.table({"x": pa.array([1, None, 3]), "s": pa.array(["a", None, "c"])}))
    table = e.query("SELECT x, s FROM t ORDER BY x").to_astropy()
    # NULLs sort last, as in ADQL services.
    assert list(table["x"].mask) == [False, False, True]
    assert list(table["s"].mask) == [False, False, True]
    assert list(table["x"][:2]) == [1, 3]


def test_an_astropy_table_keeps_its_units():
    from astropy.table import QTable
    import astropy.units as u

    e = engine()
    e.register_table("mine", QTable({"ra": [10.0, 20.0] * u.deg, "flux": [1.0, 2.0] * u.mJy}))
    schema = e.query("SELECT ra, flux FROM mine").schema
    assert schema.field("ra").metadata[b"unit"] == b"deg"
    assert schema.field("flux").metadata[b"unit"] == b"mJy"


def test_errors_are_exceptions_with_where_and_who():
    with pytest.raises(adql.AdqlSyntaxError) as err:
        adql.check("SELECT ra\nFROM t WHERE")
    assert (err.value.line, err.value.column) == (2, 13)
    assert adql.fmt("select  ra from t") == "SELECT ra FROM t"
    e = adql.Engine(services={"dead": "http://127.0.0.1:9/tap"}, user_config=False)
    with pytest.raises(adql.RemoteError) as err:
        e.query("SELECT * FROM dead.s.t")
    assert err.value.service == "dead"
    assert err.value.url == "http://127.0.0.1:9/tap"
    with pytest.raises(adql.AdqlSyntaxError) as err:
        engine().query("SELECT nope FROM (SELECT 1 AS one) AS q")
    assert err.value.line == 1


def test_an_unbounded_remote_part_is_refused_before_rows_move(tap):
    e = adql.Engine(services={"d": tap}, user_config=False, max_remote_rows=1000)
    with pytest.raises(adql.OverflowError) as err:
        e.query("SELECT source_id FROM d.xmbench.sources").to_arrow()
    assert err.value.service == "d"


def test_ctrl_c_stops_a_query_and_other_threads_run_meanwhile():
    # A service that accepts connections and never answers.
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    port = server.getsockname()[1]
    e = adql.Engine(services={"stalled": f"http://127.0.0.1:{port}/tap"}, user_config=False)
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    ticker = threading.Thread(target=tick)
    ticker.start()
    threading.Timer(1.0, _thread.interrupt_main).start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            e.query("SELECT * FROM stalled.s.t")
    finally:
        stop.set()
        ticker.join()
        server.close()
    assert time.monotonic() - started < 5
    assert len(ticks) > 20, "the GIL was released while the query waited"


def _jobs(tap: str) -> dict[str, str]:
    """The service's async jobs and their phases (its UWS job list)."""
    import re
    import urllib.request

    with urllib.request.urlopen(f"{tap}/async", timeout=10) as answer:
        listing = answer.read().decode()
    return dict(re.findall(r'<uws:jobref id="([^"]+)".*?<uws:phase>(\w+)</uws:phase>', listing, re.S))


def test_ctrl_c_deletes_the_remote_async_job(tap, tmp_path):
    config = tmp_path / "async.toml"
    config.write_text(f'[services.d]\nurl = "{tap}"\nmode = "async"\n')
    e = adql.Engine(config=config, user_config=False, max_remote_rows=0)
    before = set(_jobs(tap))
    # A query the service needs hours for: 20,000 × 20,000 × 1000 triples.
    slow = (
        "SELECT COUNT(*) AS n FROM d.archive2.sources AS a, d.archive2.sources AS b, "
        "d.archive1.obscore AS c WHERE a.ra + b.ra + c.s_ra > 10000"
    )
    ours: list[str] = []

    def interrupt_once_running():
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            running = [j for j, phase in _jobs(tap).items() if j not in before and phase == "EXECUTING"]
            if running:
                ours.extend(running)
                _thread.interrupt_main()
                return
            time.sleep(0.1)

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        e.query(slow).to_arrow()
    assert ours, "the job never started executing"
    # Deleted (gone from the list), or at least no longer running, within a few seconds.
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        phase = _jobs(tap).get(ours[0])
        if phase not in ("EXECUTING", "QUEUED"):
            break
        time.sleep(0.2)
    assert _jobs(tap).get(ours[0]) not in ("EXECUTING", "QUEUED")
