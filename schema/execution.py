"""Plain attribute fields resolve without Strawberry's per-field wrapper.

A field declared as a plain annotation (no resolver, no permission, no extension) only reads an
attribute of its source. Strawberry still wraps it (building its own Info, argument handling,
awaitable checks), which was a large part of a 10 000-house tree query. Here each such field
gets a direct `getattr` resolver; graphql-core does the rest exactly as before.

A field with a plain synchronous method resolver taking only `self` (and perhaps `info`), such as
`House.id` or `House.owners`, is called directly too, with the same Strawberry Info it would get.
Fields with arguments, permissions, extensions or async resolvers keep Strawberry's wrapper."""

from __future__ import annotations

import inspect
import operator

from typing import Any

from graphql import (
    GraphQLBoolean, GraphQLEnumType, GraphQLID, GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString,
    Undefined, is_leaf_type,
)
from graphql.pyutils import Path, gather_with_cancel
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from core.config import get_settings
from core.errors import QueryTooComplex
from schema.shared_events import execute_once, known, shared_token, variables_key

BACKREF = "strawberry-definition"


def _reader(name: str):
    def resolve(source, _info):
        return getattr(source, name)

    resolve.read = operator.attrgetter(name)  # FastExecutionContext calls it with the source alone
    return resolve


def _method(definition, info_class):
    """A direct resolver for `def field(self)` / `def field(self, info: Info)`, else None."""
    resolver = definition.base_resolver
    fn = resolver.wrapped_func
    if resolver.is_async or resolver.arguments or not inspect.isfunction(fn) or resolver.self_parameter is None:
        return None
    params = list(inspect.signature(fn).parameters.values())
    info = resolver.info_parameter
    if params[0].name != "self" or len(params) != 1 + (info is not None) or (info is not None and params[1].name != info.name):
        return None
    if info is None:
        def resolve(source, _info):
            return fn(source)

        resolve.read = fn  # a function of the source alone (House.id): a leaf FastExecutionContext completes
    else:
        def resolve(source, raw_info):
            return fn(source, info_class(_raw_info=raw_info, _field=definition))

        if (objects := getattr(fn, "objects_in_context", None)) is not None:
            resolve.objects_in_context = objects
    return resolve


def objects_in_context(read):
    """Marks a `def field(self, info)` resolver of a list of objects with `read(source, context)`:
    the same list when it can be had at once (already loaded, the viewer may see it all), else
    None. FastExecutionContext then completes the list without a ResolveInfo or the field's
    completion dispatch; on None it calls the resolver as usual."""
    def mark(fn):
        fn.objects_in_context = read
        return fn

    return mark


def _enum_output(type_: Any):
    """Strawberry's enum output coercion, by a dict: its own loops over the enum's values for
    every value it writes (40 000 of them in a 10 000-house tree, 6 % of the request). Anything
    but a member of the enum's class goes the way it went."""
    members = {member: name for member in type_.wrapped_cls for name, value in type_.values.items()
               if member.value == value.value}
    cls, slow = type_.wrapped_cls, type_.coerce_output_value

    def coerce_output_value(output_value: Any) -> Any:
        if type(output_value) is cls:
            name = members.get(output_value)
            if name is not None:
                return name
        return slow(output_value)

    return coerce_output_value


def install_direct_resolvers(schema: GraphQLSchema, info_class=None) -> int:
    changed = 0
    for type_ in schema.type_map.values():
        if isinstance(type_, GraphQLEnumType) and getattr(type_, "wrapped_cls", None) is not None:
            type_.coerce_output_value = type_.serialize = _enum_output(type_)
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__") or type_.name in (
                "Query", "Mutation", "Subscription"):
            continue
        for field in type_.fields.values():
            definition = (field.extensions or {}).get(BACKREF)
            if definition is None or definition.permission_classes or definition.extensions or field.args:
                continue
            if definition.base_resolver is None:
                field.resolve = _reader(definition.python_name)
            elif info_class is not None and (direct := _method(definition, info_class)) is not None:
                field.resolve = direct
            else:
                continue
            changed += 1
    return changed


# ---------------------------------------------------------------- leaf fields without the per-field machinery

_SIGNATURE = ("self", "parent_type", "source_value", "path", "grouped_field_set", "position_context")


# What a planned field is: resolved the normal way; a leaf read and coerced at once; a list of
# objects completed at once when its resolver can give them without a ResolveInfo; a plain
# attribute holding a list of objects (FloorPlanRow.houses), completed at once when all below is.
SLOW, LEAF, OBJECTS, LIST = 0, 1, 2, 3


def _same_output(leaf: Any) -> type | None:
    """The Python type whose values graphql-core's built-in scalar outputs as they are (String and
    ID: a str; Boolean: a bool), so the loop need not call its serializer; else None."""
    if leaf is GraphQLString or leaf is GraphQLID:
        return str
    return bool if leaf is GraphQLBoolean else None


