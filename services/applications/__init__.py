"""业务单 applications: one life (services/applications/lifecycle.py) for every business type,
one module per type with what it carries and what its approval applies, the types written out
in registry.py (with the Protocols they satisfy), and what they share in common.py."""
