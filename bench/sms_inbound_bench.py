"""Load benchmark of the inbound SMS webhook against the minimal Flask baseline, same run.

Run from the project root:  .venv/bin/python bench/sms_inbound_bench.py [--messages 1500]

Starts a throw-away PostgreSQL and Redis (bench/services.py), a fake Africa's Talking API
(tests/fakes/at_server.py, so replies go nowhere real), then serves both apps with gunicorn
(2 sync workers each, one after the other) and posts the same Africa's Talking inbound form
bodies to `POST /sms/africastalking/inbound` from concurrent clients: unique message ids, a
share of them delivered twice (providers retry). Then it drains the queue with `flask worker
--burst` and checks nothing was lost: every unique id stored exactly once, every message
handled, one acknowledgement per message at the provider. Pass: gateway throughput ≥ 0.5 × the
baseline's, zero lost.
"""
from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import (PYTHON, gateway_env, get_json, gunicorn, postgres_server,  # noqa: E402
                            redis_server, run_flask)

TOKEN = "bench-token"
TEXTS = [
    "Merci pour la formation des jeunes a Diffa, c'etait tres utile pour nous",
    "Muna godiya sosai da taimakon da kuka kawo mana a wannan shekara",
    "SIGNALER vol de betail pres du marche de Mainé-Soroa hier soir",
    "RAHOTO an sace shanu a kauyen mu jiya da dare",
    "Fofo nda goyo kaŋ araŋ te iri se Tillabéri ra",
    "Quand aura lieu la prochaine distribution de vivres ?",
]


def bodies(count: int, duplicates: float, senders: int, seed: int = 7) -> tuple[list[str], set[str]]:
    """`count` unique inbound SMS form bodies plus `duplicates` × count re-deliveries, shuffled."""
    rng = random.Random(seed)
    unique = []
    for n in range(count):
        sender = f"+2279{n % senders:07d}"
        unique.append(urlencode({"from": sender, "to": "38383", "text": rng.choice(TEXTS),
                                 "date": "2026-11-26 09:00:00", "id": f"ATXid_bench_{n:06d}",
                                 "linkId": f"link{n}", "networkCode": "61402"}))
    posted = unique + rng.sample(unique, int(count * duplicates))
    rng.shuffle(posted)
    return posted, {f"ATXid_bench_{n:06d}" for n in range(count)}


def load(base_url: str, payloads: list[str], concurrency: int) -> tuple[float, int]:
    """POST every payload with `concurrency` clients; returns (requests per second, non-200s)."""
    parts = urlsplit(base_url)
    path = f"/sms/africastalking/inbound?token={TOKEN}"
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    errors = 0
    lock = threading.Lock()

    def post(body: str) -> None:
        nonlocal errors
        for attempt in range(3):   # a refused connection is retried, as a provider would
            try:
                conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
                conn.request("POST", path, body=body, headers=headers)
                status = conn.getresponse().status
                conn.close()
                break
            except OSError:
                status = 0
                time.sleep(0.05 * (attempt + 1))
        if status != 200:
            with lock:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, payloads))
    return len(payloads) / (time.perf_counter() - started), errors


def settle(url: str, warmup: list[str], concurrency: int) -> None:
    """Let both gunicorn workers finish booting (they import the app after the port opens)
    and warm up, so neither boot nor first requests are measured."""
    time.sleep(2)
    load(url, warmup, concurrency)


def cpu_seconds(patterns: dict[str, str]) -> dict[str, float]:
    """CPU time (user + system) used so far by processes whose command line contains each
    pattern, read from /proc: where a request's cost goes (app, PostgreSQL, Redis, client)."""
    tick = os.sysconf("SC_CLK_TCK")
    totals = {name: 0.0 for name in patterns}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmdline = fh.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        for name, pattern in patterns.items():
            if pattern in cmdline:
                totals[name] += (int(fields[11]) + int(fields[12])) / tick
    return totals


def profiled_load(url: str, payloads: list[str], concurrency: int, patterns: dict) -> tuple[float, int, dict]:
    """`load` plus the CPU milliseconds per request of each process group."""
    before, client_before = cpu_seconds(patterns), time.process_time()
    rate, errors = load(url, payloads, concurrency)
    after, client = cpu_seconds(patterns), time.process_time() - client_before
    per_request = {k: (after[k] - before[k]) * 1000 / len(payloads) for k in patterns}
    per_request["client"] = client * 1000 / len(payloads)
    return rate, errors, per_request


def _cpu_line(per_request: dict) -> str:
    return "CPU ms/request: " + ", ".join(f"{k} {v:.2f}" for k, v in per_request.items())


