#!/usr/bin/env python3
"""The two commands, on a machine with only Python 3.11+:

    python3 dev.py serve     # API + GraphiQL on http://127.0.0.1:8000/graphql, the portal at /, a worker, demo data
    python3 dev.py test      # the whole test suite (extra arguments go to pytest)
    python3 dev.py bench     # the benchmarks (docs/benchmarks.md)

Each first makes .venv and installs the project into it (again only when pyproject.toml
changed), and the GraphiQL assets into server/static/vendor; `serve` also builds the portal
(web/, with npm ci and Vite) when its sources changed. Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".installed"


def say(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):
        sys.exit("Python 3.11 or newer is needed")
    if not PYTHON.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        say("installing the project and its dependencies into .venv (first run takes a few minutes)")
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[test]"], check=True)
        STAMP.write_text(wanted)


def ensure_assets() -> None:
    sys.path.insert(0, str(ROOT / "server"))
    try:
        import vendor  # server/vendor.py: standard library only
    finally:
        sys.path.pop(0)
    vendor.ensure_assets(say)


def ensure_portal() -> None:
    sys.path.insert(0, str(ROOT / "server"))
    try:
        import webbuild  # server/webbuild.py: standard library only
    finally:
        sys.path.pop(0)
    webbuild.ensure_built(say)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test", "bench"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    ensure_assets()
    os.chdir(ROOT)
    if command == "serve":
        ensure_portal()
        args = [str(PYTHON), "-m", "server.launcher", *rest]
    elif command == "test":
        args = [str(PYTHON), "-m", "pytest", *rest]
    else:
        args = [str(PYTHON), "-m", "bench", *rest]
    os.execv(args[0], args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
