"""`python3 dev.py bench [options]` → `.venv/bin/python -m bench [options]`; writes docs/benchmarks.md."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from bench.environment import ROOT, prepare


def parse(argv: list[str]):
    p = argparse.ArgumentParser(prog="python3 dev.py bench", description=__doc__)
    p.add_argument("--runs", type=int, default=15, help="measured runs of the tree query (default 15)")
    p.add_argument("--warmup", type=int, default=2, help="warm-up runs discarded (default 2)")
    p.add_argument("--plan-runs", type=int, default=50, help="measured runs of the floor plan (default 50)")
    p.add_argument("--inproc-runs", type=int, default=5, help="runs of each in-process part (default 5)")
    p.add_argument("--buildings", type=int, default=100, help="buildings of 100 houses in the tree estate (default 100)")
    p.add_argument("--no-profile", dest="profile", action="store_false",
                   help="skip the cProfile of the two requests (the default profiles both)")
    p.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks.md", help="where to write the report")
    p.add_argument("--only-tree", action="store_true", help="skip the import, recalculation and PDF benchmarks")
    return p.parse_args(argv)


async def more() -> str:
    """The benchmarks of the applications and payments issues, in the same run."""
    import asyncio

    from bench import imports, pdf_notices, recalc
    from bench.run import say

    say("imports: 10 000 and 100 000 houses end to end")
    imported = await imports.run()
    say("recalculation of 100 000 houses")
    recalculated = await recalc.run(100_000)
    say("1 000 payment notices into one PDF")
    pdf = await asyncio.to_thread(pdf_notices.run, 1000)
    say("the portal: bundle size and a 500-house floor plan in Chromium")
    try:
        from bench import portal

        web = "\n\n" + await asyncio.to_thread(portal.section)
    except Exception as exc:  # no Node or no chromium: the service benches still count
        web = f"\n\n## Portal (web/)\n\nnot run: {exc}"
    met = "**met**" if pdf["pages_per_s"] >= 20 else "**missed**"
    return "\n".join([
        "## Imports (upload → SUCCEEDED)",
        "",
        "An API process (uvicorn) and an arq worker process; the client uploads the workbook with a GraphQL multipart",
        "request and waits on its `jobUpdated` subscription (graphql-transport-ws) until it says SUCCEEDED; the clock runs",
        "from the upload to that message. One 200-row import runs first and is not counted (the first job of a fresh",
        "API and worker pays for statement compilation). The floor is the same file read with python-calamine alone",
        "(no checks) and its raw rows COPYed into a temporary table, measured in the same run.",
        "",
        imports.markdown(imported),
        "",
        "## Deposit recalculation",
        "",
        "One set-based UPDATE (`services/payments/deposits.RECALCULATE_SQL`) over 100 000 ACTIVE houses with nothing paid, in",
        "1 000-house buildings, under the example standards, after VACUUM ANALYZE of the freshly seeded table (the state",
        "autovacuum keeps) and a CHECKPOINT (so that a checkpoint of the earlier benches' writes does not land in the timed",
        "UPDATE" + ("" if recalculated.get("checkpoint") else "; **not run**: the database role may not CHECKPOINT") + ");",
        "first when every due changes, then again. The tree bench's houses are ACTIVE too and count.",
        "",
        recalc.markdown(recalculated),
        "",
        "## Payment notices into one PDF (one worker)",
        "",
        f"{pdf['notices']:,} notices ({pdf['lines']:,} house lines) rendered by `documents.payment_notice.render_payment_notices` into one",
        "file, beside plain WeasyPrint (`weasyprint.HTML(string=…).write_pdf()`) on the same HTML, in the same run.",
        "",
        "| | Pages | Seconds | Pages/s | Pages per CPU-second | Target |",
        "|---|---:|---:|---:|---:|---|",
        f"| ours (CJK font, QR codes) | {pdf['pages']:,} | {pdf['seconds']} | {pdf['pages_per_s']} | {pdf['pages_per_cpu_s']} | ≥ 20 pages/s: {met} |",
        f"| plain WeasyPrint, same HTML | {pdf['plain_pages']:,} | {pdf['plain_seconds']} | {pdf['plain_pages_per_s']} | {pdf['plain_pages_per_cpu_s']} | |",
    ]) + web


def main(argv: list[str]) -> int:
    args = parse(argv)
    started = datetime.now().astimezone()
    env = prepare()  # before any application import

    from bench import report
    from bench.run import Options, run, say

    opts = Options(runs=args.runs, warmup=args.warmup, plan_runs=args.plan_runs, inproc_runs=args.inproc_runs,
                   buildings=args.buildings, profile=args.profile)

    async def main_async():
        from sqlalchemy import text

        from core.db import dispose_engine, get_engine
        from core.redis import close_redis, get_redis

        await get_redis().flushdb()
        async with get_engine().connect() as conn:
            pg_version = (await conn.execute(text("SHOW server_version"))).scalar_one()
        try:
            tree_results = await run(opts)
            extra = None if args.only_tree else await more()
            return (tree_results, extra), pg_version
        finally:
            await dispose_engine()
            await close_redis()

    try:
        import uvloop  # the event loop uvicorn uses; the in-process figures run on the same
        runner = uvloop.run
    except ImportError:
        import asyncio
        runner = asyncio.run
    (results, extra), pg_version = runner(main_async())

    command = "python3 dev.py bench" + ("" if not argv else " " + " ".join(argv))
    text = report.render(results, env, pg_version, command, started)
    if extra:
        text = text.rstrip() + "\n\n" + extra + "\n"
    report.write(args.output, text)
    say(f"tree: HTTP median {results.tree_http.median_ms:.1f} ms (p95 {results.tree_http.p95_ms:.1f}), in-memory median "
        f"{results.tree_memory.median_ms:.1f} ms, ratio {results.ratio:.2f} (target ≤ 1.5: {'met' if results.tree_ok else 'MISSED'})")
    say(f"floor plan: HTTP median {results.plan_http.median_ms:.1f} ms (p95 {results.plan_http.p95_ms:.1f}) "
        f"(target < 30 ms: {'met' if results.plan_ok else 'MISSED'})")
    say(f"SQL statements: tree {len(results.tree_sql.statements)}, floor plan {len(results.plan_sql.statements)}")
    say(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
