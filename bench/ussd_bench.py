"""USSD load benchmark: realistic multi-hop sessions against gunicorn (2 workers) on real Redis
and PostgreSQL, compared in the same run with a minimal Flask app answering a fixed `CON`.

    .venv/bin/python bench/ussd_bench.py [--rounds 5] [--seconds 8] [--sessions 16]

16 phone lines dial at once, each running journeys one after another with no think time: full
reports (about half the sessions, some with free text, some dropped half-way and resumed on
the next dial), activity registrations, awareness topics, call-back requests, and a few
sessions that page through lists and go back. Most sessions come from people who dialled
before; one in twenty from a new number, whose first dial chooses a language.
Writes (reports, subscriptions, call-backs, registration SMS, languages) are applied by one RQ
worker process (`flask --app wsgi worker`, as deployed; SMS go to the fake Africa's Talking
server). By default it starts when the load stops (workers belong on other cores in a
deployment; this VM has two), and the benchmark waits for it and checks every reference shown
was stored exactly once; `--worker-during` runs it beside gunicorn during the load instead. Its
CPU is shown apart.
The baseline, `bench/baseline_app.py`, runs under the same gunicorn settings beside the gateway;
the same load generator loads the two in alternating rounds (this machine's load from other
processes then hits both alike) and the median of the rounds' ratios counts.
Target: throughput ≥ 0.6 of the baseline's, p99 ≤ 50 ms. Exits 1 when a target is missed.
"""
from __future__ import annotations

import argparse
import http.client
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.services import (PYTHON, ROOT, free_port, gateway_env, gunicorn, postgres_server,  # noqa: E402
                            redis_server, run_flask, wait_for_port)

LANGUAGE_KEYS = ["1", "2", "3", "4", "5", "6"]           # Hausa, Zarma, French, Fulfulde, Kanuri, Tamajaq
WORDS = ["bandits", "vol", "shanu", "fitina", "puits", "marche", "nuit", "route", "village", "*", "3"]
TARGET_RATIO, TARGET_P99_MS = 0.6, 50.0
NEW_CALLER_SHARE = 0.05      # sessions from a number never seen before (first dial)
MAX_CALLERS_PER_LINE = 400


class Phone:
    """What the load generator remembers of one number, to type what its screens ask."""

    def __init__(self, number: str):
        self.number = number
        self.dialled = False          # next dial shows the main menu (language chosen)
        self.has_region = False       # activities skip the region question
        self.draft: list[str] = []    # the rest of a dropped report: next dial offers to continue


def session_script(phone: Phone, rng: random.Random, mix: str = "realistic") -> tuple[list[str], str]:
    """The inputs of one session for `phone`, and its kind. Mirrors menus/journeys/*.yaml.

    `mix="menus"` (a diagnostic) only navigates: no session stores anything.
    """
    inputs: list[str] = []
    if not phone.dialled:
        inputs.append(rng.choice(LANGUAGE_KEYS))
        phone.dialled = True
    if mix == "menus":
        return inputs + ["1", "98", "0", str(rng.randint(1, 3)), str(rng.randint(1, 3)), "1", "1", "2", "0",
                         "0", "00", "3", "0", "4", "0"], "browse"
    if phone.draft:
        rest, phone.draft = phone.draft, []
        if rng.random() < 0.8:                           # continue the report where it dropped
            return inputs + ["1"] + rest, "report"
        inputs.append("2")                               # or start afresh
    roll = rng.random()
    if roll < 0.50:
        category = str(rng.randint(1, 3))                # on the first page in every language
        region = str(rng.randint(1, 3))                  # programme regions first
        details = rng.choice(["1", " ".join(rng.choices(WORDS, k=rng.randint(2, 8)))])
        report = ["1", category, region, "1", str(rng.randint(1, 4)), str(rng.randint(1, 3)), details,
                  rng.choice(["1", "2"]), "1"]
        if rng.random() < 0.12:                          # the network drops it half-way
            cut = rng.randint(3, 6)
            phone.draft = report[cut:]
            return inputs + report[:cut], "dropped"
        return inputs + report, "report"
    if roll < 0.65:
        steps = ["2"] + ([] if phone.has_region else [str(rng.randint(1, 3))])
        phone.has_region = True
        return inputs + steps + ["1", "1"], "activity"
    if roll < 0.80:
        return inputs + ["3", str(rng.randint(1, 4)), rng.choice(["1", "2"])], "topic"
    if roll < 0.92:
        return inputs + ["4", "1"], "callback"
    return inputs + ["1", "98", "98", "0", "0", "00", "1", "1", "0", "00"], "browse"


