"""The benchmark suite: `python3 dev.py bench` (runs `.venv/bin/python -m bench`).

One run measures, against the same data and side by side so that the ratios mean something:

* the whole-estate tree query over real HTTP (uvicorn subprocess, one worker, httpx client);
* the same query executed by the same Strawberry schema on in-memory records (DataLoaders
  whose load functions read dicts prefetched once from the database);
* a 200-house building's floor plan (楼盘表) over HTTP;
* the SQL statements each of the two queries issues, and where the time goes (a part-by-part
  breakdown, CPU time per request, and cProfile of both requests).

bench/worker.py runs everything in-process (in-memory execution, the ASGI app without uvicorn,
SQL counts, breakdown, profiles) in a process of its own set up like the server, so that the
garbage collector, a large part of the big query's time, behaves as it does in the server.

Results go to docs/benchmarks.md. Nothing here asserts on timings: the machine is noisy.
Modules import the application lazily, after bench.environment has set the environment
(get_settings() is cached on first use)."""
