"""Admins edit content in the Django admin; saving regenerates cards in place."""

import pytest
from django.urls import reverse

from study.models import Attribute, Card, Comparison, Deck, Fact, ReviewLog, ReviewState, Vignette

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


# --- admin actions never delete review history silently ------------------------------------


def _reviewed(card, user):
    from django.utils import timezone

    from study import scheduling

    return scheduling.review(
        user=user,
        profile=user.study_profile,
        card_id=card.pk,
        rating=3,
        expected_version=0,
        token=f"admin-test-{card.pk}",
        now=timezone.now(),
    )


def test_deleting_a_fact_retires_its_cards_and_keeps_their_logs(admin_client_, content, learner):
    fact = Fact.objects.get(attribute__key="clonus", side="right")
    card = Card.objects.get(key="umn-lmn:clonus:recall:right")
    log = _reviewed(card, learner)
    response = admin_client_.post(admin_url(Fact, "delete", fact.pk), {"post": "yes"})
    assert response.status_code == 302
    card.refresh_from_db()
    assert card.retired
    assert card.review_logs.filter(pk=log.pk).exists()
    assert not Deck.objects.get(slug="all").cards.filter(pk=card.pk).exists()


def test_deleting_facts_in_bulk_retires_their_cards_too(admin_client_, content, learner):
    facts = Fact.objects.filter(attribute__key="clonus")
    card = Card.objects.get(key="umn-lmn:clonus:recall:right")
    _reviewed(card, learner)
    response = admin_client_.post(
        admin_url(Fact, "changelist"),
        {
            "action": "delete_selected",
            "_selected_action": list(facts.values_list("pk", flat=True)),
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not facts.exists()
    card.refresh_from_db()
    assert card.retired and card.review_logs.exists()


def test_deleting_a_comparison_with_reviewed_cards_is_refused_with_a_message(
    admin_client_, content, learner
):
    comparison = Comparison.objects.get(slug="umn-lmn")
    _reviewed(comparison.cards.first(), learner)
    response = admin_client_.post(admin_url(Comparison, "delete", comparison.pk), {"post": "yes"})
    assert response.status_code == 200
    assert b"Cannot delete comparison" in response.content
    assert Comparison.objects.filter(pk=comparison.pk).exists()
    assert ReviewLog.objects.count() == 1


def test_review_states_cannot_be_deleted_in_the_admin(admin_client_, content, learner):
    _reviewed(Card.objects.first(), learner)
    state = ReviewState.objects.get(user=learner)
    response = admin_client_.post(admin_url(ReviewState, "delete", state.pk), {"post": "yes"})
    assert response.status_code == 403
    assert ReviewState.objects.filter(pk=state.pk).exists()
