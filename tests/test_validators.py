"""Property-based tests of the identifier validators."""

from hypothesis import given, strategies as st

from services import validators as v

digits17 = st.text(alphabet="0123456789", min_size=17, max_size=17)


def make_resident_id(birth: str, seq: str) -> str:
    first17 = "440703" + birth + seq
    return first17 + v.resident_id_check_char(first17)


@given(
    st.dates(min_value=__import__("datetime").date(1900, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_resident_id_with_its_check_char_passes(birth, seq):
    rid = make_resident_id(birth.strftime("%Y%m%d"), seq)
    assert v.valid_resident_id(rid) == rid
    assert v.valid_resident_id(rid.lower()) == rid  # a lower-case x is accepted


@given(
    st.dates(min_value=__import__("datetime").date(1900, 1, 1), max_value=__import__("datetime").date(2020, 12, 31)),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
    st.integers(min_value=0, max_value=17),
    st.sampled_from("0123456789X"),
)
def test_resident_id_any_single_change_fails(birth, seq, position, char):
    rid = make_resident_id(birth.strftime("%Y%m%d"), seq)
    changed = rid[:position] + char + rid[position + 1:]
    if changed != rid:
        # MOD 11-2 detects every single-character substitution (or the date breaks).
        assert v.valid_resident_id(changed) is None


def test_known_resident_ids():
    assert v.valid_resident_id("11010519491231002X") == "11010519491231002X"
    assert v.valid_resident_id("110105194912310021") is None
    assert v.valid_resident_id("11010519491331002X") is None  # month 13
    assert v.valid_resident_id("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"


credit17 = st.text(alphabet=v.CREDIT_CHARS, min_size=17, max_size=17)


@given(credit17)
def test_credit_code_with_its_check_char_passes(first17):
    code = first17 + v.credit_code_check_char(first17)
    assert v.valid_credit_code(code) == code
    assert v.valid_credit_code(" " + code.lower() + " ") == code


@given(credit17, st.integers(min_value=0, max_value=17), st.sampled_from(v.CREDIT_CHARS))
def test_credit_code_any_single_change_fails(first17, position, char):
    code = first17 + v.credit_code_check_char(first17)
    changed = code[:position] + char + code[position + 1:]
    if changed != code:
        assert v.valid_credit_code(changed) is None


def test_known_credit_codes():
    assert v.valid_credit_code("91350100M000100Y43") == "91350100M000100Y43"
    assert v.valid_credit_code("91350100M000100Y44") is None
    assert v.valid_credit_code("91350100I000100Y43") is None  # I is not in the alphabet


@given(st.sampled_from("3456789"), st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_mobile_numbers(second, rest):
    assert v.valid_mobile("1" + second + rest) == "1" + second + rest
    assert v.valid_mobile("1" + second + rest + "0") is None


@given(st.text(max_size=20))
def test_validators_never_raise(text):
    for check in (v.valid_resident_id, v.valid_credit_code, v.valid_mobile, v.valid_contact_phone, v.valid_username):
        result = check(text)
        assert result is None or isinstance(result, str)


def test_phones_and_passwords():
    assert v.valid_mobile("12345678901") is None
    assert v.valid_contact_phone("0750-1234567") == "0750-1234567"
    assert v.valid_contact_phone("13800138000") == "13800138000"
    assert v.valid_contact_phone("1234") is None
    assert v.password_problem("short1") is not None
    assert v.password_problem("onlyletters") is not None
    assert v.password_problem("Good-pass-2026") is None


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=9, max_size=9).filter(lambda s: not s.isascii()))
def test_phones_take_only_plain_digits_once_folded(rest):
    # Full-width digits fold to plain ones (NFKC); other scripts' digits (٠١٢, ०१२) do not and are refused.
    folded = v.normalise(rest)
    expected = "139" + folded if folded.isascii() else None
    assert v.valid_mobile("139" + rest) == expected
    assert v.valid_contact_phone("0750-" + rest[:7]) == (("0750-" + folded[:7]) if folded.isascii() else None)


def test_a_password_may_not_be_the_username():
    assert v.password_problem("lin2026x", "lin2026x") is not None
    assert v.password_problem("LIN2026X", "lin2026x") is not None
    assert v.password_problem("lin2026x-pass", "lin2026x") is None
