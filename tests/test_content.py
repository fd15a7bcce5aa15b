"""The content fixture: corrected, sourced, complete, and stable under reloads and edits."""

import re

import pytest
from django.core.management import call_command

from study.models import Attribute, Card, CardKind, Comparison, Deck, Fact, Group, Vignette

from .conftest import FIXTURE, ROOT

GARBLED = [
    "tronco encefalico",
    "tronco encefálico",
    "lower motor cortex",
    "upper motor cortex",
    "move radially",
    "sole recipient",
    "higher motor neuron",
    "whole range of functions",
    "contain lower m.",
]


def article_rows() -> list[str]:
    text = (ROOT / "fixtures" / "source-article.txt").read_text()
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Upper Motor Neurons |"))
    return [line for line in lines[start + 1 :] if "|" in line]


def all_shown_texts():
    for comparison in Comparison.objects.all():
        yield comparison.description
    for attribute in Attribute.objects.all():
        yield attribute.name
        yield attribute.question
    for fact in Fact.objects.all():
        yield fact.text
    for vignette in Vignette.objects.all():
        yield vignette.prompt
        yield vignette.explanation
    for card in Card.objects.all():
        yield card.front
        yield card.back


def database_snapshot() -> dict:
    return {
        model.__name__: sorted(model.objects.values_list("pk", flat=True))
        for model in (Comparison, Attribute, Fact, Vignette, Card, Deck)
    } | {
        "cards": sorted(Card.objects.values_list("pk", "key", "front", "back", "retired")),
        "deck_cards": sorted(Deck.cards.through.objects.values_list("deck_id", "card_id")),
    }


def test_fixture_loads_into_an_empty_database(content):
    assert Comparison.objects.get().slug == "umn-lmn"
    assert Card.objects.active().count() > 60


def test_every_card_has_front_back_and_source(content):
    for card in Card.objects.all():
        assert card.front.strip(), card.key
        assert card.back.strip(), card.key
        assert card.source.strip(), card.key


def test_every_fact_and_vignette_has_a_source(content):
    assert not Fact.objects.filter(source="").exists()
    assert not Vignette.objects.filter(source="").exists()
    assert Fact.objects.count() >= 40


def test_answers_are_concise(content):
    for fact in Fact.objects.all():
        assert len(fact.text.split()) <= 30, fact
    for vignette in Vignette.objects.all():
        assert len(vignette.explanation.split()) <= 30, vignette.key


@pytest.mark.parametrize("garbled", GARBLED)
def test_no_garbled_article_text_survives(content, garbled):
    for text in all_shown_texts():
        assert garbled.lower() not in text.lower()


def test_every_article_row_is_accounted_for(content):
    rows = article_rows()
    assert len(rows) == 10
    covered = list(
        Attribute.objects.exclude(article_row=None).values_list("article_row", flat=True)
    )
    covered += list(
        Vignette.objects.exclude(article_row=None).values_list("article_row", flat=True)
    )
    assert sorted(covered) == list(range(1, 11))


def test_corrected_statements_quote_the_article_verbatim(content):
    article = (ROOT / "fixtures" / "source-article.txt").read_text()
    corrected = list(Fact.objects.filter(corrected=True)) + list(
        Vignette.objects.filter(corrected=True)
    )
    assert len(corrected) >= 6
    for item in corrected:
        assert item.original_text and item.original_text in article, item


def test_cell_body_size_row_is_a_true_false_identify_card(content):
    vignette = Vignette.objects.get(article_row=5)
    assert vignette.choices == ["True", "False"]
    assert vignette.answer == "False"
    card = Card.objects.get(vignette=vignette)
    assert card.kind == CardKind.IDENTIFY
    assert not Attribute.objects.filter(article_row=5).exists()


def test_clinical_table_has_at_least_14_attributes(content):
    clinical = Attribute.objects.filter(group__in=[Group.LESION_SIGNS, Group.DISEASES])
    assert clinical.count() >= 14
    names = " ".join(clinical.values_list("name", flat=True)).lower()
    for needed in [
        "tone",
        "reflex",
        "clonus",
        "plantar",
        "atrophy",
        "fasciculation",
        "fibrillation",
    ]:
        assert needed in names


def test_spinal_shock_caveat_is_on_a_card(content):
    assert Card.objects.filter(back__icontains="spinal shock").exists()


def test_at_least_ten_vignettes_answer_umn_lmn_or_both(content):
    vignettes = Vignette.objects.filter(choices=["UMN", "LMN", "Both"])
    assert vignettes.count() >= 10
    assert {v.answer for v in vignettes} == {"UMN", "LMN", "Both"}
    assert all(v.explanation for v in vignettes)


def test_required_decks_exist_with_cards(content):
    names = set(Deck.objects.values_list("name", flat=True))
    assert {"Anatomy & pathways", "Lesion signs", "Diseases & vignettes", "All UMN vs LMN"} <= names
    everything = Deck.objects.get(slug="all")
    assert everything.cards.count() == Card.objects.active().count()


def test_fixture_contains_exactly_the_generated_cards(content):
    counts = Comparison.objects.get().generate_cards()
    assert counts["created"] == counts["updated"] == counts["retired"] == 0


def test_reloading_the_fixture_changes_nothing(content):
    before = database_snapshot()
    call_command("loaddata", str(FIXTURE), verbosity=0)
    assert database_snapshot() == before


def test_editing_a_fact_updates_its_cards_in_place(content):
    fact = Fact.objects.get(attribute__key="tone", side="left")
    card_pks = sorted(Card.objects.filter(attribute=fact.attribute).values_list("pk", flat=True))
    fact.text = "Increased (spastic, velocity-dependent)."
    fact.save()
    counts = fact.attribute.comparison.generate_cards()
    assert counts["created"] == 0 and counts["updated"] == 2  # recall + contrast
    cards = Card.objects.filter(attribute=fact.attribute)
    assert sorted(cards.values_list("pk", flat=True)) == card_pks
    assert cards.get(kind=CardKind.RECALL, side="left").back == fact.text


def test_removing_a_fact_retires_its_card_but_keeps_it(content):
    fact = Fact.objects.get(attribute__key="tone", side="left")
    key = "umn-lmn:tone:recall:left"
    fact.delete()
    Comparison.objects.get().generate_cards()
    card = Card.objects.get(key=key)
    assert card.retired
    assert not Deck.objects.filter(cards=card).exists()


def test_card_keys_are_natural_and_stable(content):
    for card in Card.objects.exclude(kind=CardKind.IDENTIFY):
        assert re.fullmatch(r"umn-lmn:[a-z0-9-]+:(recall:(left|right)|contrast)", card.key)


def test_card_labels_are_the_choice_labels(content):
    for card in Card.objects.all():
        assert (card.kind_label, card.group_label) == (
            card.get_kind_display(),
            card.get_group_display(),
        )
    stray = Card(kind="other", group="elsewhere")  # as get_FOO_display: the value itself
    assert (stray.kind_label, stray.group_label) == ("other", "elsewhere")
