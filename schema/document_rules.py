"""Requests that graphql-core or Strawberry let through, or fail on with a Python message: an
empty selection set (`{ }`, which graphql-core parses and Strawberry's depth limiter then
crashes on), and several operations without `operationName` (Strawberry runs the first; the
GraphQL spec says the request is an error)."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import GraphQLError, OperationDefinitionNode, SelectionSetNode, ValidationRule
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult

from core.errors import ValidationFailed


class NonEmptySelectionSets(ValidationRule):
    def enter_selection_set(self, node: SelectionSetNode, *_args) -> None:
        if not node.selections:
            self.report_error(GraphQLError("选择集不能为空：花括号内至少要选择一个字段", node))


def tolerating_empty_selections(rule: type[ValidationRule]) -> type[ValidationRule]:
    """A rule that measures the document when it is made (the depth limiter) and fails on an
    empty selection set or a spread of an unknown fragment: it stands aside, and
    NonEmptySelectionSets or KnownFragmentNames reports the problem."""

    class Tolerant(rule):  # type: ignore[misc, valid-type]
        def __init__(self, context):
            try:
                super().__init__(context)
            except (ValueError, KeyError):
                ValidationRule.__init__(self, context)

    Tolerant.__name__ = rule.__name__
    return Tolerant


class RequireOperationName(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        document = ctx.graphql_document
        # Strawberry fills operation_name with the first operation's when none was sent.
        sent = getattr(ctx, "_provided_operation_name", None)
        if document is not None and ctx.result is None and sent is None:
            operations = sum(isinstance(d, OperationDefinitionNode) for d in document.definitions)
            if operations > 1:
                problem = ValidationFailed("请求包含多个操作，请用 operationName 指明要执行哪一个",
                                           detail="Must provide operation name if query contains multiple operations.")
                ctx.result = ExecutionResult(data=None, errors=[
                    GraphQLError(problem.message, original_error=problem, extensions=problem.extensions)])
        yield
