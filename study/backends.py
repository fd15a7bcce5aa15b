"""Authentication backends that load the study profile with the user (one query, not three).

Every page needs `request.user.study_profile`; fetching it with the session's user
saves a query on every request.
"""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, OuterRef, Subquery

from .models import ContentStamp


class SelectProfileMixin:
    def get_user(self, user_id):
        User = get_user_model()
        try:
            # `is_instructor` rides along in the same query: the nav shows authoring links
            # on every page without an extra query.
            instructors = User.groups.through.objects.filter(
                user=OuterRef("pk"), group__name="Instructors"
            )
            # So does the content stamp: the study loop serves cached content of that
            # stamp (study/catalog.py) instead of reading decks and cards every request.
            stamp = ContentStamp.objects.filter(pk=ContentStamp.ROW).values("stamp")
            user = (
                User._default_manager.select_related("study_profile")
                .annotate(is_instructor=Exists(instructors), content_stamp=Subquery(stamp))
                .get(pk=user_id)
            )
        except User.DoesNotExist:
            return None
        # Same rule as ModelBackend.user_can_authenticate: inactive users are logged out.
        return user if getattr(user, "is_active", True) else None


class AxesBackend(SelectProfileMixin, AxesStandaloneBackend):
    """Checks lockouts first (django-axes must be the first backend)."""


class ProfileModelBackend(SelectProfileMixin, ModelBackend):
    """Django's username/password backend."""
