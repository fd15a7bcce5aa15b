"""A deck as an Anki package (.apkg, via genanki).

Anki matches notes by GUID and decks/note types by id, so all three are derived from our
stable natural keys: re-importing a newer export updates the learner's notes in Anki
instead of duplicating them. Anki fields are HTML, so every field is escaped here.
"""

from __future__ import annotations

import hashlib
import html
import io
import time

import genanki

from .models import Card, Deck

FIELDS = ["Front", "Back", "Source"]
_CSS = (
    ".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n"
    ".source { font-size: 14px; color: #666; }"
)


def stable_id(text: str) -> int:
    """A positive id in [2**30, 2**31) from text: Anki wants ids that never change."""
    digest = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "big")
    return (1 << 30) + digest % (1 << 30)


def model_for(deck: Deck) -> genanki.Model:
    return genanki.Model(
        stable_id(f"motorneuron-model:{deck.slug}"),
        f"Motor Neuron Trainer ({deck.slug})",
        fields=[{"name": name} for name in FIELDS],
        templates=[
            {
                "name": "Card 1",
                "qfmt": "{{Front}}",
                "afmt": '{{FrontSide}}<hr id="answer">{{Back}}'
                '<p class="source">Source: {{Source}}</p>',
            }
        ],
        css=_CSS,
    )


def _field(text: str) -> str:
    return html.escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def note_fields(card: Card) -> list[str]:
    front = card.front
    if card.choices:
        front = f"{front}\n({' / '.join(card.choices)})"
    return [_field(front), _field(card.back), _field(card.source)]


def to_apkg(deck: Deck, cards: list[Card] | None = None) -> bytes:
    """The deck's active cards as .apkg bytes: one note per card (Front, Back, Source)."""
    if cards is None:
        cards = list(deck.cards.active().order_by("order", "key"))
    model = model_for(deck)
    anki_deck = genanki.Deck(stable_id(f"motorneuron-deck:{deck.slug}"), deck.name)
    for card in cards:
        anki_deck.add_note(
            genanki.Note(model=model, fields=note_fields(card), guid=genanki.guid_for(card.key))
        )
    out = io.BytesIO()
    genanki.Package(anki_deck).write_to_file(out, timestamp=time.time())
    return out.getvalue()
