"""Plain attribute fields resolve without Strawberry's per-field wrapper.

A field declared as a plain annotation (no resolver, no permission, no extension) only reads an
attribute of its source. Strawberry still wraps it (building its own Info, argument handling,
awaitable checks), which was a large part of a 10 000-house tree query. Here each such field
gets a direct `getattr` resolver; graphql-core does the rest exactly as before."""

from __future__ import annotations

from graphql import GraphQLObjectType, GraphQLSchema

BACKREF = "strawberry-definition"


def _reader(name: str):
    def resolve(source, _info):
        return getattr(source, name)

    return resolve


def speed_up(schema: GraphQLSchema) -> int:
    changed = 0
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__") or type_.name in (
                "Query", "Mutation", "Subscription"):
            continue
        for field in type_.fields.values():
            definition = (field.extensions or {}).get(BACKREF)
            if definition is None or definition.base_resolver is not None or definition.permission_classes \
                    or definition.extensions or field.args:
                continue
            field.resolve = _reader(definition.python_name)
            changed += 1
    return changed
