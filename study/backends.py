"""Authentication backends that load the session's user in one query, with what every page
needs of it: the study profile, whether the user is an instructor (the menu) and the
content stamp (study/catalog.py).

The query is written once per process rather than built by the ORM on every request:
through the ORM (`select_related`, an `Exists` and a `Subquery` annotation) it cost ~2 ms of
CPU to compile each time, for a query PostgreSQL answers in microseconds; that was two
thirds of a trivial authenticated request. Django still turns the columns into values
(each field's database converters) and the values into model instances (`Model.from_db`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connection

from .models import INSTRUCTORS, ContentStamp, StudyProfile
from .rows import Table, column, table


@dataclass(frozen=True)
class _SessionUserQuery:
    sql: str
    user: Table
    profile: Table


@lru_cache(maxsize=4)
def _session_user_query(vendor: str) -> _SessionUserQuery:
    """The query for `vendor` (quoting and which columns need converting differ by
    database), kept once per process."""
    User = get_user_model()
    user, profile = Table.of(User, "u"), Table.of(StudyProfile, "p")
    Membership = User.groups.through
    sql = (
        f"SELECT {', '.join(user.select('u') + profile.select('p'))}, "
        f"EXISTS (SELECT 1 FROM {table(Membership)} m JOIN {table(Group)} g "
        f"ON {column(Group, 'id', 'g')} = {column(Membership, 'group', 'm')} "
        f"WHERE {column(Membership, 'user', 'm')} = {column(User, 'id', 'u')} "
        f"AND {column(Group, 'name', 'g')} = %s), "
        f"(SELECT {column(ContentStamp, 'stamp')} FROM {table(ContentStamp)} "
        f"WHERE {column(ContentStamp, 'id')} = %s) "
        f"FROM {table(User)} u LEFT JOIN {table(StudyProfile)} p "
        f"ON {column(StudyProfile, 'user', 'p')} = {column(User, 'id', 'u')} "
        f"WHERE {column(User, 'id', 'u')} = %s"
    )
    return _SessionUserQuery(sql, user, profile)


def load_session_user(user_id):
    """The user of `user_id` with `study_profile` loaded (unless the user has none),
    `is_instructor` and `content_stamp` (None before any content exists); None if no such
    user."""
    query = _session_user_query(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(query.sql, [INSTRUCTORS, ContentStamp.ROW, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(query.user.fields)
    user = query.user.instance(row[:split])
    profile_values = row[split : split + len(query.profile.fields)]
    if profile_values[0] is not None:  # the profile's id: a LEFT JOIN gives NULLs without one
        user.study_profile = query.profile.instance(profile_values)
    user.is_instructor, user.content_stamp = bool(row[-2]), row[-1]
    return user


class SelectProfileMixin:
    def get_user(self, user_id):
        try:
            user = load_session_user(int(user_id))
        except (TypeError, ValueError):  # a session holding something else than an id
            return None
        if user is None:
            return None
        # Same rule as ModelBackend.user_can_authenticate: inactive users are logged out.
        return user if getattr(user, "is_active", True) else None


class AxesBackend(SelectProfileMixin, AxesStandaloneBackend):
    """Checks lockouts first (django-axes must be the first backend)."""


class ProfileModelBackend(SelectProfileMixin, ModelBackend):
    """Django's username/password backend."""
