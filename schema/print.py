"""`python -m schema.print > schema.graphql` prints the schema kept at the project root."""

from strawberry.printer import print_schema

from schema import schema

print(print_schema(schema))
