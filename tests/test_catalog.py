"""The per-process content catalog: cached decks and cards, never staler than the stamp."""

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from study import catalog
from study.context_processors import NAV, nav
from study.models import Attribute, Card, Comparison, ContentStamp, Deck, Fact, Vignette

CONTENT_TABLE = re.compile(r'"study_(card|deck|vignette)"')


def study_page(client) -> str:
    response = client.get(reverse("study:study", args=["all"]))
    assert response.status_code == 200
    return response.content.decode()


def first_card(deck: Deck) -> Card:
    return deck.cards.active().order_by("order", "pk").first()


def current_stamp() -> int:
    return ContentStamp.objects.get(pk=ContentStamp.ROW).stamp


@pytest.mark.parametrize("model", [Comparison, Attribute, Fact, Vignette, Card, Deck])
def test_saving_or_deleting_any_content_changes_the_stamp(deck, model):
    before = current_stamp()
    obj = model.objects.order_by("pk").last()
    obj.save()
    after_save = current_stamp()
    assert after_save != before
    if model is not Comparison:  # cards PROTECT their comparison
        obj.delete()
        assert current_stamp() != after_save


def test_changing_a_decks_cards_changes_the_stamp(deck):
    before = current_stamp()
    deck.cards.remove(first_card(deck))
    assert current_stamp() != before


def test_a_warm_catalog_reads_no_content_tables(learner_client, deck):
    study_page(learner_client)  # fills the catalog for this stamp
    with CaptureQueriesContext(connection) as queries:
        study_page(learner_client)
    assert queries.captured_queries  # session, user, today's counts + the learner's states
    assert not [q["sql"] for q in queries.captured_queries if CONTENT_TABLE.search(q["sql"])]


def test_an_edited_card_shows_at_once(learner_client, deck):
    card = first_card(deck)
    assert card.front in study_page(learner_client)
    card.front = "UMN: where do the cell bodies lie (edited)?"
    card.save()
    assert "UMN: where do the cell bodies lie (edited)?" in study_page(learner_client)


def test_a_card_removed_from_the_deck_is_no_longer_studied(learner_client, deck):
    card = first_card(deck)
    assert card.front in study_page(learner_client)
    deck.cards.remove(card)
    assert card.front not in study_page(learner_client)


def test_a_rolled_back_edit_is_never_served(learner_client, deck):
    card = first_card(deck)
    original = card.front
    study_page(learner_client)
    with pytest.raises(RuntimeError), transaction.atomic():
        edited = Card.objects.get(pk=card.pk)
        edited.front = "Never committed"
        edited.save()
        assert "Never committed" in study_page(learner_client)  # cached under its stamp
        raise RuntimeError("roll back")
    page = study_page(learner_client)
    assert original in page
    assert "Never committed" not in page


def test_without_a_stamp_row_nothing_is_cached(learner_client, deck):
    ContentStamp.objects.all().delete()
    card = first_card(deck)
    study_page(learner_client)
    # An update() sends no signal; only reading afresh can show it.
    Card.objects.filter(pk=card.pk).update(front="Changed behind the catalog's back")
    assert "Changed behind the catalog&#x27;s back" in study_page(learner_client)


def test_a_user_loaded_without_the_stamp_reads_it(deck, learner, django_assert_num_queries):
    with django_assert_num_queries(1):
        found = catalog.for_user(learner)
    assert found.stamp == current_stamp()


def test_nav_urls_are_the_reversed_urls_for_the_current_script_prefix(rf):
    assert nav(rf.get("/"))["nav"] == {
        key: reverse(name, args=args) for key, (name, args) in NAV.items()
    }
    set_script_prefix("/trainer/")
    try:
        assert nav(rf.get("/"))["nav"]["home"] == "/trainer/"
    finally:
        set_script_prefix("/")


def test_the_asset_paths_are_what_the_static_tags_render(rf, settings):
    from django.template import Context, Template

    tags = Template(
        "{% load static django_htmx %}{% static 'css/app.css' %}|{% static 'js/keys.js' %}|"
        "{% htmx_script %}"
    ).render(Context())
    assets = nav(rf.get("/"))["assets"]
    assert "|".join([assets["css"], assets["keys"], assets["htmx"]]) == tags
    settings.STATIC_URL = "/assets/"  # a changed setting is not served from the old cache
    assert nav(rf.get("/"))["assets"]["css"].startswith("/assets/css/app")


def test_pages_get_the_user_itself_not_the_lazy_request_user(learner_client, learner, client):
    response = learner_client.get(reverse("study:home"))
    assert type(response.context["user"]) is type(learner)
    assert response.context["user"].pk == learner.pk
    client.logout()
    assert not client.get(reverse("login")).context["user"].is_authenticated
