"""Builds the developer portal (web/) with `npm ci` and Vite when its sources changed. Run by
`python3 dev.py serve` before the virtualenv exists, and by the portal's browser tests, hence
STANDARD LIBRARY ONLY. Without Node and npm it says so and the API runs alone; `/` then explains
how to get the portal."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
WEB = ROOT / "web"
DIST = WEB / "dist"
BUILT_STAMP = DIST / ".sources-sha256"
INSTALLED_STAMP = WEB / "node_modules" / ".lock-sha256"
# what the build reads: a change to any of these rebuilds
SOURCES = ("package.json", "package-lock.json", "index.html", "vite.config.ts", "tsconfig.json")


def _digest(paths: list[Path]) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(str(p.relative_to(ROOT)).encode())
        h.update(b"\0")
        h.update(p.read_bytes())
    return h.hexdigest()


def sources_digest() -> str:
    files = [WEB / name for name in SOURCES if (WEB / name).exists()]
    files += [p for p in (WEB / "src").rglob("*") if p.is_file() and p.name != "graphql-env.d.ts"]
    files.append(ROOT / "schema.graphql")  # the operations are typed from it
    return _digest(files)


def npm() -> str | None:
    return shutil.which("npm") if shutil.which("node") else None


def is_built() -> bool:
    return (DIST / "index.html").exists()


def up_to_date() -> bool:
    return BUILT_STAMP.exists() and BUILT_STAMP.read_text() == sources_digest()


def ensure_packages(say: Callable[[str], None] = print) -> None:
    """web/node_modules as package-lock.json pins it (npm ci), again only when the lock changed."""
    tool = npm()
    if tool is None:
        raise OSError("Node.js and npm are not installed")
    wanted = hashlib.sha256((WEB / "package-lock.json").read_bytes()).hexdigest()
    if not INSTALLED_STAMP.exists() or INSTALLED_STAMP.read_text() != wanted:
        say("installing the portal's packages (npm ci)")
        subprocess.run([tool, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=WEB, check=True)
        INSTALLED_STAMP.write_text(wanted)


def ensure_built(say: Callable[[str], None] = print) -> bool:
    """True when web/dist matches the sources (building it if needed); False when it cannot be built."""
    if up_to_date():
        return True
    tool = npm()
    if tool is None:
        say("Node.js and npm were not found, so the portal is not built; the API runs without it "
            "(install Node 20+ and npm, then run `python3 dev.py serve` again)")
        return False
    try:
        ensure_packages(say)
        say("building the portal (web/ → web/dist)")
        digest = sources_digest()
        subprocess.run([tool, "run", "build", "--silent"], cwd=WEB, check=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        say(f"the portal could not be built ({exc}); the API runs without it")
        return False
    BUILT_STAMP.write_text(digest)
    return True
