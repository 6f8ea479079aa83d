"""The GraphQL schema: Query and Mutation roots, the contract's scalars, and the extensions
that guard it (error codes, query limits, parser and validation caches). Extensions are
passed as factories, so each request gets its own instances."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import aclosing

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig
from strawberry.types.graphql import OperationType

from core.config import get_settings
from schema import glossary
from schema.cost import make_extension
from schema.control_chars import RefuseControlCharacters
from schema.document_rules import NonEmptySelectionSets, RequireOperationName, tolerating_empty_selections
from schema.errors import ErrorCodes, coded, internal
from schema.graphql_messages import learn_operations
from schema.observability import OperationMetrics, OperationTracing
from schema.execution import execution_context_class, install_direct_resolvers
from schema.application_roots import Subscription
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.applications import Application, Job
from schema.payments import DepositStandard, Payment, PaymentNotice, Refund
from schema.types import ALL_NODE_TYPES
from strawberry.extensions import AddValidationRules


class TolerantParserCache(ParserCache):
    """Strawberry's parser cache raises syntax errors from inside its hook, which skips the
    other extensions' exit (our error codes); leave bad documents to the normal parse."""

    def on_parse(self) -> Iterator[None]:
        ctx = self.execution_context
        try:
            ctx.graphql_document = self.cached_parse_document(ctx.query, **ctx.parse_options)
        except GraphQLError:
            pass
        yield


class Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Expected errors are not logged; ErrorCodes logs the unexpected ones with their stack."""

    async def execute(self, query, variable_values=None, context_value=None, root_value=None, operation_name=None,
                      allowed_operation_types=None, operation_extensions=None):
        """Subscriptions run over WebSocket (`subscribe`) only: executed as a query they fail
        inside the resolver. An error raised inside an extension's hook skips ErrorCodes and
        is a bug: any error still without a code is INTERNAL."""
        allowed = set(allowed_operation_types or OperationType) - {OperationType.SUBSCRIPTION}
        result = await super().execute(query, variable_values, context_value, root_value, operation_name,
                                       allowed, operation_extensions)
        if result.errors and not all((e.extensions or {}).get("code") for e in result.errors):
            result.errors = [e if (e.extensions or {}).get("code") else internal(e) for e in result.errors]
        return result


    async def stream(self, query, variable_values=None, context_value=None, root_value=None, operation_name=None,
                     operation_extensions=None, allowed_operation_types=None):
        """Over WebSocket every result comes from here, a subscription's events included: each
        event's errors are coded as an operation's are (ErrorCodes sees only the first), so a
        failure while a subscription runs (the database away) is a coded error, never the raw
        exception's text."""
        source = await super().stream(query, variable_values, context_value, root_value, operation_name,
                                      operation_extensions, allowed_operation_types)
        return _coded_stream(source)


async def _coded_stream(source):
    async with aclosing(source):
        async for result in source:
            errors = getattr(result, "errors", None)
            if errors and not all((e.extensions or {}).get("code") for e in errors):
                result.errors = [e if (e.extensions or {}).get("code") else coded(e) for e in errors]
            yield result


def build_schema() -> strawberry.Schema:
    s = get_settings()
    # The rule classes are made once: Strawberry's limiters make a new class per instance, and a
    # new class per request would miss the validation cache on every request.
    rules = [
        NonEmptySelectionSets,
        *map(tolerating_empty_selections, QueryDepthLimiter(max_depth=s.max_query_depth).validation_rules),
        *MaxAliasesLimiter(max_alias_count=s.max_query_aliases).validation_rules,
    ]
    query_cost = make_extension(s.max_query_cost, s.max_query_objects)
    return Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[*ALL_NODE_TYPES, Application, Job, DepositStandard, Payment, PaymentNotice, Refund],
        config=StrawberryConfig(scalar_map=SCALAR_OVERRIDES),
        execution_context_class=execution_context_class(),
        extensions=[
            ErrorCodes,
            RequireOperationName,
            RefuseControlCharacters,
            OperationMetrics,
            OperationTracing,
            lambda: MaxTokensLimiter(max_token_count=s.max_query_tokens),
            lambda: TolerantParserCache(maxsize=1000),
            lambda: AddValidationRules(rules),
            lambda: ValidationCache(maxsize=1000),
            query_cost,
        ],
    )


schema = build_schema()
glossary.apply(schema._schema)
learn_operations(schema._schema)
install_direct_resolvers(schema._schema, schema.config.info_class)
