"""How every API process is started: the uvicorn options that the launcher, the README's
production command, the tests and the bench all pass (tests/test_hygiene.py holds the README to
them).

- `--loop asyncio`, the standard library's event loop, not uvloop (uvicorn's default when it is
  installed). Saturated by 64 keep-alive connections, one process on uvloop answered most requests
  in about one turn of the loop but some ten and more turns later: p99 520 ms against a p50 of
  30 ms, for a bare ASGI app burning 0.4 ms a request as much as for ours; on asyncio the same
  app had a p99 of 50 ms at the same throughput (docs/benchmarks.md, "Authenticated requests
  under concurrency"; MagicStack/uvloop#123 reports the same ordering). The tail is what users feel.
- `--http httptools`, the fast HTTP/1.1 parser (uvicorn[standard]).
- `--ws websockets-sansio`, the WebSocket implementation the subscriptions are tested on.
- `--ws-per-message-deflate false`: an event is a few hundred bytes, and deflating it once per
  subscriber was the largest single cost of delivering a change to 500 subscriptions (a py-spy
  profile under bench/load.py), for a saving of some hundred bytes a message.
- `--no-access-log`: RequestMiddleware logs each request with its id and status.
"""

API_OPTIONS: tuple[str, ...] = ("--loop", "asyncio", "--http", "httptools", "--ws", "websockets-sansio",
                                  "--ws-per-message-deflate", "false", "--no-access-log")
