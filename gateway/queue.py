"""The job queue: RQ on real Redis when REDIS_URL is set, on an in-process substitute otherwise.

Job code is the same in both. Without Redis (`make run`), a worker thread inside the web process
runs jobs and moves scheduled ones (RQ's own scheduler logic) so the system is complete in one
process.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import fakeredis
import redis
from flask import Flask, current_app
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.scheduler import RQScheduler
from rq.serializers import JSONSerializer
from rq.timeouts import TimerDeathPenalty

from gateway.extensions import db

log = logging.getLogger(__name__)

# Worker priority order: people waiting for an answer first, then ordinary jobs, then bulk sends.
QUEUE_NAMES = ("high", "default", "bulk")

# Jobs, their arguments and results are JSON in Redis, never pickle: whoever can write to Redis
# must not be able to make a worker run code (pickle runs whatever a payload names). Every
# queue, worker, scheduler and fetch below uses it; jobs take ids and plain values only.
SERIALIZER = JSONSerializer


def redis_url_authenticated(url: str) -> bool:
    """True when a Redis URL carries a password or uses TLS (`rediss://`) or a local socket."""
    parts = urlsplit(url)
    return parts.scheme in ("rediss", "unix") or bool(parts.password) or "password=" in parts.query


def init_app(app: Flask) -> None:
    """Create the Redis connection and queues; start the embedded worker where configured."""
    url = app.config.get("REDIS_URL")
    if url and app.config.get("GATEWAY_ENV") == "production" and not redis_url_authenticated(url):
        # Not refused: a Redis reachable only on a private interface may be protected otherwise.
        # But whoever reaches it reads pending USSD writes and can queue jobs, so say so loudly.
        log.warning("SECURITY: REDIS_URL has no password and no TLS; anyone who can reach this "
                    "Redis can read queued work and queue jobs. Use redis://:PASSWORD@host or rediss://")
    if url:
        connection = redis.Redis.from_url(url)
    else:
        connection = fakeredis.FakeRedis(server=fakeredis.FakeServer())
    app.extensions["redis"] = connection
    app.extensions["queues"] = {name: Queue(name, connection=connection, serializer=SERIALIZER)
                                for name in QUEUE_NAMES}
    app.extensions["embedded_worker"] = None
    # Started by the first request (a hook declared in gateway/app.py) or `serve`, not
    # here: CLI commands need no worker thread.
    app.extensions["embedded_worker_wanted"] = bool(not url and app.config.get("EMBEDDED_WORKER"))


_start_lock = threading.Lock()


def ensure_embedded_worker(app: Flask) -> None:
    """Start the in-process worker if it is wanted and not running (cheap once it runs)."""
    if app.extensions.get("embedded_worker_wanted") and app.extensions.get("embedded_worker") is None:
        start_embedded_worker(app)


def start_embedded_worker(app: Flask) -> "EmbeddedWorker":
    """Start the in-process worker thread once per app (no-op when it runs already)."""
    with _start_lock:
        if app.extensions.get("embedded_worker") is None:
            app.extensions["embedded_worker"] = EmbeddedWorker(app)
        return app.extensions["embedded_worker"]


def connection() -> redis.Redis:
    """The app's Redis connection (real or embedded)."""
    return current_app.extensions["redis"]


_links = threading.local()


