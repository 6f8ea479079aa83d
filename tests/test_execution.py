"""schema/execution.py: the direct resolvers and the leaf-field executor give exactly what
Strawberry's own resolvers and graphql-core's executor give, data and errors alike."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from decimal import Decimal

import strawberry
from graphql import execute, parse
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.ids import encode_id
from schema import schema as app_schema
from schema.context import Context
from schema.execution import FastExecutionContext, install_direct_resolvers, objects_in_context
from services import auth
from tests.api import gql
from tests.factories import login, make_bank, make_estate, make_org
from tests.test_tree import TREE


class Colour(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.type
class Item:
    name: str
    note: str | None
    colour: Colour
    weight: Decimal
    count: int

    @strawberry.field
    def label(self) -> str:
        return f"{self.name}:{self.count}"

    @strawberry.field
    def echo(self, info: strawberry.Info) -> str:
        return info.context["prefix"] + self.name

    @strawberry.field
    async def later(self) -> int:
        return self.count * 2


@dataclass
class Row:
    name: object
    note: object
    colour: object
    weight: object
    count: object


ROWS = [
    Row("a", None, Colour.RED, Decimal("1.50"), 1),
    Row(None, "null in a non-null field", Colour.BLUE, Decimal("2"), 2),   # error, item becomes null
    Row("c", "bad enum", "purple", Decimal("3"), 3),                        # error from coercion
    Row("d", 4, Colour.BLUE, Decimal("4"), "not a number"),                 # coerced / refused as graphql-core does
    Row("e", "fine", Colour.RED, Decimal("5.25"), 5),
]


@strawberry.type
class Query:
    @strawberry.field
    def items(self) -> list[Item | None]:
        return ROWS  # type: ignore[return-value]

    @strawberry.field
    def strict(self) -> list[Item] | None:
        return ROWS[:2]  # type: ignore[return-value]

    @strawberry.field
    def gaps(self) -> list[Item | None]:
        return [ROWS[0], None, ROWS[4]]  # type: ignore[return-value]

    @strawberry.field
    def strict_gaps(self) -> list[Item] | None:
        return [ROWS[0], None]  # type: ignore[return-value]

    @strawberry.field
    def foreign(self) -> list[Item] | None:
        return [ROWS[0], "not an item"]  # type: ignore[return-value]


def small_schema():
    s = strawberry.Schema(Query)
    install_direct_resolvers(s._schema, s.config.info_class)
    return s


QUERY = """{
  items { name note colour weight count label echo later alias: name again: count ... on Item { count } }
  strict { name count }
  gaps { name count }
  strictGaps { name }
  foreign { name }
}"""


async def run(s, query, context, executor):
    result = execute(s._schema, parse(query), context_value=context, executor_class=executor)
    result = await result if hasattr(result, "__await__") else result
    errors = sorted((e.message, tuple(e.path or ()), tuple((l.line, l.column) for l in e.locations or ()))
                    for e in result.errors or [])
    return result.data, errors


async def test_leaf_executor_matches_graphql_core_on_good_and_bad_values():
    s = small_schema()
    fast = await run(s, QUERY, {"prefix": ">"}, FastExecutionContext)
    direct = await run(s, QUERY, {"prefix": ">"}, StrawberryGraphQLCoreExecutionContext)
    untouched = await run(strawberry.Schema(Query), QUERY, {"prefix": ">"}, StrawberryGraphQLCoreExecutionContext)
    assert fast == direct == untouched  # the executor, and the direct resolvers, change nothing
    fields = s._schema.type_map["Item"].fields
    assert all(hasattr(fields[name].resolve, "read") for name in ("name", "note", "colour", "weight", "count", "label"))
    assert not hasattr(fields["echo"].resolve, "read") and fields["echo"].resolve.__qualname__.startswith("_method")
    data, errors = fast
    assert data["items"][0] == {"name": "a", "note": None, "colour": "RED", "weight": "1.50", "count": 1,
                                "label": "a:1", "echo": ">a", "later": 2, "alias": "a", "again": 1}
    assert data["items"][1] is None and data["items"][2] is None and data["strict"] is None
    # Objects in lists (the executor's own path for them): nulls where the list allows them,
    # the whole list null where it does not.
    assert data["gaps"] == [{"name": "a", "count": 1}, None, {"name": "e", "count": 5}]
    assert data["strictGaps"] is None and ("strictGaps", 1) in {path for _, path, _ in errors}
    assert {path for _, path, _ in errors} >= {("items", 1, "name"), ("items", 2, "colour"), ("strict", 1, "name")}


async def developers_estate(client, session, *, buildings: int, floors: int) -> tuple[int, str, object]:
    """An estate of a developer (2 units of 2 rooms a floor, one basement): its id, the developer
    admin's token and viewer."""
    bank = await make_bank(session)
    org = await make_org(session)
    estate = await make_estate(session, developer_id=org.org_id, bank_id=bank, buildings=buildings, floors=floors,
                               units=2, rooms_per_unit=2, basement_floors=1)
    token = await login(client, org.admin_username)
    return estate, token, await auth.authenticate(session, token)


