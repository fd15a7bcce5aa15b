"""Authentication backends that load the study profile with the user (one query, not two).

Every page needs `request.user.study_profile`; fetching it with the session's user
saves a query on every request.
"""

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class SelectProfileMixin:
    def get_user(self, user_id):
        User = get_user_model()
        try:
            user = User._default_manager.select_related("study_profile").get(pk=user_id)
        except User.DoesNotExist:
            return None
        # Same rule as ModelBackend.user_can_authenticate: inactive users are logged out.
        return user if getattr(user, "is_active", True) else None


class AxesBackend(SelectProfileMixin, AxesStandaloneBackend):
    """Checks lockouts first (django-axes must be the first backend)."""


class ProfileModelBackend(SelectProfileMixin, ModelBackend):
    """Django's username/password backend."""
