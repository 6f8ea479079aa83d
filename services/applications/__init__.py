"""业务单 applications: one life (services/applications/lifecycle.py) for every business type,
and one module per type with what it carries and what its approval applies."""
