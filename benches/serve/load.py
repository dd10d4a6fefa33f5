#!/usr/bin/env python3
"""Load test of `adql serve`: CLIENTS concurrent clients (sync and async mixed) for SECONDS, with the server
killed (SIGKILL) and restarted on the same port and data directory in the middle.

Every request must end with the right answer (a client retries while the server is down, and after a 503,
as TAP clients do); every async job accepted before the kill must complete after the restart with the right
rows. Prints the counts and latency percentiles, and writes them as JSON with --out.

    load.py ADQL_BINARY --tap http://localhost:8080/tap [--clients 100] [--seconds 120] [--out FILE]
"""
import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

QUERIES = {
    # local table, sync
    "local": "SELECT COUNT(*) AS n FROM stars "
             "WHERE 1 = CONTAINS(POINT('ICRS', ra, dec), CIRCLE('ICRS', 56.75, 24.12, 2))",
    # one remote service, sync
    "remote": "SELECT TOP 50 source_id FROM gaia.archive2.sources ORDER BY source_id",
    # across two services, async
    "federated": "SELECT TOP 5 o.obs_id, COUNT(*) AS n "
                 "FROM mast.archive1.obscore AS o JOIN gaia.archive2.sources AS s "
                 "ON 1 = CONTAINS(POINT('ICRS', s.ra, s.dec), CIRCLE('ICRS', o.s_ra, o.s_dec, 0.05)) "
                 "WHERE s.phot_g_mean_mag < 19 GROUP BY o.obs_id ORDER BY n DESC, o.obs_id",
}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, port, data, tap):
    cmd = [binary, "serve", "--no-user-config", "--bind", f"127.0.0.1:{port}", "--data-dir", data,
           "--service", f"mast={tap}", "--service", f"gaia={tap}",
           "--table", f"stars={os.path.join(REPO, 'data', 'stars.csv')}",
           "--max-running", "8", "--max-queued", "1000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env={**os.environ, "XDG_CACHE_HOME": os.path.join(data, "cache")})
    proc.stdout.readline()  # the "TAP service at" line: listening
    return proc


def request(url, data=None, timeout=300):
    """(status, body, location); raises OSError when the server cannot be reached."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with OPENER.open(urllib.request.Request(url, data=body), timeout=timeout) as r:
            return r.status, r.read().decode(), r.headers.get("Location")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace"), e.headers.get("Location")
    except urllib.error.URLError as e:
        raise OSError(str(e.reason)) from e


def persist(call, stats):
    """Runs `call` until the server answers something other than 503, counting retries."""
    while True:
        try:
            status, body, location = call()
        except (OSError, ConnectionError, TimeoutError):
            stats["retries"] += 1
            time.sleep(0.2)
            continue
        if status == 503:
            stats["busy"] += 1
            time.sleep(0.5)
            continue
        return status, body, location


def rows(csv):
    return [l for l in csv.splitlines()[1:] if l]


def percentile(values, p):
    if not values:
        return None
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--tap", default="http://localhost:8080/tap")
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=120)
    ap.add_argument("--out")
    args = ap.parse_args()

    data = tempfile.mkdtemp(prefix="adql-serve-load-")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = {"proc": start(args.binary, port, data, args.tap)}

    # The right answers, asked once before the load.
    expected = {}
    for name, q in QUERIES.items():
        status, body, _ = request(f"{base}/sync", {"LANG": "ADQL", "FORMAT": "csv", "QUERY": q})
        assert status == 200 and rows(body), (name, status, body)
        expected[name] = rows(body)

    lock = threading.Lock()
    stats = {"retries": 0, "busy": 0}
    results = []  # (kind, seconds, ok, detail)
    jobs = []  # (url, kind)
    deadline = time.monotonic() + args.seconds

    def client(seed):
        rng = random.Random(seed)
        local = {"retries": 0, "busy": 0}
        while time.monotonic() < deadline:
            kind = rng.choices(["local", "remote", "federated"], [4, 3, 3])[0]
            started = time.monotonic()
            if kind != "federated":
                params = {"LANG": "ADQL", "FORMAT": "csv", "QUERY": QUERIES[kind]}
                status, body, _ = persist(lambda: request(f"{base}/sync", params), local)
                ok = status == 200 and rows(body) == expected[kind]
                with lock:
                    results.append(("sync", time.monotonic() - started, ok, "" if ok else f"{status} {body[:200]}"))
                continue
            params = {"LANG": "ADQL", "FORMAT": "csv", "PHASE": "RUN", "QUERY": QUERIES[kind]}
            status, body, location = persist(lambda: request(f"{base}/async", params), local)
            if status != 303 or not location:
                with lock:
                    results.append(("async", time.monotonic() - started, False, f"create {status} {body[:200]}"))
                continue
            job = location.replace(location.split("/async/")[0], base)
            with lock:
                jobs.append(job)
            phase = ""
            while phase not in ("COMPLETED", "ERROR", "ABORTED"):
                status, body, _ = persist(lambda: request(f"{job}?WAIT=10"), local)
                if status != 200:
                    phase = f"HTTP {status}"
                    break
                phase = body.split("<uws:phase>")[1].split("<")[0]
            ok = False
            detail = phase
            if phase == "COMPLETED":
                status, body, _ = persist(lambda: request(f"{job}/results/result"), local)
                ok = status == 200 and rows(body) == expected[kind]
                detail = "" if ok else f"result {status} {body[:200]}"
            with lock:
                results.append(("async", time.monotonic() - started, ok, detail))
        with lock:
            stats["retries"] += local["retries"]
            stats["busy"] += local["busy"]

    threads = [threading.Thread(target=client, args=(i,)) for i in range(args.clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    # The kill and restart, halfway.
    time.sleep(args.seconds / 2)
    killed = time.monotonic()
    server["proc"].send_signal(signal.SIGKILL)
    server["proc"].wait()
    with lock:
        jobs_before_kill = len(jobs)
    server["proc"] = start(args.binary, port, data, args.tap)
    downtime = time.monotonic() - killed
    for t in threads:
        t.join()
    elapsed = time.monotonic() - t0

    # Every job accepted, before the kill or after, is there and completed.
    lost = []
    for job in jobs:
        status, body, _ = request(job)
        if status != 200 or "<uws:phase>COMPLETED</uws:phase>" not in body:
            lost.append((job, status, body[:200]))
    server["proc"].send_signal(signal.SIGTERM)
    server["proc"].wait()

    summary = {"clients": args.clients, "seconds": round(elapsed, 1), "restart_downtime_s": round(downtime, 2),
               "requests": len(results), "failed": sum(1 for r in results if not r[2]),
               "jobs": len(jobs), "jobs_accepted_before_kill": jobs_before_kill, "jobs_lost": len(lost),
               "client_retries_while_down": stats["retries"], "busy_503": stats["busy"]}
    for kind in ("sync", "async"):
        lat = [r[1] * 1000 for r in results if r[0] == kind and r[2]]
        summary[kind] = {"n": len(lat), **{f"p{p}_ms": round(percentile(lat, p) or 0) for p in (50, 90, 99)},
                         "max_ms": round(max(lat) if lat else 0)}
    failures = [r for r in results if not r[2]][:5]
    print(json.dumps(summary, indent=2))
    for f in failures:
        print("FAILED", f, file=sys.stderr)
    for job in lost[:5]:
        print("LOST", job, file=sys.stderr)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(summary, f, indent=2)
    return 0 if summary["failed"] == 0 and not lost else 1


if __name__ == "__main__":
    sys.exit(main())