def _leaf_plan(executor: Any, parent_type: GraphQLObjectType, grouped_field_set: Any) -> list[tuple] | None:
    """Per response key: (key, field details, kind, read, coerce, same, non_null). LEAF: an
    argument-free scalar or enum field whose resolver has a `read` (an attribute, or a method of
    `self` alone); `coerce` is its type's output coercion, skipped for a value of type `same`.
    OBJECTS: `read` is the resolver's objects_in_context and `coerce` the list's item type; LIST:
    `read` reads the list and `coerce` is its item type. None if every field is SLOW."""
    entries, any_fast = [], False
    for key, details in grouped_field_set.items():
        entry = (key, details, SLOW, None, None, None, False)
        node = details[0].node
        field = executor.schema.get_field(parent_type, node.name.value)
        resolve = getattr(field, "resolve", None)
        read = getattr(resolve, "read", None)
        middleware = executor.middleware_manager  # fast only where no middleware wraps the field
        if middleware is not None and read is not None and middleware.get_field_resolver(resolve) is not resolve:
            read = None
        if read is not None and not field.args and not node.arguments:
            type_ = field.type
            non_null = isinstance(type_, GraphQLNonNull)
            leaf = type_.of_type if non_null else type_
            if is_leaf_type(leaf):
                entry = (key, details, LEAF, read, leaf.coerce_output_value, _same_output(leaf), non_null)
                any_fast = True
            elif isinstance(leaf, GraphQLList) and not any(d.node.directives for d in details):
                entry = (key, details, LIST, read, leaf.of_type, None, non_null)
                any_fast = True
        objects = getattr(resolve, "objects_in_context", None)
        if objects is not None and not field.args and not node.arguments and (
                middleware is None or middleware.get_field_resolver(resolve) is resolve):
            type_ = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(type_, GraphQLList):
                entry = (key, details, OBJECTS, objects, type_.of_type, None, False)
                any_fast = True
        entries.append(entry)
    return entries if any_fast else None


