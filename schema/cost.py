"""Query cost, computed from the query before it runs. Every field is resolved once per object
above it; every list field holds at most its bound: a page (its `first`, the value of a
variable, or the default page when absent), or a bound from the data (the most houses any
building has, the most owners any house has, ...: services/query_bounds.py). Where a path
goes through an ancestor with a tighter bound of its own (an estate's houses through its
buildings, a building's houses through its floor plan), that one counts.

Two limits follow: fields (MAX_QUERY_COST, the work of resolving and printing) and objects
(MAX_QUERY_OBJECTS, the rows a result could hold). A query over either is QUERY_TOO_COMPLEX
and never executes; while one runs, the executor holds the same object cap (execution.py), for
lists that grew since the bounds were read."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ExecutionResult, FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLList,
    GraphQLNonNull, GraphQLSchema, InlineFragmentNode, IntValueNode, OperationDefinitionNode, VariableNode,
    get_named_type, is_composite_type,
)
from strawberry.extensions import SchemaExtension

from services.query_bounds import data_bounds
from services.pagination import MAX_PAGE

DEFAULT_PAGE = 20


@dataclass(frozen=True)
class Page:
    """A list or connection sized by its `first` argument."""
    default: int = DEFAULT_PAGE
    most: int = MAX_PAGE


EDGES = 1  # a connection's edges: the page of the connection field above already counts them

# Every list field of the schema, and what bounds it (tests/test_query_cost.py checks each is here).
LIST_BOUNDS: dict[str, int | str | Page] = {
    "User.roles": 5,
    "Organization.attachments": "registration_files_per_organization",
    "Organization.users": "users_per_organization",
    "Estate.buildings": "buildings_per_estate",
    "Building.houses": "houses_per_building",
    "FloorPlan.units": "houses_per_building",
    "FloorPlan.floors": "houses_per_building",
    "FloorPlanRow.houses": "houses_per_building",
    "House.owners": "owners_per_house",
    "House.ledger": "ledger_per_house",
    "HouseSnapshot.owners": 50,  # services/applications/house_changes.py refuses more
    "Application.houseChanges": Page(default=100, most=1000),
    "Application.buildingChanges": "buildings_per_application",
    "Application.attachments": "documents_per_application",
    "Application.history": "events_per_application",
    "Application.depositImpact": "houses_per_application",
    "Application.refunds": "refunds_per_application",
    "Application.paymentNotices": "notices_per_application",
    "Job.errors": "errors_per_job",
    "Job.paymentNotices": "notices_per_job",
    "PaymentNotice.lines": "lines_per_notice",
    "Query.depositStandards": "deposit_standards",
    "Query.banks": "banks",
    "Organization.history": "history_per_record",
    "Estate.history": "history_per_record",
    "ChangeRecord.changes": 5,  # the fields of the 信息变更 form, the most an immediate change has
    # mutations return what they made: one notice per building or house asked for
    "Mutation.issueBuildingNotices": Page(default=MAX_PAGE),
    "Mutation.issueOwnerNotices": Page(default=MAX_PAGE),
    "Mutation.issueCustomNotices": Page(default=MAX_PAGE),
    **{f"{name}Connection.edges": EDGES for name in (
        "Estate", "House", "Organization", "Application", "PaymentNotice", "Payment", "Refund", "User")},
}

# Fields that go down the tree (an estate's buildings, a building's floor plan, ...). An ancestor's
# own bound holds only along these: house → building → houses reaches other buildings' houses.
CONTAINMENT = {"Estate.buildings", "Building.houses", "Building.floorPlan", "FloorPlan.floors", "FloorPlanRow.houses",
               "House.owners"}

# (ancestor type, item type): the most items one ancestor contains, along CONTAINMENT fields.
ANCESTOR_BOUNDS = {
    ("Estate", "Building"): "buildings_per_estate",
    ("Estate", "House"): "houses_per_estate",
    ("Building", "House"): "houses_per_building",
    ("House", "Owner"): "owners_per_house",
}


@dataclass
class Cost:
    fields: int = 0
    objects: int = 0


class _Walker:
    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any], bounds: dict[str, int], max_fields: int, max_objects: int):
        self.schema, self.fragments, self.variables, self.bounds = schema, fragments, variables, bounds
        self.max_fields, self.max_objects = max_fields, max_objects
        self.cost = Cost()

    def over(self) -> bool:
        return self.cost.fields > self.max_fields or self.cost.objects > self.max_objects

    def _first(self, field: FieldNode, page: Page) -> int:
        for arg in field.arguments or ():
            if arg.name.value == "first":
                value = arg.value
                if isinstance(value, VariableNode):
                    given = self.variables.get(value.name.value)
                    n = page.default if given is None else given
                else:
                    n = int(value.value) if isinstance(value, IntValueNode) else page.most
                return min(max(int(n), 0), page.most) if isinstance(n, int) else page.most
        return page.default

    def _bound(self, key: str, field: FieldNode) -> int:
        bound = LIST_BOUNDS.get(key, Page())
        if isinstance(bound, Page):
            return self._first(field, bound)
        return bound if isinstance(bound, int) else self.bounds[bound]

    def walk(self, type_, selection_set, count: int, ancestors: tuple[tuple[str, int], ...], seen: frozenset[str]) -> None:
        for sel in selection_set.selections if selection_set else ():
            if self.over():
                return
            if isinstance(sel, FieldNode):
                self.field(type_, sel, count, ancestors, seen)
            elif isinstance(sel, InlineFragmentNode):
                inner = self.schema.get_type(sel.type_condition.name.value) if sel.type_condition else type_
                self.walk(inner or type_, sel.selection_set, count, ancestors, seen)
            elif isinstance(sel, FragmentSpreadNode):
                name = sel.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in seen:
                    inner = self.schema.get_type(fragment.type_condition.name.value) or type_
                    self.walk(inner, fragment.selection_set, count, ancestors, seen | {name})

    def field(self, parent, node: FieldNode, count: int, ancestors, seen) -> None:
        name = node.name.value
        self.cost.fields += count
        definition = getattr(parent, "fields", {}).get(name)
        if definition is None or node.selection_set is None:
            return
        key = f"{parent.name}.{name}"
        type_ = definition.type.of_type if isinstance(definition.type, GraphQLNonNull) else definition.type
        item = get_named_type(type_)
        if isinstance(type_, GraphQLList):
            items = count * self._bound(key, node)
            for ancestor, ancestor_count in ancestors:
                stat = ANCESTOR_BOUNDS.get((ancestor, item.name))
                if stat is not None:
                    items = min(items, ancestor_count * self.bounds[stat])
        else:
            has_first = any(a.name.value == "first" for a in node.arguments or ())
            items = count * (self._first(node, Page()) if has_first or "first" in definition.args else 1)
        if is_composite_type(item):
            self.cost.objects += items
        below = (*ancestors, (item.name, items)) if key in CONTAINMENT else ((item.name, items),)
        self.walk(item, node.selection_set, items, below, seen)


async def query_cost(schema: GraphQLSchema, document, operation_name: str | None, variables: dict[str, Any] | None,
                     *, max_fields: int, max_objects: int) -> Cost | None:
    """The operation's cost, or None when there is no single operation to cost."""
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name]
    if len(operations) != 1:
        return None
    operation = operations[0]
    root = schema.get_root_type(operation.operation)
    if root is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walker = _Walker(schema, fragments, variables or {}, await data_bounds(), max_fields, max_objects)
    walker.walk(root, operation.selection_set, 1, (), frozenset())
    return walker.cost


def make_extension(max_fields: int, max_objects: int) -> type[SchemaExtension]:
    class QueryCost(SchemaExtension):
        async def on_execute(self) -> AsyncIterator[None]:
            ctx = self.execution_context
            cost = await query_cost(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.variables,
                                    max_fields=max_fields, max_objects=max_objects)
            if cost is not None and (cost.fields > max_fields or cost.objects > max_objects):
                # the message is matched by schema/errors.py (QUERY_TOO_COMPLEX)
                ctx.result = ExecutionResult(data=None, errors=[GraphQLError(
                    f"查询代价 {cost.fields} 个字段、{cost.objects} 个对象，超过上限 {max_fields} / {max_objects}")])
            yield

    return QueryCost
