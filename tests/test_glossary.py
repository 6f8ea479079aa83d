"""Every type, field, argument and enum value of the schema carries a description that begins
with its Chinese term, so GraphiQL's Docs pane reads as the clerks' reference (issue 9)."""

from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType

from schema import schema
from schema.glossary import CJK


def undescribed() -> list[str]:
    missing = []

    def check(path: str, description: str | None) -> None:
        if not description or not CJK.match(description):
            missing.append(path)

    for name, gql_type in schema._schema.type_map.items():
        if name.startswith("__"):
            continue
        check(name, gql_type.description)
        if isinstance(gql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in gql_type.fields.items():
                check(f"{name}.{field_name}", field.description)
                for arg_name, arg in getattr(field, "args", {}).items():
                    check(f"{name}.{field_name}({arg_name})", arg.description)
        if isinstance(gql_type, GraphQLEnumType):
            for value_name, value in gql_type.values.items():
                check(f"{name}.{value_name}", value.description)
    return missing


def test_every_schema_element_begins_with_its_chinese_term():
    assert undescribed() == []


async def test_the_docs_pane_reads_them_by_introspection(client):
    r = await client.post("/graphql", json={"query": """{ __type(name: "House") { description
        fields { name description args { name description } } } }"""})
    house = r.json()["data"]["__type"]
    assert house["description"].startswith("房屋")
    by_name = {f["name"]: f["description"] for f in house["fields"]}
    assert by_name["code"].startswith("房屋编号") and by_name["depositDue"].startswith("应交")
