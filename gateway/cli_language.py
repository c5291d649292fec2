"""`flask --app wsgi language …`: language detection profiles."""
from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from gateway.services import language

language_group = AppGroup("language", help="Language detection of SMS free text.")


@language_group.command("build-profiles")
@click.option("--source", type=click.Path(exists=True, file_okay=False), default=str(language.SOURCE_DIR),
              show_default=True, help="folder of training text (shipped in gateway/data/langid)")
@click.option("--out", type=click.Path(file_okay=False), default=str(language.PROFILES_DIR), show_default=True,
              help="where the langdetect profiles are written")
def build_profiles_command(source: str, out: str) -> None:
    """Rebuild the detection profiles (Hausa and Zarma included) from the training text."""
    summary = language.build_profiles(Path(source), Path(out))
    for lang, info in summary.items():
        click.echo(f"{lang}: {info['training_lines']} lines, {info['ngrams']} n-grams")


@language_group.command("detect")
@click.argument("text")
def detect_command(text: str) -> None:
    """Detect the language of TEXT (for checking the profiles by hand)."""
    detection = language.detect(text)
    confident = "confident" if language.is_confident(detection) else "not confident"
    click.echo(f"{detection.language} {detection.confidence:.2f} ({confident})")


commands = [language_group]
