"""Owners' personal information (个人信息): 证件号码 id_number and 手机号码 phone.

At rest (the owners table, the owners inside application snapshots) each is sealed with AES-GCM
(`cryptography`), the key named in the token so that old keys keep reading during a rotation
(`python -m server.cli rotate-pii`); the field's name is the associated data, so a sealed ID number
cannot pass for a phone. Beside each, where code matches on it, a keyed hash (HMAC-SHA256 with
PII_HASH_KEY): equal numbers give equal hashes, and the hash alone reveals nothing. Keys come from
the environment or the data folder (core/config.py), never from the database.

Full numbers go to the owning organisation, clerks and admins and onto the forms and exports;
a bank user sees them masked (mask_id_number, mask_phone)."""

from __future__ import annotations

import base64
import binascii
import hmac
import os
from collections.abc import Sequence
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.config import get_settings
from services.validators import normalise

PREFIX = "pii1:"
ID_NUMBER = "id_number"
PHONE = "phone"


class _Keys:
    def __init__(self) -> None:
        settings = get_settings()
        self.aeads = {key_id: AESGCM(_key_bytes(key)) for key_id, key in settings.pii_keys}
        self.current = settings.pii_keys[0][0]
        self.hash_key = settings.pii_hash_key.encode()


def _key_bytes(text: str) -> bytes:
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    if len(raw) != 32:
        raise ValueError("PII_KEYS: each key is 32 bytes (AES-256), base64")
    return raw


@lru_cache(maxsize=1)
def _keys() -> _Keys:
    return _Keys()


def forget_keys() -> None:
    _keys.cache_clear()


def seal(value: str, field: str) -> str:
    """`pii1:<key id>:<base64 nonce+ciphertext>`, under the current key."""
    keys = _keys()
    nonce = os.urandom(12)
    sealed = keys.aeads[keys.current].encrypt(nonce, value.encode(), field.encode())
    return f"{PREFIX}{keys.current}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def current_key() -> str:
    return _keys().current


def key_of(token: str) -> str:
    return token[len(PREFIX):].partition(":")[0]


def reveal(token: str, field: str) -> str:
    if not token.startswith(PREFIX):
        raise ValueError("not a sealed value")
    key_id, _, body = token[len(PREFIX):].partition(":")
    # binascii on a translated copy: base64.urlsafe_b64decode's checks and conversions were a
    # third of a reveal, and a tree of 10 000 owners reveals 20 000 numbers. The padding that
    # seal() writes is there already; the field's name as bytes is made once.
    data = body.encode().translate(_FROM_URLSAFE)
    raw = binascii.a2b_base64(data if not len(data) % 4 else data + b"=" * (-len(data) % 4))
    return _keys().aeads[key_id].decrypt(raw[:12], raw[12:], _AAD.get(field) or field.encode()).decode()


_FROM_URLSAFE = bytes.maketrans(b"-_", b"+/")
_TO_URLSAFE = bytes.maketrans(b"+/", b"-_")
_AAD = {ID_NUMBER: ID_NUMBER.encode(), PHONE: PHONE.encode()}


def digest(value: str, field: str) -> str:
    """The keyed hash that matching and deduplication compare (hex, 64 characters), of the
    number as validation writes it: NFKC-folded, an ID number's letters upper case."""
    canonical = normalise(value).upper() if field == ID_NUMBER else normalise(value)
    # hmac.digest: OpenSSL's one-shot HMAC, without an HMAC object per call (imports hash
    # two numbers for every owner of 100 000 rows).
    return hmac.digest(_keys().hash_key, f"{field}\0{canonical}".encode(), "sha256").hex()


SEALED_COLUMNS = ("id_number", "id_number_hash", "phone", "phone_hash")


def sealed_values(id_number: str, phone: str) -> tuple[str, str, str, str]:
    """The four stored columns of an owner's plain ID number and phone, in SEALED_COLUMNS' order
    (the bulk writers COPY them as they are)."""
    return seal(id_number, ID_NUMBER), digest(id_number, ID_NUMBER), seal(phone, PHONE), digest(phone, PHONE)


def sealed_many(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, str, str, str]]:
    """sealed_values of each (ID number, phone), the same tokens and hashes, for an import's
    owners: the key, the associated data and one draw of random nonces are taken once for all
    (an import of 100 000 rows seals and hashes 200 000 numbers, and the calls were most of it)."""
    keys = _keys()
    encrypt, hash_key, prefix = keys.aeads[keys.current].encrypt, keys.hash_key, f"{PREFIX}{keys.current}:"
    id_data, phone_data = _AAD[ID_NUMBER], _AAD[PHONE]
    id_head, phone_head = f"{ID_NUMBER}\0", f"{PHONE}\0"
    nonces = os.urandom(24 * len(pairs))  # two 12-byte nonces an owner, from one call
    keyed = hmac.new(hash_key, digestmod="sha256")  # the key's padding hashed once, copied for each number
    b2a, ascii_only = binascii.b2a_base64, str.isascii

    def hmac_digest(message: bytes) -> str:
        one = keyed.copy()
        one.update(message)
        return one.hexdigest()

    out = []
    for i, (id_number, phone) in enumerate(pairs):
        # digest()'s canonical form: NFKC is the identity on ASCII, so only strip() is left there
        canonical_id = (id_number.strip() if ascii_only(id_number) else normalise(id_number)).upper()
        canonical_phone = phone.strip() if ascii_only(phone) else normalise(phone)
        id_nonce, phone_nonce = nonces[24 * i:24 * i + 12], nonces[24 * i + 12:24 * i + 24]
        out.append((
            prefix + b2a(id_nonce + encrypt(id_nonce, id_number.encode(), id_data), newline=False)
            .translate(_TO_URLSAFE).decode(),
            hmac_digest((id_head + canonical_id).encode()),
            prefix + b2a(phone_nonce + encrypt(phone_nonce, phone.encode(), phone_data), newline=False)
            .translate(_TO_URLSAFE).decode(),
            hmac_digest((phone_head + canonical_phone).encode()),
        ))
    return out


def sealed_columns(id_number: str, phone: str) -> dict[str, str]:
    """The four stored columns of an owner's plain ID number and phone."""
    return dict(zip(SEALED_COLUMNS, sealed_values(id_number, phone)))


def stored_from_snapshot(owner: dict) -> dict[str, str]:
    """An owner of a snapshot (sealed numbers) as the owners table's columns: the sealed values
    as they are, the hashes from the numbers."""
    id_number, phone = reveal(owner["idNumber"], ID_NUMBER), reveal(owner["phone"], PHONE)
    return {"id_number": owner["idNumber"], "id_number_hash": digest(id_number, ID_NUMBER),
            "phone": owner["phone"], "phone_hash": digest(phone, PHONE)}


def mask_id_number(value: str) -> str:
    """`4407**********1973`: the first and last four (fewer of a short number) shown."""
    keep = min(4, len(value) // 4)
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[len(value) - keep:] if keep else "*" * len(value)


def mask_phone(value: str) -> str:
    """`180****8773`: the first three and last four of a mobile number."""
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
