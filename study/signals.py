from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import StudyProfile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_study_profile(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Every user has a profile, so views never create one on a GET."""
    if created and not raw:
        StudyProfile.objects.get_or_create(user=instance)
