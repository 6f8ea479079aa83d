from tests.api import gql
from tests.factories import login, make_bank, make_estate, make_org


async def test_login_and_tree(client, session):
    bank = await make_bank(session)
    org = await make_org(session)
    estate_id = await make_estate(session, developer_id=org.org_id, bank_id=bank)
    token = await login(client, org.admin_username)
    r = await gql(client, "{ me { name roles organization { name } } estates { totalCount edges { node { id name houseCount buildings { name houses { code owners { name } } } } } } }", token=token)
    data = r.ok()
    assert data["me"]["roles"] == ["ORG_ADMIN", "ESTATE_OPERATOR", "PAYMENT_OPERATOR"]
    assert data["estates"]["totalCount"] == 1