def slow_fields(monkeypatch) -> list:
    """The fields graphql-core's execute_field completes from now on (the path not taken at once)."""
    calls: list = []
    real = FastExecutionContext.execute_field
    monkeypatch.setattr(FastExecutionContext, "execute_field", lambda *a: calls.append(a[3]) or real(*a))
    return calls


async def test_estate_tree_is_the_same_with_either_executor(client, session, monkeypatch):
    estate, token, viewer = await developers_estate(client, session, buildings=2, floors=3)
    query = TREE.replace("query($id: ID!)", "query").replace("$id", f'"{encode_id("Estate", estate)}"')
    from schema import build_schema

    untouched = build_schema()  # Strawberry's own resolvers: install_direct_resolvers not applied
    results = []
    for s, executor in ((app_schema, FastExecutionContext), (app_schema, StrawberryGraphQLCoreExecutionContext),
                        (untouched, StrawberryGraphQLCoreExecutionContext)):
        ctx = Context(sessions=None, viewer=viewer, request_id=None)  # type: ignore[arg-type]
        results.append(await run(s, query, ctx, executor))
    assert results[0] == results[1] == results[2] and not results[0][1]
    # Over HTTP (Strawberry's executor set-up, with its middleware manager) the leaves take the
    # fast path: graphql-core's execute_field runs for the non-leaf fields only.
    calls = slow_fields(monkeypatch)
    over_http = (await gql(client, TREE, {"id": encode_id("Estate", estate)}, token=token)).ok()
    assert over_http == results[0][0]
    houses = [h for b in over_http["estate"]["buildings"] for h in b["houses"]]
    assert len(houses) == 2 * 4 * 4
    # per house only id and owners (resolvers), per owner only id; no leaf goes the slow way
    assert len(calls) < 4 * len(houses), len(calls)


@dataclass
class PartRow:
    name: object
    colour: object


@dataclass
class BoxRow:
    label: str
    items: object


@strawberry.type
class Part:
    name: str
    colour: Colour

    @strawberry.field
    def code(self) -> str:
        if self.name == "boom":
            raise ValueError("no code for boom")
        return str(self.name).upper()


def items_at_once(box, context):
    return box.items if context.get("at_once") else None


@strawberry.type
class Box:
    label: str

    @strawberry.field
    @objects_in_context(items_at_once)
    def parts(self, info: strawberry.Info) -> list[Part]:
        return self.items  # type: ignore[attr-defined]


BOXES = [
    BoxRow("fine", [PartRow("a", Colour.RED), PartRow("b", Colour.BLUE)]),
    BoxRow("empty", []),
    BoxRow("null name", [PartRow("c", Colour.RED), PartRow(None, Colour.RED)]),
    BoxRow("bad enum", [PartRow("d", "purple")]),
    BoxRow("raises", [PartRow("boom", Colour.BLUE)]),
    BoxRow("not a part", [PartRow("e", Colour.RED), "a string"]),
]


@strawberry.type
class BoxQuery:
    @strawberry.field
    def boxes(self) -> list[Box | None]:
        return BOXES  # type: ignore[return-value]


