"""Which media type a GraphQL answer is sent as (GraphQL over HTTP, "Accept"): the spec's
application/graphql-response+json, whose clients read the HTTP status (400 for a request that
fails to parse, validate or coerce its variables), or the legacy application/json, answered 200
as before. No Accept header, or only */*, means application/json, so existing clients see no
change; an Accept that allows neither is refused (406)."""

from __future__ import annotations

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
SUPPORTED = (JSON, GRAPHQL_RESPONSE)  # on a full tie (wildcards only), the first


def _ranges(accept: str) -> list[tuple[str, float]]:
    ranges = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if not media:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((media.lower(), q))
    return ranges


def negotiate(accept: str | None) -> str | None:
    """The supported media type the client prefers, or None if it accepts neither. A type named
    exactly beats a wildcard (RFC 9110: the most specific range decides its q), equal choices go
    to the one listed first, and a bare */* to application/json."""
    if not accept or not accept.strip():
        return JSON
    ranges = _ranges(accept)
    best: tuple[float, int, int, str] | None = None
    for media in SUPPORTED:
        kind = media.split("/")[0]
        matches = [(q, specificity, -index) for index, (name, q) in enumerate(ranges)
                   for specificity, pattern in ((2, media), (1, f"{kind}/*"), (0, "*/*")) if name == pattern]
        if not matches:
            continue
        q, specificity, order = max(matches, key=lambda m: m[1])  # the most specific range gives the q
        if q <= 0:
            continue
        rank = (q, specificity, order, media)
        if best is None or rank[:3] > best[:3]:
            best = rank
    return best[3] if best else None
