"""Admins edit content in the Django admin; saving regenerates cards in place."""

import pytest
from django.urls import reverse

from study.models import Attribute, Card, Comparison, Deck, Fact, Vignette

CONTENT_MODELS = [Comparison, Attribute, Fact, Vignette, Deck]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:study_{model._meta.model_name}_{action}", args=args)


@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_staff_can_open_every_content_admin_page(admin_client_, content, model):
    obj = model.objects.first()
    assert admin_client_.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client_.get(admin_url(model, "changelist"), {"q": "tone"}).status_code == 200
    assert admin_client_.get(admin_url(model, "add")).status_code == 200
    assert admin_client_.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", CONTENT_MODELS, ids=lambda m: m.__name__)
def test_learners_cannot_open_the_admin(learner_client, content, model):
    response = learner_client.get(admin_url(model, "changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


def test_saving_a_fact_in_the_admin_updates_its_cards_in_place(admin_client_, content):
    fact = Fact.objects.get(attribute__key="clonus", side="right")
    cards_before = sorted(
        Card.objects.filter(attribute=fact.attribute).values_list("pk", flat=True)
    )
    response = admin_client_.post(
        admin_url(Fact, "change", fact.pk),
        {
            "attribute": fact.attribute_id,
            "side": "right",
            "text": "Absent (no sustained clonus).",
            "source": fact.source,
            "corrected": "",
            "original_text": "",
        },
    )
    assert response.status_code == 302
    cards = Card.objects.filter(attribute=fact.attribute)
    assert sorted(cards.values_list("pk", flat=True)) == cards_before
    assert cards.get(key="umn-lmn:clonus:recall:right").back == "Absent (no sustained clonus)."
    assert "Absent (no sustained clonus)." in cards.get(key="umn-lmn:clonus:contrast").back


def test_a_fact_without_source_is_refused(admin_client_, content):
    fact = Fact.objects.get(attribute__key="clonus", side="right")
    response = admin_client_.post(
        admin_url(Fact, "change", fact.pk),
        {"attribute": fact.attribute_id, "side": "right", "text": "Edited text.", "source": ""},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert b"This field is required" in response.content
    fact.refresh_from_db()
    assert fact.text != "Edited text."


def test_cards_are_read_only_in_the_admin(admin_client_, content):
    card = Card.objects.first()
    assert admin_client_.get(admin_url(Card, "changelist")).status_code == 200
    assert (
        admin_client_.post(admin_url(Card, "delete", card.pk), {"post": "yes"}).status_code == 403
    )
    assert Card.objects.filter(pk=card.pk).exists()
