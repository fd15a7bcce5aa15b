"""Model instances from rows of hand-written SQL, made as the ORM makes them.

For the few queries on hot paths whose SQL is written once per process (the session's
user, the reviewed card's state, the dashboard's assignments and learners): Django's own
converters turn the columns into values and `Model.from_db` makes the instance, without
compiling a queryset each time.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import Field, Model
from django.db.models.expressions import Col


@dataclass(frozen=True)
class Table:
    """One model's concrete columns in a query, and how to make an instance of a row."""

    model: type[Model]
    fields: list[Field]
    names: list[str]  # the fields' attribute names, as `Model.from_db` wants them
    converted: list[tuple[int, Col]]  # (position in `fields`, its column) of those with converters

    @classmethod
    def of(cls, model: type[Model], alias: str, only: tuple[str, ...] = ()) -> Table:
        """All the model's concrete fields, or those named in `only` (in that order): an
        instance then defers the others, as `QuerySet.only` does."""
        meta = model._meta
        fields = [meta.get_field(name) for name in only] if only else list(meta.concrete_fields)
        converted = [
            (position, column)
            for position, column in enumerate(field.get_col(alias) for field in fields)
            if _converters(column)
        ]
        return cls(model, fields, [field.attname for field in fields], converted)

    def select(self, alias: str) -> list[str]:
        """The columns, in `fields` order, for a SELECT list."""
        return [f"{alias}.{connection.ops.quote_name(field.column)}" for field in self.fields]

    def values(self, row: tuple) -> list:
        """The row's columns as the fields' Python values."""
        values = list(row)
        for position, column in self.converted:
            for converter in _converters(column):
                values[position] = converter(values[position], column, connection)
        return values

    def instance(self, row: tuple) -> Model:
        return self.model.from_db(connection.alias, self.names, self.values(row))


def column(model: type[Model], name: str, alias: str = "") -> str:
    """A field's column, quoted (and qualified by `alias`, if any), for hand-written SQL."""
    quoted = connection.ops.quote_name(model._meta.get_field(name).column)
    return f"{alias}.{quoted}" if alias else quoted


def table(model: type[Model]) -> str:
    """A model's table name, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def _converters(column: Col) -> list:
    """The column's database converters, looked up on this thread's connection: the
    backend's are methods of it, and a process-wide cache must not keep a connection."""
    return connection.ops.get_db_converters(column) + column.get_db_converters(connection)
