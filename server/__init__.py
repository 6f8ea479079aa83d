"""The composition root: the Starlette app, the ASGI entry point, the launcher, the CLI and the GraphiQL page.
It may import every other package; no other package imports it."""
