"""USSD without Redis: a hop answers a short "try again later" END in the person's language and
stores nothing; a report whose reference was shown survives Redis restarted without its data."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from gateway.extensions import db
from gateway.models import Report, UssdHeldWrite
from gateway.queue import drain
from menus.engine import UNAVAILABLE_KEY, get_engine
from tests.redis_process import private_redis  # noqa: F401 - fixture
from tests.test_ussd_journeys import SAYS, report_until_confirm
from tests.ussd_tester import LANGUAGE_CHOICES, UssdTester, new_number


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def on_private_redis(clock, app, seeded, make_app, private_redis):  # noqa: F811 - fixture
    """An app on a private Redis the test can kill (the `app` fixture emptied the tables)."""
    db.session.commit()
    return make_app(REDIS_URL=private_redis.url)


def _phone(app, language: str) -> UssdTester:
    phone = UssdTester(app.test_client(), new_number())
    phone.dial().expect("Langue").choose(LANGUAGE_CHOICES[language])
    return phone


@pytest.mark.parametrize("language", ["hau", "fra"])
def test_redis_killed_mid_journey_the_hop_says_try_again_in_the_persons_language(
        on_private_redis, private_redis, language):  # noqa: F811
    app = on_private_redis
    phone = _phone(app, language)
    drain(app)                                        # the chosen language reaches the database
    phone = report_until_confirm(phone, language)
    private_redis.stop()
    phone.send("1")                                   # 200, GSM-7, at most 160 characters (checked)
    with app.app_context():
        expected = get_engine().texts.get(UNAVAILABLE_KEY, language)
        assert phone.last == f"END {expected}"
        assert _count(UssdHeldWrite) == 0             # nothing shown, nothing kept
        assert _count(Report) == 0
    private_redis.start()
    retry = UssdTester(app.test_client(), phone.phone)
    retry.dial().expect(SAYS[language]["main"])       # the service is back for the next dial


def test_a_confirmed_report_survives_redis_restarted_empty(on_private_redis, private_redis, clock):  # noqa: F811
    app = on_private_redis
    phone = report_until_confirm(_phone(app, "fra"), "fra")
    phone.send("1").expect(SAYS["fra"]["done"], end=True)
    reference = "R-" + phone.screen.split("R-")[1][:6]
    with app.app_context():
        assert _count(UssdHeldWrite) == 1             # written before the reference was shown
    private_redis.stop()                              # the pending-writes list goes with it
    private_redis.start()
    from workers.ussd import apply_held
    with app.app_context():
        assert apply_held() == 0                      # too recent: its Redis copy may be on its way
        clock.shift(120)
        assert apply_held() == 1
        assert db.session.scalar(select(Report.reference)) == reference
        assert _count(UssdHeldWrite) == 0
        assert apply_held() == 0


def test_the_worker_applying_a_report_deletes_its_held_copy(on_private_redis, clock):
    app = on_private_redis
    phone = report_until_confirm(_phone(app, "fra"), "fra")
    phone.send("1").expect(SAYS["fra"]["done"], end=True)
    drain(app)
    from workers.ussd import apply_held
    with app.app_context():
        assert _count(Report) == 1 and _count(UssdHeldWrite) == 0
        clock.shift(120)
        assert apply_held() == 0                      # nothing applied twice
        assert _count(Report) == 1
