"""Control characters (C0, U+0000–U+001F) are refused in every string a client sends, at the
input boundary, before any resolver runs: PostgreSQL cannot store NUL in text, and a control
character in a name, code or search is never meant. Multi-line free text (the `reason`,
`remark` and `comment` inputs) may keep tab, line feed and carriage return.

Strings reach an operation as variables (JSON) or as literals in the document; both are checked,
and `extensions.field` names the input as the client wrote it: the argument a variable is passed
to, then the input fields and list positions below it (`input.items.3.name`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, ListValueNode,
    ObjectValueNode, SelectionSetNode, StringValueNode, ValueNode, VariableNode, get_operation_ast,
)
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from core.errors import ValidationFailed

MULTI_LINE = frozenset({"reason", "remark", "comment"})
ANY_CONTROL = re.compile(r"[\x00-\x1f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

Path = tuple[str | int, ...]


def _problem(text: str, path: Path) -> ValidationFailed | None:
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    field = ".".join(map(str, path))
    if name in MULTI_LINE:
        if CONTROL_BUT_LINES.search(text):
            return ValidationFailed("不能包含控制字符（换行和制表符除外）", field=field)
    elif ANY_CONTROL.search(text):
        return ValidationFailed("不能包含换行、制表符等控制字符", field=field)
    return None


def _in_json(value: Any, path: Path) -> ValidationFailed | None:
    if isinstance(value, str):
        return _problem(value, path)
    if isinstance(value, dict):
        items: Iterator[tuple[str | int, Any]] = iter(value.items())
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        if problem := _in_json(item, (*path, key)):
            return problem
    return None


class _Document:
    """The literals of one operation, and where each variable is first passed."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode]):
        self.fragments = fragments
        self.variable_paths: dict[str, Path] = {}
        self.problem: ValidationFailed | None = None

    def selections(self, selection_set: SelectionSetNode | None, seen: frozenset[str]) -> None:
        for selection in selection_set.selections if selection_set else ():
            if self.problem:
                return
            if isinstance(selection, FieldNode):
                for argument in selection.arguments or ():
                    self.value(argument.value, (argument.name.value,))
                self.selections(selection.selection_set, seen)
            elif isinstance(selection, InlineFragmentNode):
                self.selections(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:
                    self.selections(self.fragments[name].selection_set, seen | {name})

    def value(self, node: ValueNode, path: Path) -> None:
        if isinstance(node, StringValueNode):
            self.problem = self.problem or _problem(node.value, path)
        elif isinstance(node, VariableNode):
            self.variable_paths.setdefault(node.name.value, path)
        elif isinstance(node, ListValueNode):
            for i, item in enumerate(node.values):
                self.value(item, (*path, i))
        elif isinstance(node, ObjectValueNode):
            for field in node.fields:
                self.value(field.value, (*path, field.name.value))


def control_character_problem(document, operation_name: str | None, variables: dict | None) -> ValidationFailed | None:
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    walk = _Document(fragments)
    walk.selections(operation.selection_set, frozenset())
    if walk.problem:
        return walk.problem
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if variables and name in variables:
            if problem := _in_json(variables[name], walk.variable_paths.get(name, (name,))):
                return problem
        elif definition.default_value is not None:
            walk.value(definition.default_value, walk.variable_paths.get(name, (name,)))
            if walk.problem:
                return walk.problem
    return None


class RefuseControlCharacters(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.result is None:
            problem = control_character_problem(ctx.graphql_document, ctx.operation_name, ctx.variables)
            if problem is not None:
                # A result set here is returned instead of executing (Strawberry skips execution).
                ctx.result = ExecutionResult(data=None, errors=[
                    GraphQLError(problem.message, original_error=problem, extensions=problem.extensions)])
        yield
