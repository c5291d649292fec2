"""Migrations, phone numbers, encryption at rest, audit, logs."""
from __future__ import annotations

import logging

import pytest
from sqlalchemy import inspect, select, text

from gateway.extensions import db
from gateway.models import Contact
from gateway.phone import InvalidNumber, normalize
from gateway.services import contacts


def test_models_match_the_migrations(app):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    with db.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert diff == []


def test_downgrade_to_empty_and_upgrade_again(make_app, tmp_path):
    # Always on a scratch SQLite file; on PostgreSQL the session fixture also downgrades and upgrades.
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/mig.db")
    from flask_migrate import downgrade, upgrade
    with app.app_context():
        upgrade()
        assert "contacts" in inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        assert "audit_log" in inspect(db.engine).get_table_names()


@pytest.mark.parametrize("raw, expected", [
    ("+22790123456", "+22790123456"),
    ("0022790123456", "+22790123456"),
    ("22790123456", "+22790123456"),
    ("90123456", "+22790123456"),
    ("90 12 34 56", "+22790123456"),
    ("+227 96-12-34-56", "+22796123456"),
    ("+2348031234567", "+2348031234567"),      # Nigerian SIM, common near Diffa
    ("002348031234567", "+2348031234567"),
    ("+33612345678", "+33612345678"),
])
def test_numbers_are_normalised(raw, expected):
    assert normalize(raw) == expected


@pytest.mark.parametrize("raw, reason", [
    ("", "no phone number"),
    (None, "no phone number"),
    ("hello", "only digits"),
    ("1234", "too short"),
    ("12345", "too short"),                     # not "only digits": it is digits, too few of them
    ("9012345", "too short"),
    ("+1234", "too short"),
    ("2279012345678901234", "too long"),
    ("+2279012345", "not a valid number"),     # 7 digits after +227
    ("+22700000000", "not a valid number"),
    ("+999123456789", "not a phone number"),
])
def test_invalid_numbers_are_rejected(raw, reason):
    with pytest.raises(InvalidNumber, match=reason):
        normalize(raw)


@pytest.mark.parametrize("raw, code", [("", "empty"), ("hello", "not_digits"), ("12345", "too_short"),
                                       ("1" * 16, "too_long"), ("+22700000000", "invalid"),
                                       ("+999123456789", "unparseable")])
def test_invalid_numbers_say_why_as_a_code(raw, code):
    with pytest.raises(InvalidNumber) as caught:
        normalize(raw)
    assert caught.value.code == code


def test_each_form_is_stored_once_and_encrypted(app):
    forms = ["+22790123456", "0022790123456", "22790123456", "90123456"]
    created = [contacts.get_or_create(f)[1] for f in forms]
    db.session.commit()
    assert created == [True, False, False, False]
    rows = db.session.scalars(select(Contact)).all()
    assert len(rows) == 1
    contact = rows[0]
    assert contact.phone == "+22790123456"
    assert b"90123456" not in bytes(contact.phone_encrypted)
    assert contact.reporter_code.startswith("C-")


def test_plain_number_appears_nowhere_in_the_database(app):
    number = "+22796554433"
    contact, _ = contacts.get_or_create(number, channel="fake")
    db.session.commit()
    digits = number[1:]
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("PRAGMA wal_checkpoint(FULL)"))
        path = db.engine.url.database
        import glob
        for name in glob.glob(path + "*"):
            with open(name, "rb") as fh:
                data = fh.read()
            assert digits.encode() not in data and digits[3:].encode() not in data, name
    else:
        for table in db.metadata.sorted_tables:
            dump = db.session.execute(text(f'SELECT row_to_json(t)::text FROM "{table.name}" t')).scalars().all()
            assert not any(digits[3:] in row for row in dump), table.name


def test_a_wrong_data_key_cannot_read_numbers(app, make_app):
    contact, _ = contacts.get_or_create("+22790000001")
    db.session.commit()
    other = make_app(DATA_KEY="another-key")
    with other.app_context():
        row = db.session.get(Contact, contact.id)
        with pytest.raises(ValueError, match="cannot decrypt"):
            row.phone
        assert contacts.find_by_phone("+22790000001") is None   # the lookup hash is keyed too


def test_logs_never_carry_numbers_messages_or_secrets(app, caplog):
    log = logging.getLogger("gateway.test")
    with caplog.at_level(logging.INFO):
        log.info("inbound from +22790123456 text=Akwai%20fada token=abc123secret")
        log.info("payload %s", {"apiKey": "sk_live_123", "to": "+2348031234567"})
        try:
            raise ValueError("bad number 0022790123456")
        except ValueError:
            log.exception("failed")
    rendered = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    formatted = caplog.text
    for secret in ("90123456", "abc123secret", "Akwai", "sk_live_123", "8031234567"):
        assert secret not in rendered and secret not in formatted


def test_groups_are_replaced(app):
    contact, _ = contacts.get_or_create("+22790000002")
    contacts.set_groups(contact, ["Youth", "women", " youth "])
    db.session.commit()
    assert contact.group_names == ["women", "youth"]
    contacts.set_groups(contact, ["leaders"])
    db.session.commit()
    assert contact.group_names == ["leaders"]