def roundtrip(*commands: tuple) -> list:
    """Send `commands` (tuples such as `("GET", key)`) in one round trip; return their replies.

    For the USSD hop, whose few commands are most of its cost: each thread keeps one connection of
    its own, taken once from the client's pool (same settings, real or embedded Redis; closed by
    the pool's `disconnect`) and never given back, so a command skips the pool's checkout, its
    health poll and the retry wrapper (measured on the benchmark machine: ~18 instead of ~44 µs
    of CPU per command). A connection
    that breaks is made again and the commands sent once more, as redis-py's own retry does.
    An error reply raises `redis.ResponseError` after every reply has been read.
    """
    client = current_app.extensions["redis"]
    link = getattr(_links, "link", None)
    if link is None or link[0] is not client or link[2] != os.getpid():   # first use, other app, forked
        link = _links.link = (client, client.connection_pool.get_connection(), os.getpid())
    conn = link[1]
    packed = conn.pack_commands(commands)
    for attempt in (1, 2):
        try:
            conn.send_packed_command(packed, check_health=False)
            replies = []
            for _ in commands:
                try:
                    replies.append(conn.read_response(disconnect_on_error=False))
                except redis.ResponseError as error:
                    replies.append(error)
            break
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            conn.disconnect()
            if attempt == 2:
                raise
        except BaseException:
            conn.disconnect()    # a reply half read would be the next command's answer
            raise
    for reply in replies:
        if isinstance(reply, redis.ResponseError):
            raise reply
    return replies


def fetch_job(job_id: str) -> Job:
    """The job `job_id` (raises rq's NoSuchJobError), read with the queue's serializer."""
    return Job.fetch(job_id, connection=connection(), serializer=SERIALIZER)


def fetch_jobs(job_ids: list[str]) -> list[Job | None]:
    """The jobs of `job_ids` in order (None for one that is gone), in one round trip."""
    return Job.fetch_many(job_ids, connection=connection(), serializer=SERIALIZER)


def get_queue(name: str = "default") -> Queue:
    """One of the app's queues by name."""
    return current_app.extensions["queues"][name]


def enqueue(func: Callable | str, *args, queue: str = "default", retry: Retry | None = None,
            job_id: str | None = None, at: datetime | None = None, delay: timedelta | None = None,
            **kwargs) -> Job:
    """Queue `func(*args, **kwargs)` now, at `at` (aware datetime) or after `delay`.

    `func` is a function or its dotted path; services queue by path through `gateway.jobs`."""
    q = get_queue(queue)
    options = {"retry": retry, "job_id": job_id}
    options = {k: v for k, v in options.items() if v is not None}
    if at is not None:
        return q.enqueue_at(at, func, *args, **options, **kwargs)
    if delay is not None:
        return q.enqueue_in(delay, func, *args, **options, **kwargs)
    return q.enqueue(func, *args, **options, **kwargs)


class AppWorker(SimpleWorker):
    """An RQ worker that runs each job inside the Flask app context, in its own process.

    SimpleWorker (no fork per job) keeps bulk sending fast; jobs re-read their rows and are
    idempotent, so a worker that dies mid-job is recovered by re-running the job.
    """

    app: Flask | None = None
    jobs_performed = 0
    # RQ waits up to 60 s between two tries once Redis is gone; a person waits for their reply.
    max_connection_wait_time = 5.0

    def perform_job(self, job, queue):
        self.jobs_performed += 1
        with self.app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


