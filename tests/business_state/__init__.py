"""The business as a stateful property test: the machine's world and its rules (tests/test_business_state.py runs it)."""
