"""USSD load benchmark: realistic multi-hop sessions against gunicorn (2 workers) on real Redis
and PostgreSQL, compared in the same run with a minimal Flask app answering a fixed `CON`.

    .venv/bin/python bench/ussd_bench.py [--seconds 20] [--sessions 16]

16 phones dial at once, each running journeys one after another with no think time: full
reports (about half the sessions, some with free text, some dropped half-way and resumed on
the next dial), activity registrations, awareness topics, call-back requests, and a few
sessions that page through lists and go back. First dials of a number choose a language.
Writes (reports, subscriptions, call-backs, languages) are applied by one RQ worker process
(`flask --app wsgi worker`, as deployed; SMS go to the fake Africa's Talking server). By default
it starts when the load stops (workers belong on other cores in a deployment; this VM has two),
and the benchmark waits for it and checks every reference shown was stored exactly once;
`--worker-during` runs it beside gunicorn during the load instead. Its CPU is shown apart.
The same load generator, sending the same requests, then runs against `bench/baseline_app.py`
under the same gunicorn settings. Target: throughput ≥ 0.6 of the baseline's, p99 ≤ 50 ms.
Prints the figures and exits 0 (the verdict is printed, not asserted).
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
PEOPLE_PER_LINE = 10


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
    """`sessions` phones, each running sessions back to back for `seconds`."""

    def __init__(self, base_url: str, token: str, sessions: int, seconds: float, seed: int = 7,
                 mix: str = "realistic"):
        self.url = urlparse(base_url)
        self.path = "/ussd/africastalking?" + urlencode({"token": token})
        self.sessions, self.seconds, self.seed, self.mix = sessions, seconds, seed, mix
        self.latencies: list[float] = []
        self.kinds: dict[str, int] = {}
        self.errors = 0
        self.ends = 0
        self.references = 0           # report references shown on a closing screen
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

    def _run_phone(self, index: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + index)
        # Numbers +2279S II NNNN: S from the seed (warm-up and measured runs never share one).
        # A small population per phone line, so most sessions come from people who dialled
        # before (as in a running programme); each number's first session chooses a language.
        phones = [Phone(f"+2279{self.seed % 10}{index:02d}{n:04d}") for n in range(PEOPLE_PER_LINE)]
        latencies, kinds, errors, ends, references, serial = [], {}, 0, 0, 0, 0
        while time.time() < deadline:
            phone = rng.choice(phones)
            inputs, kind = session_script(phone, rng, self.mix)
            serial += 1
            session_id = f"ATUid_bench_{self.seed}_{index}_{serial}"
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
            self.latencies.extend(latencies)
            self.errors += errors
            self.ends += ends
            self.references += references
            for kind, n in kinds.items():
                self.kinds[kind] = self.kinds.get(kind, 0) + n

    def run(self) -> dict:
        """Run the load; return throughput and latency figures."""
        deadline = time.time() + self.seconds
        threads = [threading.Thread(target=self._run_phone, args=(i, deadline)) for i in range(self.sessions)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - started
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")
        return {"hops": len(lat), "seconds": wall, "rps": len(lat) / wall, "p50": pct(0.50), "p95": pct(0.95),
                "p99": pct(0.99), "max": lat[-1] * 1000 if lat else float("nan"),
                "mean": statistics.fmean(lat) * 1000 if lat else float("nan"), "errors": self.errors,
                "sessions": sum(self.kinds.values()), "kinds": dict(sorted(self.kinds.items())), "ends": self.ends,
                "references": self.references}


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


def measured(base_url: str, token: str, sessions: int, seconds: float, mix: str) -> dict:
    """Run the load generator and add the server's CPU time per hop (master and workers)."""
    marker = f"127.0.0.1:{urlparse(base_url).port}"
    before = cpu_seconds(marker)
    result = LoadGenerator(base_url, token, sessions, seconds, mix=mix).run()
    result["cpu_ms_per_hop"] = (cpu_seconds(marker) - before) / max(result["hops"], 1) * 1000
    return result


def warm_up(base_url: str, token: str) -> None:
    """A few sessions so both servers have imported everything and filled their caches."""
    LoadGenerator(base_url, token, sessions=2, seconds=2, seed=99).run()


