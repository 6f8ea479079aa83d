"""The developer portal at `/`: the files Vite built into web/dist, with index.html for any other
path (the portal routes in the browser). Without a build, a short page says how to get one."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

ROOT = Path(__file__).resolve().parent.parent


def dist() -> Path:
    return Path(os.environ.get("PORTAL_DIST") or ROOT / "web" / "dist")


NOT_BUILT = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>维修资金 开发建设单位门户</title>
<style>body{font:15px/1.6 system-ui,sans-serif;max-width:42em;margin:4em auto;padding:0 1em;color:#222}
code{background:#f3f3f3;padding:0 .3em}</style></head><body>
<h1>开发建设单位门户尚未构建</h1>
<p>门户需要 Node.js 20 及 npm 构建。安装后运行 <code>python3 dev.py serve</code>，即会自动构建并在此处提供门户。</p>
<p>在此之前，接口与 GraphiQL 照常可用：<a href="/graphql">/graphql</a>。</p>
<hr>
<h2>The developer portal is not built</h2>
<p>It needs Node.js 20+ and npm. Install them and run <code>python3 dev.py serve</code>, which
builds the portal (web/) and serves it here. Meanwhile the API and GraphiQL work at
<a href="/graphql">/graphql</a>.</p>
</body></html>"""


async def portal(request: Request) -> Response:
    root = dist()
    index = root / "index.html"
    if not index.exists():
        return HTMLResponse(NOT_BUILT)
    rel = request.path_params.get("path", "")
    if rel:
        target = (root / rel).resolve()
        # a built file, never anything outside dist/
        if target.is_file() and target.is_relative_to(root.resolve()) and not target.name.startswith("."):
            # hashed names under assets/ never change; the rest may
            cache = "public, max-age=31536000, immutable" if rel.startswith("assets/") else "no-cache"
            return FileResponse(target, headers={"Cache-Control": cache, "X-Content-Type-Options": "nosniff"})
        if rel.startswith("assets/"):
            return Response("not found", status_code=404)
    return FileResponse(index, headers={"Cache-Control": "no-cache"})
