"""Validators for personal and organisation identifiers, in one place.

- 居民身份证号 resident ID (GB 11643-1999): 17 digits, a valid birth date, and a check
  character from ISO 7064 MOD 11-2 (weights 2^(17-i) mod 11, results "10X98765432").
- 统一社会信用代码 unified social credit code (GB 32100-2015): 18 characters from
  0-9 and A-Z without I, O, Z, S, V; the 18th is a MOD 31 check character (weights 3^(i) mod 31).
- Mainland mobile numbers `1[3-9]\\d{9}`; an organisation's contact phone may also be a
  landline such as 0750-1234567.
Each returns the normalised value (upper case, trimmed, full-width digits folded) or None.
Free text (names, reasons, addresses, remarks) is not folded: `as_typed` only trims it.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from datetime import date

ID_WEIGHTS = tuple(2 ** (17 - i) % 11 for i in range(17))
ID_CHECK = "10X98765432"

CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = tuple(3**i % 31 for i in range(17))

# [0-9], not \d, which also matches other scripts' digits (Arabic-Indic ٠١٢…) that NFKC leaves as they are.
MOBILE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?")
USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{2,49}")


def normalise(value: str) -> str:
    """NFKC folds full-width digits and letters (１２３ → 123); spaces are trimmed. For codes,
    numbers, ID numbers, phones, credit codes and labels only."""
    return unicodedata.normalize("NFKC", value).strip()


def as_typed(value: str) -> str:
    """Free text (names, reasons, addresses, remarks, owners' and account names) as the user typed
    it, only trimmed: full-width punctuation such as （），、： is kept, to be printed as written."""
    return value.strip()


def resident_id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS)) % 11]


_ID_DIGITS_BIAS = ord("0") * sum(ID_WEIGHTS)


def valid_resident_id(value: str) -> str | None:
    # The usual plain 18-character number needs no normalising (NFKC leaves it as it is), and its
    # check sum is taken over its bytes at once: an import checks 100 000 of them.
    if len(value) == 18 and value.isascii() and value[:17].isdigit() and value[17] in "0123456789Xx":
        v = value.upper()
    else:
        v = normalise(value).upper()
        if len(v) != 18 or not v[:17].isdigit() or not v[:17].isascii():
            return None
    try:
        born = date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return None
    if born.year < 1900 or born > date.today():
        return None
    check = ID_CHECK[(sum(map(operator.mul, v[:17].encode(), ID_WEIGHTS)) - _ID_DIGITS_BIAS) % 11]
    return v if check == v[17] else None


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARS.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS))
    return CREDIT_CHARS[(31 - total % 31) % 31]


def valid_credit_code(value: str) -> str | None:
    v = normalise(value).upper()
    if len(v) != 18 or any(c not in CREDIT_CHARS for c in v):
        return None
    return v if credit_code_check_char(v[:17]) == v[17] else None


def valid_mobile(value: str) -> str | None:
    v = normalise(value)
    return v if MOBILE.fullmatch(v) else None


def valid_contact_phone(value: str) -> str | None:
    """A mobile number, or a landline with area code (0750-1234567)."""
    v = normalise(value)
    return v if MOBILE.fullmatch(v) or LANDLINE.fullmatch(v) else None


def valid_username(value: str) -> str | None:
    v = normalise(value)
    return v if USERNAME.fullmatch(v) else None


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a password is too weak, in Chinese, or None. The username is the first guess of
    anyone who knows it, so the password may not be it (ignoring case and spaces)."""
    if len(password) < 8 or len(password) > 128:
        return "密码长度应为 8 至 128 位"
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[0-9]", password)):
        return "密码应同时包含字母和数字"
    if username is not None and normalise(password).casefold() == normalise(username).casefold():
        return "密码不能与用户名相同"
    return None
