"""Opaque Node ids: base64 of "Type:pk". A malformed id, or one of another type, decodes to None."""

from __future__ import annotations

import base64
import binascii


def encode_id(type_name: str, pk: int) -> str:
    return base64.urlsafe_b64encode(f"{type_name}:{pk}".encode()).decode().rstrip("=")


def decode_any(gid: str) -> tuple[str, int] | None:
    if not isinstance(gid, str) or not 0 < len(gid) <= 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(gid + "=" * (-len(gid) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    type_name, sep, pk = raw.partition(":")
    if not sep or not pk.isdigit() or len(pk) > 18 or pk != str(int(pk)):
        return None
    return type_name, int(pk)


def decode_id(gid: str, type_name: str) -> int | None:
    decoded = decode_any(gid)
    if decoded is None or decoded[0] != type_name:
        return None
    return decoded[1]