class LoadGenerator:
    """`sessions` phone lines dialling back to back; `run(seconds)` is one measured round.

    Each line keeps its callers from round to round (a running programme: most sessions come
    from people who dialled before) and takes a new caller for NEW_CALLER_SHARE of its sessions,
    so every round has the same mix of first dials (language choice, contact created).
    """

    def __init__(self, base_url: str, token: str, sessions: int, seed: int = 7, mix: str = "realistic"):
        self.url = urlparse(base_url)
        self.path = "/ussd/africastalking?" + urlencode({"token": token})
        self.sessions, self.seed, self.mix = sessions, seed, mix
        self.lines = [(random.Random(seed * 1000 + index), []) for index in range(sessions)]
        self.serial = 0
        self.rounds: list[dict] = []
        self._lock = threading.Lock()

    def _post(self, form: dict) -> tuple[float, str]:
        body = urlencode(form)
        started = time.perf_counter()
        # A new connection per hop, as gunicorn's sync workers close every connection anyway.
        connection = http.client.HTTPConnection(self.url.hostname, self.url.port, timeout=10)
        try:
            connection.request("POST", self.path, body, {"Content-Type": "application/x-www-form-urlencoded"})
            response = connection.getresponse()
            text = response.read().decode()
            status = response.status
        finally:
            connection.close()
        elapsed = time.perf_counter() - started
        if status != 200 or not text.startswith(("CON ", "END ")):
            raise RuntimeError(f"HTTP {status}: {text[:80]}")
        return elapsed, text

    def _caller(self, index: int) -> Phone:
        rng, phones = self.lines[index]
        if not phones or (len(phones) < MAX_CALLERS_PER_LINE and rng.random() < NEW_CALLER_SHARE):
            # Numbers +2279S LL NNNN: S from the seed (warm-up and measured runs never share one).
            phones.append(Phone(f"+2279{self.seed % 10}{index:02d}{len(phones):04d}"))
            return phones[-1]
        return rng.choice(phones)

    def _run_phone(self, index: int, deadline: float, totals: dict) -> None:
        rng = self.lines[index][0]
        latencies, kinds, errors, ends, references = [], {}, 0, 0, 0
        while time.time() < deadline:
            phone = self._caller(index)
            inputs, kind = session_script(phone, rng, self.mix)
            with self._lock:
                self.serial += 1
                session_id = f"ATUid_bench_{self.seed}_{self.serial}"
            typed: list[str] = []
            for value in [None, *inputs]:
                if value is not None:
                    typed.append(value)
                form = {"sessionId": session_id, "serviceCode": "*384*1010#", "phoneNumber": phone.number,
                        "networkCode": "99999", "text": "*".join(typed)}
                try:
                    elapsed, text = self._post(form)
                except Exception:
                    errors += 1
                    break
                latencies.append(elapsed)
                if text.startswith("END "):
                    ends += 1
                    references += " R-" in text
                    break
            kinds[kind] = kinds.get(kind, 0) + 1
        with self._lock:
            totals["latencies"].extend(latencies)
            totals["errors"] += errors
            totals["ends"] += ends
            totals["references"] += references
            for kind, n in kinds.items():
                totals["kinds"][kind] = totals["kinds"].get(kind, 0) + n

    def run(self, seconds: float) -> dict:
        """One round of `seconds`; returns its throughput and latency figures (kept in `rounds`)."""
        totals = {"latencies": [], "errors": 0, "ends": 0, "references": 0, "kinds": {}}
        deadline = time.time() + seconds
        threads = [threading.Thread(target=self._run_phone, args=(i, deadline, totals))
                   for i in range(self.sessions)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        totals["seconds"] = time.perf_counter() - started
        self.rounds.append(totals)
        return figures([totals])


def figures(rounds: list[dict]) -> dict:
    """Throughput and latency percentiles over one or more rounds."""
    lat = sorted(x for r in rounds for x in r["latencies"])
    wall = sum(r["seconds"] for r in rounds)
    kinds: dict[str, int] = {}
    for r in rounds:
        for kind, n in r["kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
    return {"hops": len(lat), "seconds": wall, "rps": len(lat) / wall if wall else 0.0, "p50": pct(0.50),
            "p95": pct(0.95), "p99": pct(0.99), "max": lat[-1] * 1000 if lat else float("nan"),
            "mean": statistics.fmean(lat) * 1000 if lat else float("nan"),
            "errors": sum(r["errors"] for r in rounds), "sessions": sum(kinds.values()),
            "kinds": dict(sorted(kinds.items())), "ends": sum(r["ends"] for r in rounds),
            "references": sum(r["references"] for r in rounds)}


def cpu_seconds(marker: str) -> float:
    """User+system CPU seconds used so far by every process whose command line holds `marker`."""
    import os
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                if marker.encode() not in fh.read():
                    continue
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])      # utime, stime
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
    return total / ticks


