"""The portal's own unit tests (Vitest, web/src/**/*.test.ts[x]: the floor-plan picker, the
batch edit, the error mapping), run as part of the Python suite so `python3 dev.py test` and CI
run them. Skipped, with the reason, only without Node and npm."""

from __future__ import annotations

import subprocess

import pytest

from server import webbuild


def test_vitest_suite_passes():
    tool = webbuild.npm()
    if tool is None:
        pytest.skip("Node.js and npm are not installed, so the portal's Vitest suite cannot run")
    webbuild.ensure_packages(print)
    run = subprocess.run([tool, "test", "--silent", "--", "--reporter=dot"], cwd=webbuild.WEB,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    assert "passed" in run.stdout
