"""Installs the GraphiQL page's browser assets (React, ReactDOM, GraphiQL) into server/static/vendor,
so GraphiQL at /graphql works with no internet access. Run by `python3 dev.py serve|test` before
the virtualenv exists, hence STANDARD LIBRARY ONLY.

Each asset comes from a pinned npm tarball, checked against its pinned sha512 integrity (the
registry's `dist.integrity`, as in package-lock.json) before anything is extracted. A mirror can
stand in for registry.npmjs.org via `npm_config_registry` (as for npm itself): the integrity pins
still decide what is accepted. When the installed files match the manifest this does nothing.
If the download fails the service still runs; the page then says the assets are missing.

GraphiQL 3.9's UMD build bundles graphql and graphql-ws (subscriptions over
graphql-transport-ws), so it needs only React and ReactDOM beside it.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import io
import json
import os
import tarfile
import urllib.request
from pathlib import Path

VENDOR = Path(__file__).resolve().parent / "static" / "vendor"
MANIFEST = VENDOR / "manifest.json"
REGISTRY = "https://registry.npmjs.org"
TIMEOUT = 60  # seconds, per request

# name: (version, integrity, {path in the tarball's package/: file name in server/static/vendor})
PACKAGES: dict[str, tuple[str, str, dict[str, str]]] = {
    "react": (
        "18.3.1",
        "sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        {"umd/react.production.min.js": "react.production.min.js", "LICENSE": "LICENSE.react"},
    ),
    "react-dom": (
        "18.3.1",
        "sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        {"umd/react-dom.production.min.js": "react-dom.production.min.js", "LICENSE": "LICENSE.react-dom"},
    ),
    "graphiql": (
        "3.9.0",
        "sha512-rJYFlHdBbug9+YbFSwRVvgfPjCayC7wHecZkx/qB4XLuQPFQZw/yB9pmHFtOJV6RiNBBHro3u1GdocKa3YcGRA==",
        {"graphiql.min.js": "graphiql.min.js", "graphiql.min.css": "graphiql.min.css", "LICENSE": "LICENSE.graphiql"},
    ),
}


class AssetError(Exception):
    pass


def _wanted() -> dict[str, dict[str, object]]:
    return {name: {"version": v, "integrity": i, "files": sorted(f.values())} for name, (v, i, f) in PACKAGES.items()}


def installed() -> bool:
    """True when the manifest matches the pins and every file it lists is there and non-empty."""
    try:
        manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if manifest.get("packages") != _wanted():
        return False
    sizes = manifest.get("sizes") or {}
    for _, _, files in PACKAGES.values():
        for target in files.values():
            path = VENDOR / target
            if not sizes.get(target) or not path.is_file() or path.stat().st_size != sizes[target]:
                return False
    return True


def _registry() -> str:
    return (os.environ.get("npm_config_registry") or os.environ.get("NPM_CONFIG_REGISTRY") or REGISTRY).rstrip("/")


def _download(name: str, version: str, integrity: str) -> bytes:
    url = f"{_registry()}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
    request = urllib.request.Request(url, headers={"User-Agent": "wxfund-dev-vendor"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            data = response.read()
    except (OSError, http.client.HTTPException, ValueError) as exc:  # URLError, HTTPError, timeouts, cut-offs
        raise AssetError(f"could not download {url}: {exc}") from exc
    algorithm, _, expected = integrity.partition("-")
    actual = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if actual != expected:
        raise AssetError(f"{url} does not match its pinned integrity ({algorithm}-{actual} != {integrity})")
    return data


def _extract(name: str, data: bytes, files: dict[str, str]) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for source, target in files.items():
                member = tar.getmember(f"package/{source}")
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is None:
                    raise AssetError(f"{name}: package/{source} is not a regular file")
                out[target] = handle.read()
    except (tarfile.TarError, KeyError, OSError) as exc:
        raise AssetError(f"{name}: cannot read {exc} from the tarball") from exc
    return out


def install() -> None:
    """Downloads and verifies everything first, then writes the files and, last, the manifest."""
    contents: dict[str, bytes] = {}
    for name, (version, integrity, files) in PACKAGES.items():
        contents.update(_extract(name, _download(name, version, integrity), files))
    VENDOR.mkdir(parents=True, exist_ok=True)
    MANIFEST.unlink(missing_ok=True)
    for target, blob in contents.items():
        tmp = VENDOR / f".{target}.tmp"
        tmp.write_bytes(blob)
        os.replace(tmp, VENDOR / target)
    manifest = {"packages": _wanted(), "sizes": {t: len(b) for t, b in sorted(contents.items())}}
    tmp = VENDOR / ".manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, MANIFEST)


def ensure_assets(say) -> None:
    """Installs the assets unless already there. Never raises for a failed download: the API
    works without them, and the GraphiQL page then shows that its assets are missing."""
    if installed():
        return
    listing = ", ".join(f"{n}@{v}" for n, (v, _, _) in PACKAGES.items())
    say(f"installing the GraphiQL assets ({listing}) from {_registry()} into {VENDOR}")
    try:
        install()
    except AssetError as exc:
        say(f"WARNING: GraphiQL assets not installed: {exc}")
        say("the service still runs, but GraphiQL at /graphql will show that its assets are missing; "
            "rerun with access to the npm registry (or set npm_config_registry to a mirror)")
        return
    say("GraphiQL assets installed")


if __name__ == "__main__":
    ensure_assets(lambda message: print(f"[vendor] {message}", flush=True))
