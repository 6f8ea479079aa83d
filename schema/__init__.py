"""The GraphQL schema: Query and Mutation roots, the contract's scalars, and the extensions
that guard it (error codes, query limits, parser and validation caches)."""

from __future__ import annotations

import strawberry
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, ParserCache, QueryDepthLimiter, ValidationCache
from strawberry.schema.config import StrawberryConfig

from core.config import get_settings
from core.metrics import OperationMetrics
from schema.cost import QueryCostLimiter
from schema.errors import ErrorCodes
from schema.mutation import Mutation
from schema.query import Query
from schema.scalars import SCALAR_OVERRIDES
from schema.types import ALL_NODE_TYPES


def build_schema() -> strawberry.Schema:
    s = get_settings()
    return strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=ALL_NODE_TYPES,
        config=StrawberryConfig(scalar_map=SCALAR_OVERRIDES),
        extensions=[
            ErrorCodes,
            OperationMetrics,
            MaxTokensLimiter(max_token_count=s.max_query_tokens),
            ParserCache(maxsize=1000),
            QueryDepthLimiter(max_depth=s.max_query_depth),
            MaxAliasesLimiter(max_alias_count=s.max_query_aliases),
            QueryCostLimiter(max_cost=s.max_query_cost),
            ValidationCache(maxsize=1000),
        ],
    )


schema = build_schema()
