"""Importing this module registers every business type with the life cycle."""

from services.applications import building_change, estate_collection, house_changes, split_merge  # noqa: F401