def check_stored(database_url: str, unique_ids: set[str]) -> dict:
    """Counts in the database: stored rows per id, unhandled messages."""
    from sqlalchemy import create_engine, text
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT provider_id, count(*) FROM messages WHERE direction = 'in' "
                                 "GROUP BY provider_id")).all()
        unhandled = conn.scalar(text("SELECT count(*) FROM messages WHERE direction = 'in' AND NOT handled"))
        replies = conn.scalar(text("SELECT count(*) FROM messages WHERE direction = 'out'"))
        sent = conn.scalar(text("SELECT count(*) FROM messages WHERE direction = 'out' AND status = 'sent'"))
    engine.dispose()
    counts = dict(rows)
    return {"stored_ids": len(counts), "missing": len(unique_ids - set(counts)),
            "stored_twice": sum(1 for c in counts.values() if c > 1),
            "unexpected": len(set(counts) - unique_ids), "unhandled": unhandled, "replies": replies,
            "replies_sent": sent}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=1500, help="unique inbound messages")
    parser.add_argument("--duplicates", type=float, default=0.1, help="share re-delivered")
    parser.add_argument("--senders", type=int, default=500, help="distinct phone numbers")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="RQ workers draining the queue")
    parser.add_argument("--rounds", type=int, default=5, help="alternating load rounds")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (both apps)")
    args = parser.parse_args()
    payloads, unique_ids = bodies(args.messages, args.duplicates, args.senders)
    warmup = payloads[:200]
    print(f"{len(payloads)} requests ({args.messages} unique, {len(payloads) - args.messages} duplicates), "
          f"{args.concurrency} concurrent clients, gunicorn 2 workers x {args.threads} thread(s)", flush=True)
    from tests.fakes.at_server import AtFake
    with redis_server() as redis_url, postgres_server() as database_url, \
            AtFake(api_key=None, username="sandbox") as fake_at:
        env = gateway_env(database_url, redis_url, AT_API_URL=fake_at.url)
        run_flask(env, "db", "upgrade")
        run_flask(env, "seed", "--no-demo")

        redis_port = urlsplit(redis_url).port
        # Both servers run side by side and are loaded in alternating rounds, so a change in
        # the machine's load (other processes) hits both alike; the median round ratio counts.
        with gunicorn("bench.baseline_app:app", env, threads=args.threads) as base_url, \
                gunicorn("wsgi:app", env, threads=args.threads) as app_url:
            settle(base_url, warmup, args.concurrency)
            settle(app_url, [b.replace("ATXid_bench_", "ATXid_warm_") for b in warmup], args.concurrency)
            size = -(-len(payloads) // args.rounds)
            rounds, gateway_errors, baseline_errors = [], 0, 0
            cpu = {"baseline": [], "gateway": []}
            for start in range(0, len(payloads), size):
                chunk = payloads[start:start + size]
                results = {}
                for name, url in (("baseline", base_url), ("gateway", app_url)):
                    patterns = {"app": f"127.0.0.1:{urlsplit(url).port}", "postgres": "postgres:",
                                "redis": f":{redis_port}"}
                    rate, errors, per_request = profiled_load(url, chunk, args.concurrency, patterns)
                    results[name] = rate
                    cpu[name].append(per_request)
                    if name == "gateway":
                        gateway_errors += errors
                    else:
                        baseline_errors += errors
                rounds.append(results)
                print(f"round {len(rounds)}: baseline {results['baseline']:6.0f} req/s, gateway "
                      f"{results['gateway']:6.0f} req/s, ratio {results['gateway'] / results['baseline']:.2f}",
                      flush=True)
        baseline = statistics.median(r["baseline"] for r in rounds)
        gateway = statistics.median(r["gateway"] for r in rounds)
        ratio = statistics.median(r["gateway"] / r["baseline"] for r in rounds)
        for name in ("baseline", "gateway"):
            mean = {k: statistics.mean(c[k] for c in cpu[name]) for k in cpu[name][0]}
            print(f"{name:9s} median {baseline if name == 'baseline' else gateway:6.0f} req/s; {_cpu_line(mean)}")

        started = time.perf_counter()
        workers = [subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "worker", "--burst",
                                     "--without-scheduler"], cwd=ROOT, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                   for _ in range(args.workers)]
        for worker in workers:
            worker.wait(600)
        drained = time.perf_counter() - started
        warm_ids = {parse_qs(b)["id"][0].replace("bench", "warm") for b in warmup}
        stored = check_stored(database_url, unique_ids | warm_ids)
        warm = len(warm_ids)
        at = get_json(fake_at.url + "/_received")
    expected = args.messages + warm
    lost = stored["missing"]    # of the measured and the warm-up ids
    print(f"queue drained by {args.workers} workers in {drained:.1f}s "
          f"({expected / drained:.0f} messages/s incl. replies)")
    print(f"stored: {stored['stored_ids'] - stored['unexpected']}/{expected} unique ids (incl. warm-up), "
          f"{stored['stored_twice']} stored twice, {lost} lost, {stored['unhandled']} unhandled; "
          f"replies {stored['replies']} queued, {stored['replies_sent']} sent, {at['recipients']} at the provider")
    print(f"throughput ratio gateway/baseline (median of {len(rounds)} rounds): {ratio:.2f} (target >= 0.5)")
    ok = (ratio >= 0.5 and lost == 0 and stored["stored_twice"] == 0 and stored["unhandled"] == 0
          and gateway_errors == 0 and baseline_errors == 0 and at["recipients"] == stored["replies"] == expected)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
