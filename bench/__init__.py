"""The benchmark suite: `python3 dev.py bench` (runs `.venv/bin/python -m bench`).

One run measures, against the same data and side by side so that the ratios mean something:

* the whole-estate tree query over real HTTP (uvicorn subprocess, one worker, httpx client);
* the same query executed by the same Strawberry schema on in-memory records (DataLoaders
  whose load functions read dicts prefetched once from the database);
* a 200-house building's floor plan (楼盘表) over HTTP;
* the SQL statements each of the two queries issues, and where the time goes.

Results go to docs/benchmarks.md. Nothing here asserts on timings: the machine is noisy.
Modules import the application lazily, after bench.environment has set the environment
(get_settings() is cached on first use)."""
