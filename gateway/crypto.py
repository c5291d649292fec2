"""Encryption of personal data at rest and keyed hashes for lookup, both derived from DATA_KEY."""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import Flask, current_app


class Keys:
    """Independent sub-keys for encryption, lookup hashes and pseudonyms."""

    def __init__(self, data_key: str):
        self.fernet = Fernet(base64.urlsafe_b64encode(_derive(data_key, b"murya-encrypt")))
        self.lookup = _derive(data_key, b"murya-lookup")
        self.pseudonym = _derive(data_key, b"murya-pseudonym")


def _derive(secret: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"murya", info=purpose).derive(secret.encode())


def init_app(app: Flask) -> None:
    """Derive the keys once per app."""
    if not app.config.get("DATA_KEY"):
        raise RuntimeError("DATA_KEY is required")
    app.extensions["murya_keys"] = Keys(app.config["DATA_KEY"])


def _keys() -> Keys:
    return current_app.extensions["murya_keys"]


def encrypt(value: str) -> bytes:
    """Encrypt a string (authenticated encryption, random IV: equal inputs differ at rest)."""
    return _keys().fernet.encrypt(value.encode())


def decrypt(token: bytes) -> str:
    """Decrypt what `encrypt` produced; raise ValueError on a wrong key or tampered data."""
    try:
        return _keys().fernet.decrypt(bytes(token)).decode()
    except InvalidToken as exc:
        raise ValueError("cannot decrypt: wrong DATA_KEY or corrupted data") from exc


def lookup_hash(value: str) -> str:
    """Keyed hash (HMAC-SHA256) used to find a row by phone number without storing it."""
    return hmac.new(_keys().lookup, value.encode(), hashlib.sha256).hexdigest()


_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def pseudonym(value: str, length: int = 7) -> str:
    """A stable pseudonymous reporter code for a number, e.g. `C-7K3Q9XA`."""
    digest = hmac.new(_keys().pseudonym, value.encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:8], "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_CODE_ALPHABET))
        chars.append(_CODE_ALPHABET[index])
    return "C-" + "".join(chars)
