"""Query cost limit: every selected field costs 1, multiplied by the `first` of each paginated
field above it (a variable counts as the maximum page, an absent `first` as the default page).
Depth, tokens and aliases have their own limits; this one bounds how many rows a query may ask for."""

from __future__ import annotations

from graphql import (
    FieldNode, FragmentSpreadNode, GraphQLError, InlineFragmentNode, IntValueNode, OperationDefinitionNode,
    ValidationContext, ValidationRule,
)

from services.tree import MAX_PAGE

DEFAULT_PAGE = 20


def _multiplier(field: FieldNode) -> int:
    for arg in field.arguments or ():
        if arg.name.value == "first":
            return int(arg.value.value) if isinstance(arg.value, IntValueNode) else MAX_PAGE
    return 1


def make_rule(max_cost: int) -> type[ValidationRule]:
    class CostRule(ValidationRule):
        def __init__(self, context: ValidationContext):
            super().__init__(context)
            self.fragments = {f.name.value: f for f in context.document.definitions if hasattr(f, "selection_set") and not isinstance(f, OperationDefinitionNode)}

        def cost(self, selection_set, multiplier: int, seen: frozenset[str]) -> int:
            total = 0
            for sel in selection_set.selections if selection_set else ():
                if isinstance(sel, FieldNode):
                    total += multiplier
                    if sel.selection_set:
                        total += self.cost(sel.selection_set, multiplier * max(_multiplier(sel), 1), seen)
                elif isinstance(sel, InlineFragmentNode):
                    total += self.cost(sel.selection_set, multiplier, seen)
                elif isinstance(sel, FragmentSpreadNode):
                    name = sel.name.value
                    if name in self.fragments and name not in seen:
                        total += self.cost(self.fragments[name].selection_set, multiplier, seen | {name})
                if total > max_cost:
                    return total
            return total

        def enter_operation_definition(self, node: OperationDefinitionNode, *_args):
            cost = self.cost(node.selection_set, 1, frozenset())
            if cost > max_cost:
                self.report_error(GraphQLError(f"查询代价 {cost} 超过上限 {max_cost}", node))

    return CostRule