async def test_objects_completed_at_once_match_graphql_core_on_good_and_bad_values():
    """A list resolver marked objects_in_context (House.owners): its objects completed in the
    executor's own loop give the same data and errors as graphql-core, whatever goes wrong in them."""
    s = strawberry.Schema(BoxQuery)
    install_direct_resolvers(s._schema, s.config.info_class)
    query = "{ boxes { label parts { name colour code again: name } } }"
    fast = await run(s, query, {"at_once": True}, FastExecutionContext)
    loaded = await run(s, query, {"at_once": False}, FastExecutionContext)
    direct = await run(s, query, {"at_once": True}, StrawberryGraphQLCoreExecutionContext)
    untouched = await run(strawberry.Schema(BoxQuery), query, {"at_once": True}, StrawberryGraphQLCoreExecutionContext)
    assert fast == loaded == direct == untouched
    data, errors = fast
    assert data["boxes"][0] == {"label": "fine", "parts": [{"name": "a", "colour": "RED", "code": "A", "again": "a"},
                                                           {"name": "b", "colour": "BLUE", "code": "B", "again": "b"}]}
    assert data["boxes"][1] == {"label": "empty", "parts": []}
    assert data["boxes"][2:] == [None, None, None, None]
    assert {path for _, path, _ in errors} == {("boxes", 2, "parts", 1, "name"), ("boxes", 3, "parts", 0, "colour"),
                                               ("boxes", 4, "parts", 0, "code"), ("boxes", 5, "parts", 1, "name")}


@dataclass
class CrateRow:
    label: str
    contents: object
    boxes: object


@strawberry.type
class Crate:
    label: str
    contents: list[Part]  # plain attributes holding lists of objects (as FloorPlanRow.houses)
    boxes: list[Box] | None


CRATES = [
    CrateRow("fine", [PartRow("a", Colour.RED)], [BOXES[0], BOXES[1]]),
    CrateRow("no boxes", [], None),
    CrateRow("bad part", [PartRow("b", Colour.BLUE), PartRow(None, Colour.RED)], []),
    CrateRow("bad box below", [PartRow("c", Colour.RED)], [BOXES[0], BOXES[3]]),
    CrateRow("a box is null", [PartRow("d", Colour.RED)], [BOXES[0], None]),
    CrateRow("not a list", "abc", []),
]


@strawberry.type
class CrateQuery:
    @strawberry.field
    def crates(self) -> list[Crate | None]:
        return CRATES  # type: ignore[return-value]


async def test_lists_completed_by_reads_alone_match_graphql_core_on_good_and_bad_values():
    """Lists held in plain attributes (FloorPlan.floors, FloorPlanRow.houses), with lists below
    them, completed in one pass by reads alone: the same data and errors as graphql-core."""
    s = strawberry.Schema(CrateQuery)
    install_direct_resolvers(s._schema, s.config.info_class)
    query = "{ crates { label contents { name colour code } boxes { label parts { name colour } } } }"
    results = [await run(s, query, {"at_once": True}, FastExecutionContext),
               await run(s, query, {"at_once": False}, FastExecutionContext),
               await run(s, query, {"at_once": True}, StrawberryGraphQLCoreExecutionContext),
               await run(strawberry.Schema(CrateQuery), query, {"at_once": True}, StrawberryGraphQLCoreExecutionContext)]
    assert results[0] == results[1] == results[2] == results[3]
    data, errors = results[0]
    assert data["crates"][0]["boxes"][1] == {"label": "empty", "parts": []} and data["crates"][1]["boxes"] is None
    assert data["crates"][2] is None and data["crates"][4]["boxes"] is None and data["crates"][5] is None
    assert ("crates", 2, "contents", 1, "name") in {path for _, path, _ in errors}


async def test_floor_plan_is_the_same_with_either_executor_and_its_grid_is_read_at_once(client, session, monkeypatch):
    from bench.queries import FLOOR_PLAN

    estate, token, viewer = await developers_estate(client, session, buildings=1, floors=4)
    tree = (await gql(client, "query($id: ID!) { estate(id: $id) { buildings { id } } }",
                      {"id": encode_id("Estate", estate)}, token=token)).ok()
    building = tree["estate"]["buildings"][0]["id"]
    query = FLOOR_PLAN.replace("query FloorPlan($id: ID!)", "query").replace("$id", f'"{building}"')
    results = []
    for executor in (FastExecutionContext, StrawberryGraphQLCoreExecutionContext):
        ctx = Context(sessions=None, viewer=viewer, request_id=None)  # type: ignore[arg-type]
        results.append(await run(app_schema, query, ctx, executor))
    assert results[0] == results[1] and not results[0][1]
    calls = slow_fields(monkeypatch)
    over_http = (await gql(client, FLOOR_PLAN, {"id": building}, token=token)).ok()
    assert over_http == results[0][0]
    assert sum(len(f["houses"]) for f in over_http["building"]["floorPlan"]["floors"]) == 5 * 2 * 2
    assert len(calls) <= 3, calls  # building, floorPlan, units: the floors, houses and owners are read at once