class ThreadWorker(AppWorker):
    """AppWorker usable off the main thread: no signal handlers, timer-based job timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


# RQ's default is 10 minutes. A worker that died with the scheduler it ran leaves a lock that
# expires after about a minute; the next maintenance pass is when a surviving worker takes the
# scheduler over, so scheduled retries and the campaign watchdog resume within ~1 minute.
MAINTENANCE_INTERVAL = 60


def make_worker(app: Flask, cls: type[AppWorker] = AppWorker, name: str | None = None) -> AppWorker:
    """A worker bound to `app` listening on every queue in priority order."""
    worker = cls(list(app.extensions["queues"].values()), connection=app.extensions["redis"], name=name,
                 maintenance_interval=MAINTENANCE_INTERVAL, serializer=SERIALIZER)
    worker.app = app
    return worker


RECONNECT_EVERY = 1.0     # seconds between two pings of a Redis that went away


def run_worker(app: Flask, *, burst: bool = False, with_scheduler: bool = True, name: str | None = None,
               on_start: Callable[[], None] | None = None, logging_level: str = "INFO") -> bool:
    """Run a worker (`flask worker`) that outlives Redis going away: RQ's own loop retries only
    while waiting for a job, and exits when Redis drops during a job, a heartbeat or its
    maintenance. Here the worker then waits for Redis and starts again, calling `on_start`
    (the recurring jobs, the held jobs' relay) each time, since a Redis restarted without its
    data lost them. A stop asked by a signal ends it, as does burst mode. Returns whether the
    last run performed a job.
    """
    while True:
        worker = make_worker(app, name=name)
        try:
            if on_start is not None:
                on_start()
            worked = worker.work(burst=burst, with_scheduler=with_scheduler, logging_level=logging_level)
            if burst or worker._stop_requested:
                return worked
            log.error("worker %s stopped without being asked to; starting again", worker.name)
            pause(RECONNECT_EVERY)          # no tight loop should it stop again at once
        except redis.RedisError as exc:
            log.error("worker %s lost Redis (%s); waiting for it", worker.name, type(exc).__name__)
        except StopRequested:
            return False
        if not wait_for_redis(app):
            return False
        try:
            worker.register_death()     # the old registration, if Redis kept it: the name is free
        except redis.RedisError:
            pass


def wait_for_redis(app: Flask, timeout: float | None = None) -> bool:
    """Ping the app's Redis every RECONNECT_EVERY seconds until it answers (True), `timeout`
    seconds pass (False), or a stop is asked (False)."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while deadline is None or time.monotonic() < deadline:
        try:
            app.extensions["redis"].ping()
            log.warning("Redis answers again")
            return True
        except redis.RedisError:
            pass
        try:
            pause(RECONNECT_EVERY)
        except StopRequested:    # RQ's signal handler, still installed, on a warm shutdown
            return False
    return False


def pause(seconds: float) -> None:
    """Wait `seconds`: a timed Event wait, which CI's libfaketime (wall clock shifted, monotonic
    clock left alone) lets expire, where its time.sleep fails with EINVAL."""
    threading.Event().wait(seconds)


def drain(app: Flask, max_jobs: int | None = None) -> int:
    """Run queued (and due scheduled) jobs until none are left; return how many ran."""
    move_scheduled(app)
    ran = 0
    while True:
        worker = make_worker(app, ThreadWorker)
        worker.work(burst=True, max_jobs=max_jobs, logging_level="WARNING")
        done = worker.jobs_performed
        ran += done
        if not done or max_jobs:
            return ran
        move_scheduled(app)


def move_scheduled(app: Flask) -> None:
    """Move due scheduled jobs to their queues, using RQ's scheduler (one pass)."""
    scheduler = RQScheduler(list(app.extensions["queues"].values()), connection=app.extensions["redis"],
                            logging_level="WARNING", serializer=SERIALIZER)
    scheduler.acquire_locks()
    try:
        scheduler.enqueue_scheduled_jobs()
    finally:
        scheduler.release_locks()


class EmbeddedWorker:
    """A daemon thread that drains the in-process queue, for the single-process `make run`."""

    def __init__(self, app: Flask, interval: float = 0.5):
        # The scheduler pass runs twice a second here; its lock messages would drown the log.
        logging.getLogger("rq.scheduler").setLevel(logging.WARNING)
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, name="murya-embedded-worker", daemon=True)
        self.jobs_run = 0
        # Jobs every worker runs when it starts, by dotted path (gateway.jobs.init_app).
        for path in app.extensions.get("worker_startup_jobs", ()):
            app.extensions["queues"]["default"].enqueue(path)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.jobs_run += drain(self.app)
            except Exception:  # keep the thread alive; the job's own failure is in RQ's registry
                log.exception("embedded worker loop failed")
            # pause(), not time.sleep: under CI's libfaketime time.sleep fails with EINVAL.
            pause(self.interval)

    def stop(self) -> None:
        """Ask the thread to stop after its current pass."""
        self._stop.set()
