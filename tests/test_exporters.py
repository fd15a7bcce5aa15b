"""Anki export: a zip holding an SQLite collection, one note per card, stable ids."""

import io
import json
import sqlite3
import zipfile

import genanki
import pytest
from django.urls import reverse

from study import exporters
from study.models import Deck


def collection(apkg: bytes) -> sqlite3.Connection:
    """The package's SQLite collection, opened read-only from memory."""
    archive = zipfile.ZipFile(io.BytesIO(apkg))
    name = next(n for n in archive.namelist() if n in ("collection.anki21", "collection.anki2"))
    connection = sqlite3.connect(":memory:")
    connection.deserialize(archive.read(name))
    return connection


@pytest.fixture
def apkg(deck) -> bytes:
    return exporters.to_apkg(deck)


def test_apkg_is_a_zip_with_an_sqlite_collection(apkg):
    archive = zipfile.ZipFile(io.BytesIO(apkg))
    assert "collection.anki2" in archive.namelist()
    assert collection(apkg).execute("select count(*) from col").fetchone() == (1,)


def test_one_note_per_active_card(apkg, deck):
    notes = collection(apkg).execute("select count(*) from notes").fetchone()[0]
    assert notes == deck.cards.active().count()


def test_each_note_has_front_back_and_source_fields(apkg):
    rows = collection(apkg).execute("select flds from notes").fetchall()
    assert all(len(flds.split("\x1f")) == 3 for (flds,) in rows)


def test_note_guids_come_from_card_keys(apkg, deck):
    guids = {guid for (guid,) in collection(apkg).execute("select guid from notes")}
    assert guids == {
        genanki.guid_for(key) for key in deck.cards.active().values_list("key", flat=True)
    }


def deck_and_model_ids(apkg: bytes) -> tuple[set[str], set[str]]:
    decks, models = collection(apkg).execute("select decks, models from col").fetchone()
    return set(json.loads(decks)), set(json.loads(models))


def test_deck_and_model_ids_are_stable_across_exports(deck):
    # Only the ids: each export stamps its own time ("mod") into the collection,
    # and two exports may fall either side of a second.
    first = deck_and_model_ids(exporters.to_apkg(deck))
    assert first == deck_and_model_ids(exporters.to_apkg(deck))
    deck_ids, model_ids = first
    assert str(exporters.stable_id(f"motorneuron-deck:{deck.slug}")) in deck_ids
    assert str(exporters.stable_id(f"motorneuron-model:{deck.slug}")) in model_ids


def test_fields_are_html_escaped(deck):
    card = deck.cards.active().first()
    card.front = "<script>alert(1)</script> & more"
    card.back = "line one\nline two"
    fields = exporters.note_fields(card)
    assert fields[0] == "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"
    assert fields[1] == "line one<br>line two"


def test_identify_card_front_lists_its_choices(deck):
    card = deck.cards.active().filter(kind="identify").first()
    assert exporters.note_fields(card)[0].endswith(f"({' / '.join(card.choices)})")


def test_learner_downloads_a_visible_deck_as_apkg(learner_client, deck):
    response = learner_client.get(reverse("study:deck_anki", args=[deck.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="all.apkg"'
    assert zipfile.ZipFile(io.BytesIO(response.content)).namelist()


def test_someone_elses_private_deck_is_404(learner_client, content, instructor):
    private = Deck.objects.create(slug="private", name="Private", owner=instructor)
    response = learner_client.get(reverse("study:deck_anki", args=[private.slug]))
    assert response.status_code == 404
