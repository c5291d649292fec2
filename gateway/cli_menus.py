"""`flask --app wsgi menus check|translations` and `flask --app wsgi ussd simulate`."""
from __future__ import annotations

import contextvars
import sys
import uuid
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from gateway import i18n
from gateway.phone import normalize
from gateway.queue import drain
from menus.model import JOURNEYS_DIR, InvalidJourney, load
from menus.texts import NOT_ON_USSD, Texts
from menus.validate import check_lists, validate

menus_group = AppGroup("menus", help="USSD menus: validate the journeys, report translation status.")
ussd_group = AppGroup("ussd", help="USSD: try the menus from the terminal.")


@menus_group.command("check")
@click.option("--journeys", type=click.Path(exists=True, file_okay=False), default=None,
              help="journeys folder (default: menus/journeys)")
@click.option("--translations", type=click.Path(exists=True, file_okay=False), default=None,
              help="catalogs folder (default: gateway/translations)")
@click.option("--quiet", is_flag=True, help="errors only")
def check_command(journeys: str | None, translations: str | None, quiet: bool) -> None:
    """Validate the journeys: targets, actions, texts, placeholders, screen length, encoding.

    With reference data in the database, also lays out every dynamic list (categories,
    departments, activities, topics) in every language and checks each page.
    """
    try:
        menus = load(Path(journeys) if journeys else JOURNEYS_DIR)
    except InvalidJourney as exc:
        for error in exc.errors:
            click.echo(f"error: {error}")
        sys.exit(1)
    texts = Texts(Path(translations) if translations else None, fresh=True)
    findings = validate(menus, texts)
    if not findings.errors:
        pages, errors = check_lists(menus, texts)
        findings.errors.extend(errors)
    else:
        pages = 0
    if not quiet:
        for warning in findings.warnings:
            click.echo(f"warning: {warning}")
    for error in findings.errors:
        click.echo(f"error: {error}")
    summary = (f"{len(menus.journeys)} journeys, {len(menus.screens)} screens, "
               f"{findings.screens_measured} screen renderings measured, {pages} list pages from the database")
    if findings.errors:
        click.echo(f"{summary}: {len(findings.errors)} error(s)")
        sys.exit(1)
    click.echo(f"{summary}: OK ({len(findings.warnings)} warning(s))")


@menus_group.command("translations")
@click.option("--domain", default="ussd", show_default=True, help="catalog domain (ussd, notify, … or all)")
@click.option("--verbose", "-v", is_flag=True, help="list the missing and draft keys")
def translations_command(domain: str, verbose: bool) -> None:
    """Per language: how many texts are missing (French shows instead) or still drafts."""
    report = i18n.status_report()
    domains = sorted(report) if domain == "all" else [domain]
    for name in domains:
        if name not in report:
            raise click.ClickException(f"no catalogs for domain {name!r}")
        click.echo(f"[{name}]")
        click.echo(f"{'language':<16}{'total':>6}{'missing':>9}{'draft':>7}{'reviewed':>10}")
        for language, status in report[name].items():
            total, missing, draft = status["total"], len(status["missing"]), len(status["draft"])
            reviewed = total - missing - draft
            note = ""
            if name == "ussd" and language in NOT_ON_USSD:
                note = "  (not offered on USSD: no Arabic script in GSM-7)"
            elif missing:
                note = "  (missing texts fall back to French)"
            click.echo(f"{language + ' ' + i18n.LANGUAGES.get(language, ''):<16}{total:>6}{missing:>9}"
                       f"{draft:>7}{reviewed:>10}{note}")
            if verbose:
                for key in status["missing"]:
                    click.echo(f"    missing  {key}")
                for key in status["draft"]:
                    click.echo(f"    draft    {key}")


def _post_hop(app, session_id: str, phone: str, text: str) -> str:
    """One hop against the real endpoint, in-process, as its own request."""
    token = app.config.get("AT_CALLBACK_TOKEN")
    url = "/ussd/africastalking" + (f"?token={token}" if token else "")
    client = app.test_client()
    form = {"sessionId": session_id, "serviceCode": app.config.get("USSD_SHORT_CODE") or "",
            "phoneNumber": phone, "networkCode": "simulator", "text": text}
    response = contextvars.Context().run(client.post, url, data=form)
    body = response.get_data(as_text=True)
    if response.status_code != 200:
        raise click.ClickException(f"the endpoint answered {response.status_code}: {body}")
    return body


def _show(body: str) -> None:
    click.echo("-" * 32)
    click.echo(body[4:])
    click.echo("-" * 32 + f" [{body[:3]}, {len(body) - 4} chars]")


@ussd_group.command("simulate")
@click.option("--phone", default="+22790000001", show_default=True, help="the number that dials")
@click.option("--script", default=None, help='inputs joined with "*", e.g. "3*1*1" (non-interactive)')
@click.option("--input", "inputs", multiple=True, help="one input (repeatable; may contain *)")
@click.option("--session", "session_id", default=None, help="session id (default: a new one)")
def simulate_command(phone: str, script: str | None, inputs: tuple[str, ...], session_id: str | None) -> None:
    """Dial the short code and type, as a phone would; shows each screen, then the SMS received."""
    app = current_app._get_current_object()
    session_id = session_id or f"sim-{uuid.uuid4().hex[:12]}"
    scripted = list(inputs) or (script.split("*") if script else None)
    typed: list[str] = []
    body = _post_hop(app, session_id, phone, "")
    _show(body)
    while body.startswith("CON "):
        if scripted is not None:
            if not scripted:
                break
            value = scripted.pop(0)
            click.echo(f"> {value}")
        else:
            try:
                value = click.prompt(">", default="", show_default=False, prompt_suffix=" ")
            except (EOFError, click.Abort):
                click.echo("")
                break
        typed.append(value)
        body = _post_hop(app, session_id, phone, "*".join(typed))
        _show(body)
    _show_inbox(app, phone)


def _show_inbox(app, phone: str) -> None:
    """Run queued jobs (embedded queue only) and print what the fake channel sent to `phone`."""
    channel = app.extensions.get("channels", {}).get("fake")
    if channel is None:
        return
    if not app.config.get("REDIS_URL"):
        drain(app)
    else:
        click.echo("(SMS are sent by the RQ worker; run `flask --app wsgi worker` to see them)")
    messages = channel.outbox(normalize(phone))
    click.echo(f"SMS inbox of {phone}: {len(messages)} message(s)")
    for message in messages:
        click.echo(f"  * {message['text']}")


commands = [menus_group, ussd_group]
