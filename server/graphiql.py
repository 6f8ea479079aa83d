"""GraphiQL served by the service itself, so it works with no internet access. Its assets
(React, GraphiQL) are installed into server/static/vendor by `python3 dev.py` (see dev.py)."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import HTMLResponse

STATIC_DIR = Path(__file__).resolve().parent / "static"
PAGE = STATIC_DIR / "graphiql.html"


def page() -> HTMLResponse:
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
