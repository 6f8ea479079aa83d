"""Prometheus metrics: HTTP requests by path and status, GraphQL operations by name, bearer
token checks by where the answer came from. The GraphQL extensions that fill them are in
schema/observability.py."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "path", "status"])
GRAPHQL_OPERATIONS = Counter("graphql_operations_total", "GraphQL operations", ["operation", "type", "outcome"])
GRAPHQL_LATENCY = Histogram(
    "graphql_operation_seconds", "GraphQL operation latency", ["operation", "type"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TOKEN_CHECKS = Counter("token_checks_total", "Bearer token checks (services/auth.check_token)", ["source"])