def count_reports(database_url: str) -> tuple[int, int]:
    """(reports, distinct session keys) straight from PostgreSQL: duplicates would differ."""
    import psycopg
    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        total, keys = conn.execute("SELECT count(*), count(DISTINCT source_key) FROM reports").fetchone()
    return total, keys


def wait_for_worker(redis_url: str, database_url: str, timeout: float = 120) -> float:
    """Wait until the worker has applied every handed-over write; returns how long it took."""
    import redis as redis_lib
    from rq import Queue
    connection = redis_lib.Redis.from_url(redis_url)
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        pending = connection.llen("murya:ussd:pending")
        queued = sum(Queue(name, connection=connection).count for name in ("high", "default"))
        if not pending and not queued and not connection.exists("murya:ussd:lock"):
            break
        time.sleep(0.2)
    return time.monotonic() - started


def show(name: str, r: dict) -> None:
    print(f"  {name:<9} {r['rps']:8.1f} hops/s  p50 {r['p50']:6.2f} ms  p95 {r['p95']:6.2f} ms  "
          f"p99 {r['p99']:6.2f} ms  max {r['max']:7.2f} ms  server CPU {r['cpu_ms_per_hop']:.2f} ms/hop  "
          f"({r['hops']} hops, {r['sessions']} sessions, {r['errors']} errors)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="load duration per server")
    parser.add_argument("--sessions", type=int, default=16, help="concurrent sessions")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (both servers)")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (both servers)")
    parser.add_argument("--worker-during", action="store_true",
                        help="run the RQ worker during the load (default: after it, on the queued writes)")
    parser.add_argument("--mix", choices=("realistic", "menus"), default="realistic",
                        help="journeys (default), or menus only: navigation that stores nothing (diagnostic)")
    args = parser.parse_args()
    print(f"USSD benchmark: {args.sessions} concurrent sessions, {args.seconds:.0f} s per server, "
          f"gunicorn {args.workers} workers x {args.threads} thread(s), {args.mix} mix")
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
            with gunicorn("wsgi:app", env, workers=args.workers, threads=args.threads) as url:
                warm_up(url, token)
                wait_for_worker(redis_url, database_url)
                before, _ = count_reports(database_url)
                if not args.worker_during:
                    worker.terminate()
                    worker.wait(15)
                worker_cpu = cpu_seconds("bench-ussd-worker")
                gateway = measured(url, token, args.sessions, args.seconds, args.mix)
                if not args.worker_during:
                    worker = start_worker()
                lag = wait_for_worker(redis_url, database_url)
                gateway["worker_cpu_ms_per_hop"] = (cpu_seconds("bench-ussd-worker") - worker_cpu) \
                    / max(gateway["hops"], 1) * 1000
        finally:
            worker.terminate()
            fake.terminate()
            worker.wait(15)
            fake.wait(15)
        reports, keys = count_reports(database_url)
        with gunicorn("bench.baseline_app:app", env, workers=args.workers, threads=args.threads) as url:
            warm_up(url, token)
            baseline = measured(url, token, args.sessions, args.seconds, args.mix)
    print("Results")
    show("gateway", gateway)
    show("baseline", baseline)
    ratio = gateway["rps"] / baseline["rps"] if baseline["rps"] else 0.0
    print(f"  sessions by kind: {gateway['kinds']}")
    print(f"  worker ({'during' if args.worker_during else 'after'} the load): "
          f"{gateway['worker_cpu_ms_per_hop']:.2f} ms CPU per gateway hop; done {lag:.1f} s after the load stopped")
    print(f"  reports: {gateway['references']} references shown, {reports - before} stored, "
          f"{reports - keys} duplicates")
    ok = ratio >= TARGET_RATIO and gateway["p99"] <= TARGET_P99_MS and gateway["errors"] == 0 \
        and gateway["references"] == reports - before and reports == keys
    print(f"  throughput ratio gateway/baseline: {ratio:.2f} (target >= {TARGET_RATIO}); "
          f"gateway p99 {gateway['p99']:.1f} ms (target <= {TARGET_P99_MS:.0f} ms): "
          f"{'TARGET MET' if ok else 'TARGET MISSED'}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:   # a service did not start: say which, no traceback
        sys.exit(f"benchmark setup failed: {exc}")
