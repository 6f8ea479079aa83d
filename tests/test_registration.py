"""开发建设单位注册 through the HTTP endpoint with multipart uploads, and its refusals."""

import pytest
from sqlalchemy import func, select

from models import Document, Organization, User
from tests.api import gql
from tests.factories import credit_code

REGISTER = """
mutation($input: RegisterDeveloperInput!) {
  registerDeveloper(input: $input) {
    token expiresAt
    user { username name roles organization { name creditCode materialsVerified attachments { kind registrationKind filename contentType sizeBytes url } } }
  }
}"""

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def registration(**overrides):
    data = {
        "name": "江门新城置业有限公司", "creditCode": credit_code(900001), "legalRepresentative": "王法人",
        "contactName": "李联系", "contactPhone": "0750-1234567", "address": "江门市蓬江区建设路 8 号",
        "adminUsername": "xincheng", "adminPassword": "Xincheng-2026", "adminName": "王管理",
        "agreementVersion": "2026-01", "agreementAccepted": True,
        "attachments": [{"kind": "BUSINESS_LICENCE", "file": None}, {"kind": "LEGAL_REPRESENTATIVE_ID", "file": None}],
    }
    data.update(overrides)
    return data


FILES = {
    "variables.input.attachments.0.file": ("licence.pdf", PDF, "application/pdf"),
    "variables.input.attachments.1.file": ("id.png", PNG, "image/png"),
}


async def count(session, model) -> int:
    return await session.scalar(select(func.count()).select_from(model))


async def test_register_with_uploads_logs_the_admin_in(client, session):
    agreement = (await gql(client, "{ registrationAgreement { version text } }")).ok()["registrationAgreement"]
    assert agreement["version"] == "2026-01" and "机构注册协议" in agreement["text"]

    r = await gql(client, REGISTER, {"input": registration()}, files=FILES)
    payload = r.ok()["registerDeveloper"]
    assert payload["user"]["roles"] == ["ORG_ADMIN", "ESTATE_OPERATOR", "PAYMENT_OPERATOR"]
    org = payload["user"]["organization"]
    assert org["materialsVerified"] is False
    assert [(a["kind"], a["registrationKind"], a["contentType"]) for a in org["attachments"]] == [
        ("ATTACHMENT", "BUSINESS_LICENCE", "application/pdf"), ("ATTACHMENT", "LEGAL_REPRESENTATIVE_ID", "image/png")]
    assert payload["expiresAt"].endswith("+08:00")

    # The token works at once, and the stored file downloads through its signed link.
    me = (await gql(client, "{ me { username } }", token=payload["token"])).ok()["me"]
    assert me["username"] == "xincheng"
    download = await client.get(org["attachments"][0]["url"])
    assert download.status_code == 200 and download.content == PDF
    tampered = org["attachments"][0]["url"].replace("sig=", "sig=0")
    assert (await client.get(tampered)).status_code == 404

    stored = await session.scalar(select(Organization))
    assert stored.agreement_version == "2026-01"


@pytest.mark.parametrize("overrides, code, field", [
    ({"agreementAccepted": False}, "AGREEMENT_REQUIRED", "input.agreementAccepted"),
    ({"agreementVersion": "2020-01"}, "AGREEMENT_REQUIRED", "input.agreementVersion"),
    ({"creditCode": "91440703MA4XXXXXX1"}, "VALIDATION_FAILED", "input.creditCode"),
    ({"contactPhone": "12345"}, "VALIDATION_FAILED", "input.contactPhone"),
    ({"adminPassword": "short"}, "VALIDATION_FAILED", "input.adminPassword"),
    ({"adminUsername": "x"}, "VALIDATION_FAILED", "input.adminUsername"),
    ({"name": "   "}, "VALIDATION_FAILED", "input.name"),
])
async def test_bad_registration_is_refused_and_writes_nothing(client, session, overrides, code, field):
    r = await gql(client, REGISTER, {"input": registration(**overrides)}, files=FILES)
    assert r.code == code, r
    assert r.errors[0]["extensions"].get("field") == field
    assert r.errors[0]["message"]
    assert await count(session, Organization) == 0 and await count(session, User) == 0
    assert await count(session, Document) == 0


async def test_business_licence_is_required(client, session):
    variables = {"input": registration(attachments=[{"kind": "OTHER", "file": None}])}
    r = await gql(client, REGISTER, variables, files={"variables.input.attachments.0.file": ("a.pdf", PDF, "application/pdf")})
    assert r.code == "VALIDATION_FAILED" and r.errors[0]["extensions"]["field"] == "input.attachments"
    assert await count(session, Organization) == 0


async def test_attachment_type_is_sniffed_not_trusted(client, session):
    files = dict(FILES)
    files["variables.input.attachments.1.file"] = ("evil.png", b"MZ\x90\x00 not an image", "image/png")
    r = await gql(client, REGISTER, {"input": registration()}, files=files)
    assert r.code == "FILE_REJECTED" and r.errors[0]["extensions"]["field"] == "input.attachments.1.file"
    assert await count(session, Organization) == 0 and await count(session, Document) == 0


async def test_oversized_upload_is_refused(client, session):
    files = dict(FILES)
    files["variables.input.attachments.0.file"] = ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf")
    r = await gql(client, REGISTER, {"input": registration()}, files=files)
    assert r.code == "FILE_REJECTED"
    assert await count(session, Organization) == 0 and await count(session, Document) == 0


async def test_request_over_the_request_cap_is_refused_before_reading(client):
    response = await client.post("/graphql", content=b"x" * 10, headers={
        "content-type": "application/json", "content-length": str(200 * 1024 * 1024)})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "FILE_REJECTED"


async def test_credit_code_and_username_are_unique(client, session):
    (await gql(client, REGISTER, {"input": registration()}, files=FILES)).ok()
    again = await gql(client, REGISTER, {"input": registration(adminUsername="another")}, files=FILES)
    assert again.code == "CONFLICT" and again.errors[0]["extensions"]["field"] == "input.creditCode"
    same_user = await gql(client, REGISTER, {"input": registration(creditCode=credit_code(900002), adminUsername="XinCheng")}, files=FILES)
    assert same_user.code == "CONFLICT" and same_user.errors[0]["extensions"]["field"] == "input.adminUsername"
    assert await count(session, Organization) == 1 and await count(session, User) == 1
