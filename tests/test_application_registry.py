"""The shape of services/applications (issue 8 item 3): every business type is in the written
registry with every hook its Protocol declares, and no type module imports the life cycle or
the registry that import it (the old circle)."""

import ast
import inspect
from pathlib import Path

from models.enums import ApplicationType
from services.applications import registry

ROOT = Path(__file__).resolve().parent.parent
TYPE_MODULES = ("building_change", "estate_collection", "house_changes", "split_merge")


def _hooks(protocol: type) -> set[str]:
    return {name for klass in protocol.__mro__ if klass.__module__ == registry.__name__
            for name in [*vars(klass), *vars(klass).get("__annotations__", {})] if not name.startswith("_")}


def test_every_application_type_has_a_handler_with_every_hook():
    assert set(registry.TYPES) == set(ApplicationType)
    for kind, handler in registry.TYPES.items():
        hooks = _hooks(_protocol_of(kind))
        missing = {h for h in hooks if not hasattr(handler, h)}
        assert not missing, f"{kind.value}: {missing}"
        assert kind not in registry.IMPORTERS or isinstance(handler.with_code, bool)
        for name in hooks - {"with_code"}:
            declared = inspect.signature(getattr(_protocol_of(kind), name))
            given = inspect.signature(getattr(handler, name))
            assert list(given.parameters) == list(declared.parameters)[1:], f"{kind.value}.{name}"


def _protocol_of(kind: ApplicationType) -> type:
    if kind in (ApplicationType.HOUSE_SPLIT_MERGE, ApplicationType.HOUSE_INFO_CHANGE):
        return registry.AppliesSheetAtEnd
    return registry.ImportsHouses if kind in registry.IMPORTERS else registry.BusinessType


def test_business_type_modules_import_neither_the_life_cycle_nor_the_registry():
    for name in TYPE_MODULES:
        tree = ast.parse((ROOT / "services" / "applications" / f"{name}.py").read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
        imported |= {f"{node.module}.{a.name}" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
                     and node.module for a in node.names}
        for banned in ("services.applications.lifecycle", "services.applications.registry",
                       "services.applications.deposit_effects", "services.applications.files"):
            assert banned not in imported, f"{name} imports {banned}"