def measured(load: LoadGenerator, base_url: str, seconds: float) -> dict:
    """One round of `load`, with the server's CPU time per hop (gunicorn master and workers)."""
    marker = f"127.0.0.1:{urlparse(base_url).port}"
    before = cpu_seconds(marker)
    result = load.run(seconds)
    result["cpu_ms_per_hop"] = (cpu_seconds(marker) - before) / max(result["hops"], 1) * 1000
    load.rounds[-1]["cpu"] = cpu_seconds(marker) - before
    return result


def warm_up(base_url: str, token: str) -> None:
    """A few sessions so both servers have imported everything and filled their caches."""
    LoadGenerator(base_url, token, sessions=2, seed=99).run(2)


def count_reports(database_url: str) -> tuple[int, int]:
    """(reports, distinct session keys) straight from PostgreSQL: duplicates would differ."""
    import psycopg
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        total, keys = conn.execute("SELECT count(*), count(DISTINCT source_key) FROM reports").fetchone()
    return total, keys


def wait_for_worker(redis_url: str, database_url: str, timeout: float = 300) -> tuple[float, int]:
    """Wait until the worker has applied every handed-over write (the SMS they queued may still
    be sending); returns how long it took and how many jobs were still queued then."""
    import redis as redis_lib
    from rq import Queue
    connection = redis_lib.Redis.from_url(redis_url)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not connection.llen("murya:ussd:pending") and not connection.exists("murya:ussd:lock"):
            break
        time.sleep(0.2)
    queued = sum(Queue(name, connection=connection).count for name in ("high", "default"))
    return time.monotonic() - started, queued


def show(name: str, r: dict) -> None:
    print(f"  {name:<9} {r['rps']:8.1f} hops/s  p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  "
          f"p99 {r['p99']:6.2f} ms  max {r['max']:7.2f} ms  server CPU {r['cpu_ms_per_hop']:.2f} ms/hop  "
          f"({r['hops']} hops, {r['sessions']} sessions, {r['errors']} errors)")


