"""`flask --app wsgi privacy …`: the retention purge by hand, and its daily schedule."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from gateway.services.privacy import purge
from workers import periodic

privacy_cli = AppGroup("privacy", help="Data retention (RETENTION_DAYS).")


@privacy_cli.command("purge")
@click.option("--dry-run", is_flag=True, help="count what would be purged, change nothing")
@click.option("--days", type=click.IntRange(min=1), default=None,
              help="retention period in days (default: RETENTION_DAYS)")
def purge_command(dry_run: bool, days: int | None) -> None:
    """Purge message text and personal data older than the retention period (audited)."""
    result = purge(dry_run=dry_run, days=days, actor="cli")
    verb = "would purge" if dry_run else "purged"
    click.echo(f"{verb} (older than {result.cutoff}): {result.messages} message texts, "
               f"{result.reports} report texts/links, {result.notes} ticket notes, "
               f"{result.tickets} ticket summaries, {result.ticket_links} report tickets' links to the person, "
               f"{result.ussd_sessions} USSD sessions, {result.contacts} contacts, "
               f"{result.stopped_contacts} stopped contacts (number kept for the opt-out list)")


@privacy_cli.command("schedule")
def schedule_command() -> None:
    """Make sure the daily purge is scheduled (workers also do this when they start)."""
    click.echo(f"daily purge scheduled: {periodic.schedule_next('privacy-purge')}")


commands = [privacy_cli]
