"""Study content as the study loop reads it: decks and their active cards, cached per process.

Every study request needs its deck, the deck's active cards in order and the card it
shows, and that content changes only when someone edits it (admin, deck builder, import).
Reading it from the database on every request cost about a third of a study page (see
docs/performance.md), so each worker process keeps a `Catalog` of the content it has
read, valid for one `ContentStamp`:

- every write to content bumps the stamp, inside the writer's transaction (study/signals.py);
- every request reads the current stamp with its user row (study/backends.py);
- a request that reads a stamp other than the cached catalog's starts a new, empty one.

So a worker never serves content older than the stamp its request read: no messages
between processes and nothing to expire. Without a stamp row nothing is cached.
Objects from the catalog are shared between requests: read them, never change them.
"""

from __future__ import annotations

from .models import Card, ContentStamp, Deck

MAX_DECKS = 2_000  # private row-study decks are many and small; past this, start over
_UNKNOWN = object()


class Catalog:
    def __init__(self, stamp: int | None) -> None:
        self.stamp = stamp
        self._decks: dict[str, Deck] = {}
        self._cards: dict[int, dict[int, Card]] = {}  # deck id -> {card id: card}, in order

    def deck(self, slug: str) -> Deck | None:
        """The deck with this slug (visibility is the caller's check), or None."""
        deck = self._decks.get(slug)
        if deck is None:
            deck = Deck.objects.filter(slug=slug).first()
            if deck is not None:  # misses are not cached: arbitrary slugs must not fill memory
                if len(self._decks) >= MAX_DECKS:
                    self._decks.clear()
                    self._cards.clear()
                self._decks[slug] = deck
        return deck

    def cards(self, deck: Deck) -> dict[int, Card]:
        """The deck's active cards by id, in deck order (card order, then id)."""
        cards = self._cards.get(deck.pk)
        if cards is None:
            active = deck.cards.active().select_related("vignette").order_by("order", "pk")
            cards = self._cards[deck.pk] = {card.pk: card for card in active}
        return cards


_catalog = Catalog(None)


def for_user(user) -> Catalog:
    """The catalog valid for the content stamp read with this user (one query if unread)."""
    global _catalog
    stamp = getattr(user, "content_stamp", _UNKNOWN)
    if stamp is _UNKNOWN:
        stamp = ContentStamp.objects.filter(pk=ContentStamp.ROW).values_list("stamp", flat=True)
        stamp = stamp.first()
    if stamp is None:
        return Catalog(None)  # nothing to check a cache against: read afresh
    if _catalog.stamp != stamp:
        _catalog = Catalog(stamp)
    return _catalog
