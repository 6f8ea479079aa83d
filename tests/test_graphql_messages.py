"""GraphQL's own errors in Chinese (issue 9 item 4): syntax, validation and variable coercion
errors say in Chinese what is wrong, naming the field, argument or variable as the client wrote
it; the English original rides in `extensions.detail`; `extensions.field` is the offending
input's path; and no message names an API operation (a root field) to a person."""

from __future__ import annotations

import re

import pytest

from schema import schema
from tests.api import gql

CJK = re.compile(r"[\u4e00-\u9fff]")
OPERATIONS = {name for root in (schema._schema.query_type, schema._schema.mutation_type, schema._schema.subscription_type)
              for name in root.fields}
ITEM = {"houseId": "SG91c2U6MQ==", "buildingArea": "88.50"}
CHANGE = "mutation($input: HouseInfoChangeInput!) { createHouseInfoChange(input: $input) { id } }"
PAYMENT = "mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id } }"
GOOD_PAYMENT = {"noticeNumber": "JC2026120100001", "amount": "10.50", "bankTransactionId": "TX01",
                "paidAt": "2026-12-01T09:30:00+08:00", "channel": "BANK_COUNTER"}


def said(result) -> dict:
    """The first error, checked for what every one of them must be."""
    assert result.data is None, result
    error = result.errors[0]
    assert error["extensions"]["code"] == "VALIDATION_FAILED", error
    message = error["message"]
    assert CJK.search(message), error
    detail = error["extensions"]["detail"]  # graphql-core's English (our scalars' reasons may be quoted in it)
    assert detail != message and re.match(r"[A-Z]", detail), error
    named = set(re.findall(r"[A-Za-z_]\w*", message)) & OPERATIONS
    assert not named, f"names an API operation: {named} in {message}"
    return error


async def test_a_syntax_error_says_where(client):
    error = said(await gql(client, "{ me { username "))
    assert error["message"].startswith("GraphQL 语法错误（第 1 行第 17 列）"), error
    assert error["extensions"]["detail"] == "Syntax Error: Expected Name, found <EOF>."


async def test_an_unknown_field_is_named_with_the_suggestion_and_its_term(client):
    error = said(await gql(client, "{ me { usrname } }"))
    assert error["message"] == "第 1 行第 8 列：「用户」没有字段 usrname，是否要写 username（用户名） 或 name（姓名）？"


async def test_an_unknown_or_incomplete_root_field_is_said_by_its_term(client):
    error = said(await gql(client, "{ mee { username } }"))
    assert "mee" in error["message"] and "「当前登录用户」" in error["message"], error
    error = said(await gql(client, "{ me }"))
    assert "「当前登录用户」" in error["message"] and "花括号" in error["message"], error


async def test_a_missing_argument_names_the_argument_not_the_operation(client):
    error = said(await gql(client, "mutation { createHouseInfoChange { id } }"))
    assert error["message"] == "第 1 行第 12 列：「房屋信息变更：新建业务单」缺少必填参数 input（内容）"
    assert error["extensions"]["field"] == "input"
    assert "createHouseInfoChange" in error["extensions"]["detail"]  # the developer's English original


async def test_an_unknown_argument_is_named(client):
    error = said(await gql(client, '{ house(idd: "x") { id } }'))
    assert "idd" in error["message"] and "id（标识（全局 ID））" in error["message"], error
    assert error["extensions"]["field"] == "idd"


async def test_a_variable_that_was_not_sent_is_named(client):
    error = said(await gql(client, "query($houseId: ID!) { house(id: $houseId) { id } }", {}))
    assert error["message"] == "变量 $houseId 是必填的，但没有传入（应为标识）"
    assert error["extensions"]["field"] == "id"  # the argument, as the service's own input errors say it


async def test_a_missing_field_deep_in_a_variable_has_its_path(client):
    items = [ITEM, ITEM, ITEM, {"buildingArea": "88.50"}]
    error = said(await gql(client, CHANGE, {"input": {"estateId": "RXN0YXRlOjE=", "reason": "面积更正", "items": items}}))
    assert error["message"] == "变量 $input 的 items.3 缺少必填字段 houseId（房屋 ID）"
    assert error["extensions"]["field"] == "input.items.3.houseId"


async def test_an_unknown_field_in_a_variable_is_named_with_the_suggestion(client):
    items = [{**ITEM, "flor": 3}]
    error = said(await gql(client, CHANGE, {"input": {"estateId": "RXN0YXRlOjE=", "reason": "面积更正", "items": items}}))
    assert "flor" in error["message"] and "floor（楼层）" in error["message"], error
    assert error["extensions"]["field"] == "input.items.0.flor"


