from django.conf import settings
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import Attribute, Card, Comparison, ContentStamp, Deck, Fact, StudyProfile, Vignette


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_study_profile(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Every user has a profile, so views never create one on a GET."""
    if created and not raw:
        StudyProfile.objects.get_or_create(user=instance)


CONTENT_MODELS = (Comparison, Attribute, Fact, Vignette, Card, Deck)


def content_changed(sender, **kwargs) -> None:
    """Any write to study content invalidates every worker's catalog (study/catalog.py).

    Signals do not fire for QuerySet.update() or bulk_create(): code that changes content
    that way must call ContentStamp.bump() itself.
    """
    ContentStamp.bump()


for model in CONTENT_MODELS:
    post_save.connect(content_changed, sender=model, dispatch_uid=f"content-save-{model.__name__}")
    post_delete.connect(
        content_changed, sender=model, dispatch_uid=f"content-delete-{model.__name__}"
    )


@receiver(m2m_changed, sender=Deck.cards.through, dispatch_uid="content-deck-cards")
def deck_cards_changed(sender, action: str, **kwargs) -> None:
    if action.startswith("post_"):
        ContentStamp.bump()
