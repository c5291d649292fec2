"""Broadcast benchmark: a 100,000-recipient campaign in three languages through 2 RQ worker
processes to a local fake Africa's Talking API answering in 20 ms, against a plain loop posting
the same batches straight to the same fake server.

    .venv/bin/python bench/broadcast_bench.py [--recipients 100000] [--workers 2] [--delay-ms 20]

Real PostgreSQL and Redis (bench/services.py), the real AT SDK, the real worker command
(`flask --app wsgi worker`). Prints the fan-out time (send → every recipient queued), the send
rate of the campaign and of the plain loop, their ratio, the workers' peak RSS, and checks that
the fake received every recipient exactly once. Targets: fan-out ≤ 30 s, ratio ≥ 0.5,
RSS ≤ 300 MB.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.services import PYTHON, free_port, gateway_env, postgres_server, redis_server, run_flask, wait_for_port  # noqa: E402

TEXTS = {
    "fra": "Journée de dialogue intercommunautaire samedi à Diffa. Venez nombreux, jeunes, femmes et leaders.",
    "hau": "Ranar tattaunawa tsakanin al'ummomi ranar Asabar a Diffa. Ku zo da yawa, matasa, mata da shugabanni.",
    "dje": "Borey game sawaley zaari Asibti Diffa. Wa kaa boobo, arwasey, wayborey nda jine borey.",
}
LANGUAGES = ("fra", "hau", "dje")


def peak_rss_mb(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in MB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def seed(app, count: int) -> None:
    """`count` contacts in three languages, numbers encrypted (bulk insert, one Fernet per row)."""
    from sqlalchemy import insert
    from gateway import crypto
    from gateway.extensions import db
    from gateway.models import Contact
    with app.app_context():
        for start in range(0, count, 5000):
            rows = []
            for i in range(start, min(count, start + 5000)):
                phone = f"+2279{i:07d}"
                rows.append({"phone_hash": crypto.lookup_hash(phone), "phone_encrypted": crypto.encrypt(phone),
                             "reporter_code": f"C-B{i:07d}", "language": LANGUAGES[i % 3]})
            db.session.execute(insert(Contact), rows)
            db.session.commit()


def plain_loop(fake_url: str, batches: list[tuple[str, list[str]]]) -> float:
    """Post every batch in turn, as one process with a keep-alive session would; return seconds."""
    import requests
    session = requests.Session()
    headers = {"apiKey": "bench-key", "Accept": "application/json"}
    started = time.monotonic()
    for text, numbers in batches:
        response = session.post(f"{fake_url}/version1/messaging", headers=headers, data={
            "username": "sandbox", "to": ",".join(numbers), "message": text, "bulkSMSMode": 1, "enqueue": 1})
        assert response.status_code == 201, response.text
    return time.monotonic() - started


def fake_summary(fake_url: str) -> dict:
    with urllib.request.urlopen(f"{fake_url}/_received", timeout=30) as response:
        return json.loads(response.read())


def fake_reset(fake_url: str) -> None:
    urllib.request.urlopen(urllib.request.Request(f"{fake_url}/_reset", method="POST"), timeout=10).read()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--delay-ms", type=float, default=20)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    processes: list[subprocess.Popen] = []
    with redis_server() as redis_url, postgres_server() as database_url:
        fake_port = free_port()
        fake_url = f"http://127.0.0.1:{fake_port}"
        processes.append(subprocess.Popen(
            [PYTHON, "-m", "tests.fakes.at_server", "--port", str(fake_port), "--delay-ms", str(args.delay_ms)],
            cwd=ROOT, stdout=subprocess.DEVNULL, start_new_session=True))
        env = gateway_env(database_url, redis_url, AT_API_URL=fake_url, SEND_BATCH_SIZE=args.batch_size,
                          CAMPAIGN_WATCH_INTERVAL=15)
        try:
            wait_for_port(fake_port)
            run_flask(env, "db", "upgrade")
            os.environ.update(env)
            from gateway import create_app
            from gateway.extensions import db
            from gateway.models import Campaign, Delivery
            from sqlalchemy import func, select
            app = create_app()
            started = time.monotonic()
            seed(app, args.recipients)
            print(f"seeded {args.recipients} contacts in {time.monotonic() - started:.1f}s", flush=True)

            # The same batches the campaign will send: per language, in contact order.
            per_language = {lang: [f"+2279{i:07d}" for i in range(args.recipients) if LANGUAGES[i % 3] == lang]
                            for lang in LANGUAGES}
            batches = [(TEXTS[lang], numbers[i:i + args.batch_size])
                       for lang, numbers in per_language.items() for i in range(0, len(numbers), args.batch_size)]
            loop_seconds = plain_loop(fake_url, batches)
            loop_rate = args.recipients / loop_seconds
            print(f"plain loop: {len(batches)} requests in {loop_seconds:.1f}s = {loop_rate:.0f} recipients/s",
                  flush=True)
            fake_reset(fake_url)

            for i in range(args.workers):
                processes.append(subprocess.Popen([PYTHON, "-m", "flask", "--app", "wsgi", "worker", "--name",
                                                   f"bench-worker-{i}"], cwd=ROOT, env=env,
                                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                                  start_new_session=True))
            time.sleep(2)     # workers up and listening
            with app.app_context():
                from gateway.services import campaigns
                from gateway.services.campaigns.schedule import jobs_key
                campaign = campaigns.create({"name": "Bench", "texts": TEXTS, "default_language": "fra"}, "bench")
                campaign_id = campaign.id
                t_send = time.monotonic()
                campaigns.send(campaign, "bench")
                redis = app.extensions["redis"]
                expected_batches = len(batches)
                while True:      # fan-out done when every batch job is queued
                    if redis.hlen(jobs_key(campaign_id)) >= expected_batches + 1:   # + the start job
                        break
                    time.sleep(0.05)
                fan_out = time.monotonic() - t_send
                queued = db.session.scalar(select(func.count()).select_from(Delivery).where(
                    Delivery.campaign_id == campaign_id))
                print(f"fan-out: {queued} recipients queued in {fan_out:.1f}s", flush=True)
                t_fanned = time.monotonic()
                while True:
                    db.session.commit()
                    status = db.session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
                    if status == "completed":
                        break
                    time.sleep(0.2)
                send_seconds = time.monotonic() - t_fanned
                total = time.monotonic() - t_send
            rss = [peak_rss_mb(p.pid) for p in processes[1:]]
            summary = fake_summary(fake_url)
            rate = args.recipients / send_seconds
            exactly_once = summary["recipients"] == args.recipients and set(summary["counts"].values()) == {1}
            print(f"campaign: sent {summary['recipients']} in {send_seconds:.1f}s after fan-out "
                  f"({total:.1f}s in all) = {rate:.0f} recipients/s", flush=True)
            print("RESULTS")
            print(f"  fan-out of {args.recipients} to queued: {fan_out:.1f}s (target <= 30s)")
            print(f"  send rate: campaign {rate:.0f}/s vs plain loop {loop_rate:.0f}/s = "
                  f"{rate / loop_rate:.2f}x (target >= 0.5)")
            print(f"  worker peak RSS: {', '.join(f'{r:.0f} MB' for r in rss)} (target <= 300 MB)")
            print(f"  every recipient received exactly once: {exactly_once}")
            ok = fan_out <= 30 and rate / loop_rate >= 0.5 and max(rss) <= 300 and exactly_once
            return 0 if ok else 1
        finally:
            for proc in processes:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            for proc in processes:
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(5)


if __name__ == "__main__":
    sys.exit(main())