class FastExecutionContext(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, except that in each selection set the plain scalar and enum
    fields (an attribute read, then the type's output coercion) are completed in one loop,
    without a ResolveInfo, a Path and the completion dispatch per field. Anything unusual — a
    null in a non-null field, a value the type refuses, an exception — goes through the normal
    `execute_field`, so errors, paths and nulls come out exactly as graphql-core makes them.
    The other fields run as before. tests/test_tree.py compares it with the stock executor."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._leaf_plans: dict[tuple, tuple] = {}
        self._object_items: dict[tuple, tuple] = {}
        self._of_class: dict[tuple, bool] = {}
        self._pure_plans: dict[tuple, tuple] = {}
        # The result cap (schema/cost.py): the bounds it was costed with may be older than the data.
        self._items_left = get_settings().max_query_objects
        self._variables_key: str | None = None

    def execute_operation(self, *args: Any, **kwargs: Any) -> Any:
        """A subscription event that every subscriber got as the same object runs once for all that
        ask the same (schema/shared_events.py); anything else runs as graphql-core runs it."""
        token = shared_token(self.root_value)
        if token is None:
            return super().execute_operation(*args, **kwargs)
        run = super().execute_operation
        return execute_once(self, token, lambda: run(*args, **kwargs))

    def build_response(self, data: Any) -> Any:
        """graphql-core's response; then the executor lets go of its resolve-info helpers. They are
        its own bound methods, so the executor was a reference cycle, and all it holds (the
        context, its loaders, every record read) waited for the cyclic collector: under load a
        30–70 ms stop of the event loop every few seconds (tests/test_request_garbage.py)."""
        response = super().build_response(data)
        self.async_helpers = None
        return response

    def build_per_event_executor(self, payload: Any) -> Any:
        """graphql-core copies the subscription's executor for each event; a subscriber whose answer
        to this event is already known (schema/shared_events.py) gets it without the copy."""
        token = shared_token(payload)
        if token is not None and (answer := known(self, token)) is not None:
            return answer
        return super().build_per_event_executor(payload)

    def variables_key(self) -> str:
        """The operation's variables as a key (made once a subscription: each event's executor is a copy)."""
        if self._variables_key is None:
            self._variables_key = variables_key(self.variable_values)
        return self._variables_key

    def complete_list_value(self, return_type, field_details_list, info, path, result, position_context):
        if isinstance(result, (list, tuple)) and position_context is None and not any(
                d.node.directives for d in field_details_list):
            # A resolved list of objects (Building.houses from its loader) completed by reads alone.
            completed = self._complete_pure(return_type.of_type, field_details_list, None, result)
            if completed is not None:
                return completed
        if isinstance(result, (list, tuple)):
            self._items_left -= len(result)
            if self._items_left < 0:
                raise QueryTooComplex("查询结果的对象数超过上限，请分页或拆分查询")
        return super().complete_list_value(return_type, field_details_list, info, path, result, position_context)

    def complete_list_item_value(self, item, complete_results, item_type, field_details_list, info, item_path,
                                 position_context):
        """An object in a list (a house of a building, an owner of a house) goes straight to
        execute_fields with the list's collected sub-selection: what complete_value,
        complete_object_value and collect_and_execute_subfields would do for it, without their
        dispatch (20 000 objects in a 10 000-house tree). Nulls, errors, abstract types,
        is_type_of refusals, awaitables and @defer take graphql-core's way."""
        key = (item_type, id(field_details_list))
        cached = self._object_items.get(key)
        if cached is None:
            cached = self._object_items[key] = (field_details_list, self._object_item_plan(item_type, field_details_list))
        plan = cached[1]
        if plan is None or position_context is not None or item is None or isinstance(item, Exception):
            return super().complete_list_item_value(item, complete_results, item_type, field_details_list, info,
                                                    item_path, position_context)
        object_type, grouped_field_set = plan[0], plan[1]
        if not self._is_of(object_type, item, info):
            return super().complete_list_item_value(item, complete_results, item_type, field_details_list, info,
                                                    item_path, position_context)
        try:
            completed = self.execute_fields(object_type, item, item_path, grouped_field_set, None)
        except Exception as raw_error:
            self.handle_field_error(raw_error, item_type, field_details_list, item_path)
            complete_results.append(None)
            return False
        if not self.is_awaitable(completed):
            complete_results.append(completed)
            return False

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                return None

        complete_results.append(await_completed())
        return True

    def _complete_objects(self, item_type, field_details_list, parent_type, path, response_name, objects) -> list | None:
        """The completed list of `objects` (House.owners) when each is plainly of the item type
        and completes at once without an error; else None, and the field goes graphql-core's way
        from the start (reads have no side effects, so nothing is done twice that matters). Where
        all below is LEAF, OBJECTS or LIST (an owner's name and numbers), see _complete_pure."""
        if self._pure_plan(item_type, field_details_list) is not None:
            return self._complete_pure(item_type, field_details_list, None, objects)
        key = (item_type, id(field_details_list))
        cached = self._object_items.get(key)
        if cached is None:
            cached = self._object_items[key] = (field_details_list, self._object_item_plan(item_type, field_details_list))
        plan = cached[1]
        if plan is None or not isinstance(objects, (list, tuple)) or len(objects) > self._items_left:
            return None
        object_type, grouped_field_set = plan[0], plan[1]
        is_of, is_awaitable = self._is_of, self.is_awaitable
        completed = []
        path = Path(path, response_name, parent_type.name)
        try:
            for index, item in enumerate(objects):
                if item is None or not is_of(object_type, item, None):
                    return None
                value = self.execute_fields(object_type, item, path.add_key(index, None), grouped_field_set, None)
                completed.append(value)
                if is_awaitable(value):
                    self.settle_in_background([v for v in completed if is_awaitable(v)])
                    return None
        except Exception:
            return None
        self._items_left -= len(objects)
        return completed

    def _pure_plan(self, item_type, field_details_list) -> tuple | None:
        """(object type, entries) for a list of objects whose every sub-field, down to the leaves,
        is LEAF, OBJECTS or LIST: such a list can be completed by reads alone (_complete_pure).
        Each entry is (key, kind, read, coerce, same, non_null, the nested plan of a list)."""
        key = (item_type, id(field_details_list))
        cached = self._pure_plans.get(key)
        if cached is None:
            cached = self._pure_plans[key] = (field_details_list, self._make_pure_plan(item_type, field_details_list))
        return cached[1]

    def _make_pure_plan(self, item_type, field_details_list) -> tuple | None:
        plan = self._object_item_plan(item_type, field_details_list)
        if plan is None:
            return None
        object_type, grouped_field_set = plan[0], plan[1]
        entries = []
        for key, details, kind, read, coerce, same, non_null in _leaf_plan(self, object_type, grouped_field_set) or ():
            nested = None
            if kind in (OBJECTS, LIST):
                nested = self._pure_plan(coerce, details)
                if nested is None:
                    return None
            elif kind != LEAF:
                return None
            entries.append((key, kind, read, coerce, same, non_null, nested))
        return (object_type, entries) if entries else None

    def _complete_pure(self, item_type, field_details_list, read, source) -> list | None:
        """A list of objects completed by reads alone, every level below it too (FloorPlan.floors:
        the rows, their houses, their owners), without graphql-core's dispatch, a ResolveInfo or a
        Path for any of them. `read(source)` gives the list (or, with read None, `source` is it).
        Anything unusual — a null where none may be, a value its type refuses, an object of
        another type, an exception, more objects than the result cap allows — answers None before
        anything is recorded, and the field then goes graphql-core's way from the start."""
        plan = self._pure_plan(item_type, field_details_list)
        if plan is None:
            return None
        counted = [0]
        try:
            completed = self._pure_list(plan, source if read is None else read(source), counted)
        except Exception:
            return None
        if completed is not None:
            self._items_left -= counted[0]
        return completed

    def _pure_list(self, plan, objects, counted) -> list | None:
        object_type, entries = plan
        if not isinstance(objects, (list, tuple)):
            return None
        counted[0] += len(objects)
        if counted[0] > self._items_left:
            return None
        is_of, context = self._is_of, self.context_value
        completed = []
        for item in objects:
            if item is None or not is_of(object_type, item, None):
                return None
            result = {}
            for response_key, kind, read, coerce, same, non_null, nested in entries:
                if kind == LEAF:
                    value = read(item)
                    if type(value) is same:
                        result[response_key] = value
                    elif value is None:
                        if non_null:
                            return None
                        result[response_key] = None
                    else:
                        value = coerce(value)
                        if value is None or value is Undefined:
                            return None
                        result[response_key] = value
                else:
                    inner = read(item, context) if kind == OBJECTS else read(item)
                    if inner is None:  # not at once (OBJECTS), or a null list: graphql-core's way
                        return None
                    inner = self._pure_list(nested, inner, counted)
                    if inner is None:
                        return None
                    result[response_key] = inner
            completed.append(result)
        return completed

    def _is_of(self, object_type, item, info) -> bool:
        """object_type.is_type_of(item), asked once per class of item where its answer depends on
        the class alone (schema/types.of_record: `by_class`)."""
        is_type_of = object_type.is_type_of
        if is_type_of is None:
            return True
        if not getattr(is_type_of, "by_class", False):
            return is_type_of(item, info) is True
        key = (object_type, type(item))
        known = self._of_class.get(key)
        if known is None:
            known = self._of_class[key] = is_type_of(item, info) is True
        return known

    def _object_item_plan(self, item_type, field_details_list) -> tuple | None:
        """(object type, its grouped sub-fields) for a list of a concrete object type with no
        @defer below it, else None."""
        object_type = item_type.of_type if isinstance(item_type, GraphQLNonNull) else item_type
        if not isinstance(object_type, GraphQLObjectType):
            return None
        grouped_field_set, new_defer_usages, _forbidden = self.collect_subfields(object_type, field_details_list)
        return None if new_defer_usages else (object_type, grouped_field_set)

    def execute_fields(self, parent_type, source_value, path, grouped_field_set, position_context):
        key = (parent_type, id(grouped_field_set))
        cached = self._leaf_plans.get(key)
        if cached is None:
            # The set itself is kept with its plan, so its id cannot be reused in this execution.
            cached = self._leaf_plans[key] = (grouped_field_set, _leaf_plan(self, parent_type, grouped_field_set))
        plan = cached[1]
        if plan is None:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)

        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, details, kind, read, coerce, same, non_null in plan:
                if kind == LEAF:
                    try:
                        value = read(source_value)
                        if type(value) is same:
                            results[response_name] = value
                            continue
                        if value is None:
                            if not non_null:
                                results[response_name] = None
                                continue
                        else:
                            coerced = coerce(value)
                            if coerced is not None and coerced is not Undefined:
                                results[response_name] = coerced
                                continue
                    except Exception:  # the normal path below reports it with its path
                        pass
                elif kind == OBJECTS:
                    objects = read(source_value, self.context_value)
                    if objects is not None:
                        completed = self._complete_objects(coerce, details, parent_type, path, response_name, objects)
                        if completed is not None:
                            results[response_name] = completed
                            continue
                elif kind == LIST and position_context is None:
                    completed = self._complete_pure(coerce, details, read, source_value)
                    if completed is not None:
                        results[response_name] = completed
                        continue
                result = self.execute_field(parent_type, source_value, details,
                                            Path(path, response_name, parent_type.name), position_context)
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            if awaitable_fields:
                self.settle_in_background([results[field] for field in awaitable_fields])
            raise

        if not awaitable_fields:
            return results

        async def get_results() -> dict[str, Any]:
            if len(awaitable_fields) == 1:
                field = awaitable_fields[0]
                results[field] = await results[field]
            else:
                awaited = await gather_with_cancel(*(results[field] for field in awaitable_fields))
                results.update(zip(awaitable_fields, awaited, strict=True))
            return results

        return get_results()


def execution_context_class() -> type | None:
    """FastExecutionContext where graphql-core's execute_fields has the shape it was written
    for, else None (Strawberry's default executor)."""
    params = tuple(inspect.signature(StrawberryGraphQLCoreExecutionContext.execute_fields).parameters)
    return FastExecutionContext if params == _SIGNATURE else None
