"""Anki export: a zip holding an SQLite collection, one note per card, stable ids."""

import io
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


def test_deck_and_model_ids_are_stable_across_exports(deck):
    first, second = collection(exporters.to_apkg(deck)), collection(exporters.to_apkg(deck))
    assert (
        first.execute("select decks, models from col").fetchone()
        == second.execute("select decks, models from col").fetchone()
    )
    assert (
        str(exporters.stable_id(f"motorneuron-deck:{deck.slug}"))
        in first.execute("select decks from col").fetchone()[0]
    )


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