@pytest.mark.parametrize(("change", "field", "words"), [
    ({"amount": 10.5}, "input.amount", "数值应以字符串传入"),  # a Decimal as a JSON number
    ({"paidAt": "2026-12-01T09:30:00"}, "input.paidAt", "时区"),
    ({"channel": "BANK"}, "input.channel", "BANK_COUNTER（专户银行柜台）"),
    ({"noticeNumber": 12}, "input.noticeNumber", "应为字符串"),
])
async def test_a_value_that_does_not_coerce_is_named_by_its_path(client, change, field, words):
    error = said(await gql(client, PAYMENT, {"input": {**GOOD_PAYMENT, **change}}))
    assert error["extensions"]["field"] == field, error
    assert words in error["message"] and field.split(".")[-1] in error["message"], error


async def test_the_field_is_the_argument_path_whatever_the_variable_is_called(client):
    query = ("mutation($amount: Decimal!, $paid: DateTime!) { confirmPayment(input: {noticeNumber: \"JC1\", "
             "amount: $amount, bankTransactionId: \"TX01\", paidAt: $paid, channel: POS}) { id } }")
    error = said(await gql(client, query, {"amount": "1e3", "paid": "2026-12-01T09:30:00+08:00"}))
    assert error["message"].startswith("变量 $amount 不正确：") and error["extensions"]["field"] == "input.amount", error
    error = said(await gql(client, PAYMENT.replace("$input", "$p"), {"p": {**GOOD_PAYMENT, "channel": "BANK"}}))
    assert error["message"].startswith("变量 $p 的 channel 的值 BANK") and error["extensions"]["field"] == "input.channel"


async def test_an_enum_value_lists_the_choices(client):
    error = said(await gql(client, "{ applications(first: 1, filter: {status: DRAFTY}) { totalCount } }"))
    assert "DRAFTY" in error["message"] and "DRAFT（草稿（保存））" in error["message"], error


@pytest.mark.parametrize("query", [
    "{ ...F }",  # an unknown fragment (it once reached the depth limiter and became INTERNAL)
    "fragment F on User { username } { me { username } }",
    "query A { me { username } } query A { me { username } }",
    "{ me { username } } query B { me { username } }",
    "query($x: Strin) { me { username } }",
    "query($x: Int) { me { username } }",
    "{ house(id: $nope) { id } }",
    "{ me { username { first } } }",
    "{ me { ... on Bank { name } } }",
    "{ me { username @shout } }",
    '{ users(first: "ten") { totalCount } }',
    '{ __type(name: 1) { name } }',
    "{ users(first: 1, first: 2) { totalCount } }",
    "query($x: String) { house(id: $x) { id } }",
    '{ me { username } } "unterminated',
    "{ me { username } } $",
])
async def test_every_request_error_is_chinese_with_the_english_detail(client, query):
    said(await gql(client, query))


DOCUMENTS = [
    'query Q($id: ID!, $first: Int = 10) { house(id: $id) { id code owners { name idNumber } } '
    'users(first: $first, filter: {status: ACTIVE}) { totalCount } }',
    'mutation($input: ConfirmPaymentInput!) { confirmPayment(input: $input) { id amount ...P } } '
    'fragment P on Payment { paidAt channel }',
]


def damaged(document: str) -> list[str]:
    """Every prefix of the document, and the document without each one of its words or marks."""
    tokens = re.findall(r"\w+|[^\w\s]", document)
    prefixes = {document[:end] for end in range(1, len(document), 3)}
    without = {" ".join(tokens[:i] + tokens[i + 1:]) for i in range(len(tokens))}
    return sorted(prefixes | without)


@pytest.mark.parametrize("document", DOCUMENTS)
async def test_damaged_documents_are_always_said_in_chinese_and_never_internal(client, document):
    variables = {"id": "SG91c2U6MQ==", "input": GOOD_PAYMENT}
    for text in damaged(document):
        r = await gql(client, text, variables)
        for error in r.errors:
            if error["extensions"]["code"] in ("UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND"):
                continue  # it ran: a valid document after all
            assert error["extensions"]["code"] in ("VALIDATION_FAILED", "QUERY_TOO_COMPLEX"), (text, error)
            assert CJK.search(error["message"]), (text, error)
            named = set(re.findall(r"[A-Za-z_]\w*", error["message"])) & OPERATIONS
            assert not named, (text, error)