def overall(load: LoadGenerator) -> dict:
    """Every round of `load` together, with its CPU per hop."""
    result = figures(load.rounds)
    result["cpu_ms_per_hop"] = sum(r["cpu"] for r in load.rounds) / max(result["hops"], 1) * 1000
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (each server once per round)")
    parser.add_argument("--seconds", type=float, default=8.0, help="load duration per server and round")
    parser.add_argument("--sessions", type=int, default=16, help="concurrent sessions")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both servers)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (both servers)")
    parser.add_argument("--worker-during", action="store_true",
                        help="run the RQ worker during the load (default: after it, on the queued writes)")
    parser.add_argument("--mix", choices=("realistic", "menus"), default="realistic",
                        help="journeys (default), or menus only: navigation that stores nothing (diagnostic)")
    args = parser.parse_args()
    print(f"USSD benchmark: {args.sessions} concurrent sessions, {args.rounds} alternating rounds of "
          f"{args.seconds:.0f} s per server, gunicorn {args.workers} workers x {args.threads} thread(s), "
          f"{args.mix} mix", flush=True)
    with redis_server() as redis_url, postgres_server() as database_url:
        fake_port = free_port()
        fake = subprocess.Popen([PYTHON, "-m", "tests.fakes.at_server", "--port", str(fake_port), "--delay-ms", "20"],
                                cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        env = gateway_env(database_url, redis_url, USSD_SESSION_TTL=300, AT_API_URL=f"http://127.0.0.1:{fake_port}")
        run_flask(env, "db", "upgrade")
        run_flask(env, "seed")
        token = env["AT_CALLBACK_TOKEN"]

        def start_worker():
            return subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "worker", "--name", "bench-ussd-worker"],
                                    cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        worker = start_worker()
        try:
            wait_for_port(fake_port)
            # Both servers run side by side and are loaded in alternating rounds, so a change in
            # the machine's load (other processes) hits both alike; the median round ratio counts.
            with gunicorn("bench.baseline_app:app", env, workers=args.workers, threads=args.threads) as base_url, \
                    gunicorn("wsgi:app", env, workers=args.workers, threads=args.threads) as url:
                warm_up(base_url, token)
                warm_up(url, token)
                wait_for_worker(redis_url, database_url)
                before, _ = count_reports(database_url)
                if not args.worker_during:
                    worker.terminate()
                    worker.wait(15)
                worker_cpu = cpu_seconds("bench-ussd-worker")
                gateway_load = LoadGenerator(url, token, args.sessions, mix=args.mix)
                baseline_load = LoadGenerator(base_url, token, args.sessions, mix=args.mix)
                ratios = []
                for number in range(1, args.rounds + 1):
                    base = measured(baseline_load, base_url, args.seconds)
                    gate = measured(gateway_load, url, args.seconds)
                    ratios.append(gate["rps"] / base["rps"] if base["rps"] else 0.0)
                    print(f"round {number}: baseline {base['rps']:6.0f} hops/s, gateway {gate['rps']:6.0f} hops/s "
                          f"(p99 {gate['p99']:.1f} ms), ratio {ratios[-1]:.2f}", flush=True)
                gateway, baseline = overall(gateway_load), overall(baseline_load)
                if not args.worker_during:
                    worker = start_worker()
                lag, sms_queued = wait_for_worker(redis_url, database_url)
                gateway["worker_cpu_ms_per_hop"] = (cpu_seconds("bench-ussd-worker") - worker_cpu) \
                    / max(gateway["hops"], 1) * 1000
        finally:
            worker.terminate()
            fake.terminate()
            worker.wait(15)
            fake.wait(15)
        reports, keys = count_reports(database_url)
    print("Results (all rounds)")
    show("gateway", gateway)
    show("baseline", baseline)
    ratio = statistics.median(ratios)
    print(f"  sessions by kind: {gateway['kinds']}")
    print(f"  worker ({'during' if args.worker_during else 'after'} the load): "
          f"{gateway['worker_cpu_ms_per_hop']:.2f} ms CPU per gateway hop; every write applied {lag:.1f} s "
          f"after the load stopped ({sms_queued} SMS jobs still queued then)")
    print(f"  reports: {gateway['references']} references shown, {reports - before} stored, "
          f"{reports - keys} duplicates")
    ok = ratio >= TARGET_RATIO and gateway["p99"] <= TARGET_P99_MS and gateway["errors"] == 0 \
        and gateway["references"] == reports - before and reports == keys
    print(f"  throughput ratio gateway/baseline (median of {len(ratios)} rounds: "
          f"{', '.join(f'{r:.2f}' for r in ratios)}): {ratio:.2f} (target >= {TARGET_RATIO}); "
          f"gateway p99 {gateway['p99']:.1f} ms (target <= {TARGET_P99_MS:.0f} ms): "
          f"{'TARGET MET' if ok else 'TARGET MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:   # a service did not start: say which, no traceback
        sys.exit(f"benchmark setup failed: {exc}")
