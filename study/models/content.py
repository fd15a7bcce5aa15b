"""Content: a comparison table (UMN | LMN), its facts, and the cards made from them.

Cards are generated from facts and vignettes by `Comparison.generate_cards`, the one
deterministic function used by the admin, the `generate_cards` command and the
fixture. A card's identity is its natural `key`, so editing a fact updates its cards
in place and never orphans review history.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models, transaction


class Side(models.TextChoices):
    LEFT = "left", "Left column"
    RIGHT = "right", "Right column"


class Group(models.TextChoices):
    ANATOMY = "anatomy", "Anatomy & pathways"
    PHYSIOLOGY = "physiology", "Physiology"
    LESION_SIGNS = "lesion_signs", "Lesion signs"
    DISEASES = "diseases", "Diseases"
    VIGNETTES = "vignettes", "Vignettes"


class CardKind(models.TextChoices):
    RECALL = "recall", "Recall"
    CONTRAST = "contrast", "Contrast"
    IDENTIFY = "identify", "Identify"


# Labels by value: `get_FOO_display()` rebuilds a field's choices on every call, and the
# study page shows both labels on every card.
GROUP_LABELS = dict(Group.choices)
KIND_LABELS = dict(CardKind.choices)


class ComparisonQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug: str) -> Comparison:
        return self.get(slug=slug)

    def visible_to(self, user) -> ComparisonQuerySet:
        """Shared comparisons plus the user's own (admins see all)."""
        if user.is_staff:
            return self.all()
        return self.filter(models.Q(owner__isnull=True) | models.Q(owner=user.pk))

    def editable_by(self, user) -> ComparisonQuerySet:
        """Admins edit any comparison; everybody else only their own (instructor imports)."""
        if user.is_staff:
            return self.all()
        return self.filter(owner=user.pk)


class Comparison(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    left_label = models.CharField(max_length=20, help_text="Short label, e.g. UMN")
    right_label = models.CharField(max_length=20, help_text="Short label, e.g. LMN")
    left_name = models.CharField(max_length=100)
    right_name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    source = models.TextField(help_text="Citation note for the comparison as a whole")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="owned_comparisons",
        help_text="Empty for shared content (admins); an instructor for their own imports",
    )

    objects = ComparisonQuerySet.as_manager()

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def label(self, side: str) -> str:
        return self.left_label if side == Side.LEFT else self.right_label

    def rows(self) -> list[Attribute]:
        """Attributes in table order, each with `.left` and `.right` facts (or None)."""
        attributes = list(self.attributes.order_by("order", "key").prefetch_related("facts"))
        for attribute in attributes:
            by_side = {fact.side: fact for fact in attribute.facts.all()}
            attribute.left = by_side.get(Side.LEFT)
            attribute.right = by_side.get(Side.RIGHT)
        return attributes

    def card_specs(self) -> list[dict]:
        """What the cards of this comparison should be, keyed by natural key (pure)."""
        specs: list[dict] = []
        for attribute in self.rows():
            base = {"comparison": self, "attribute": attribute, "group": attribute.group}
            for fact in (attribute.left, attribute.right):
                if fact is None:
                    continue
                specs.append(
                    base
                    | {
                        "key": f"{self.slug}:{attribute.key}:recall:{fact.side}",
                        "kind": CardKind.RECALL,
                        "side": fact.side,
                        "front": f"{self.label(fact.side)} — {attribute.question}?",
                        "back": fact.text,
                        "source": fact.source,
                        "order": attribute.order * 10 + (0 if fact.side == Side.LEFT else 1),
                    }
                )
            if attribute.left and attribute.right:
                specs.append(
                    base
                    | {
                        "key": f"{self.slug}:{attribute.key}:contrast",
                        "kind": CardKind.CONTRAST,
                        "side": "",
                        "front": f"{attribute.name}: {self.left_label} vs {self.right_label}?",
                        "back": (
                            f"{self.left_label}: {attribute.left.text}\n"
                            f"{self.right_label}: {attribute.right.text}"
                        ),
                        "source": _join_sources(attribute.left.source, attribute.right.source),
                        "order": attribute.order * 10 + 2,
                    }
                )
        for vignette in self.vignettes.order_by("order", "key"):
            specs.append(
                {
                    "comparison": self,
                    "attribute": None,
                    "vignette": vignette,
                    "group": Group.VIGNETTES,
                    "key": f"{self.slug}:vignette:{vignette.key}",
                    "kind": CardKind.IDENTIFY,
                    "side": "",
                    "front": vignette.prompt,
                    "back": f"{vignette.answer} — {vignette.explanation}",
                    "choices": list(vignette.choices),
                    "answer": vignette.answer,
                    "source": vignette.source,
                    "order": 100_000 + vignette.order,
                }
            )
        return specs

    @transaction.atomic
    def generate_cards(self) -> dict[str, int]:
        """Create or update this comparison's cards in place; retire cards no longer made.

        Retired cards stay in the database (review logs point at them) but leave every deck.
        """
        specs = self.card_specs()
        existing = {card.key: card for card in self.cards.all()}
        counts = {"created": 0, "updated": 0, "unchanged": 0, "retired": 0}
        for spec in specs:
            fields = {
                "comparison": spec["comparison"],
                "attribute": spec.get("attribute"),
                "vignette": spec.get("vignette"),
                "group": spec["group"],
                "kind": spec["kind"],
                "side": spec["side"],
                "front": spec["front"],
                "back": spec["back"],
                "choices": spec.get("choices", []),
                "answer": spec.get("answer", ""),
                "source": spec["source"],
                "order": spec["order"],
                "retired": False,
            }
            card = existing.pop(spec["key"], None)
            if card is None:
                Card.objects.create(key=spec["key"], **fields)
                counts["created"] += 1
            elif any(getattr(card, name) != value for name, value in fields.items()):
                for name, value in fields.items():
                    setattr(card, name, value)
                card.save()
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        for card in existing.values():
            if not card.retired:
                card.retired = True
                card.save(update_fields=["retired"])
                counts["retired"] += 1
        for deck in self.decks.exclude(groups=[]):
            deck.sync_cards()
        return counts


def _join_sources(*sources: str) -> str:
    unique = list(dict.fromkeys(s.strip() for s in sources if s.strip()))
    return "; ".join(unique)


class AttributeQuerySet(models.QuerySet):
    def get_by_natural_key(self, comparison_slug: str, key: str) -> Attribute:
        return self.get(comparison__slug=comparison_slug, key=key)


class Attribute(models.Model):
    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="attributes")
    key = models.SlugField(max_length=60)
    name = models.CharField(max_length=120, help_text="Row label, e.g. 'Muscle tone'")
    question = models.CharField(
        max_length=200, help_text="Read after 'UMN — ', e.g. 'muscle tone after a lesion'"
    )
    group = models.CharField(max_length=20, choices=Group.choices)
    order = models.PositiveIntegerField(default=0)
    article_row = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Row of the seed article's table this row replaces"
    )

    objects = AttributeQuerySet.as_manager()

    class Meta:
        ordering = ["comparison", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["comparison", "key"], name="attribute_key_unique")
        ]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str, str]:
        return (*self.comparison.natural_key(), self.key)

    natural_key.dependencies = ["study.comparison"]


class FactQuerySet(models.QuerySet):
    def get_by_natural_key(self, comparison_slug: str, attribute_key: str, side: str) -> Fact:
        return self.get(
            attribute__comparison__slug=comparison_slug, attribute__key=attribute_key, side=side
        )


class Fact(models.Model):
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="facts")
    side = models.CharField(max_length=5, choices=Side.choices)
    text = models.TextField()
    source = models.TextField(help_text="Where this fact comes from (required)")
    corrected = models.BooleanField(
        default=False, help_text="Corrects a wrong, garbled or vague statement of the seed article"
    )
    original_text = models.TextField(blank=True, help_text="The article's wording, if corrected")

    objects = FactQuerySet.as_manager()

    class Meta:
        ordering = ["attribute", "side"]
        constraints = [
            models.UniqueConstraint(fields=["attribute", "side"], name="fact_side_unique"),
            models.CheckConstraint(condition=~models.Q(source=""), name="fact_has_source"),
        ]

    def __str__(self) -> str:
        return f"{self.attribute} ({self.get_side_display()})"

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.attribute.natural_key(), self.side)

    natural_key.dependencies = ["study.attribute"]


class VignetteQuerySet(models.QuerySet):
    def get_by_natural_key(self, comparison_slug: str, key: str) -> Vignette:
        return self.get(comparison__slug=comparison_slug, key=key)


class Vignette(models.Model):
    """A statement or clinical vignette answered by choice (UMN / LMN / Both, or True / False)."""

    comparison = models.ForeignKey(Comparison, on_delete=models.CASCADE, related_name="vignettes")
    key = models.SlugField(max_length=60)
    prompt = models.TextField()
    choices = models.JSONField(default=list)
    answer = models.CharField(max_length=40)
    explanation = models.TextField()
    source = models.TextField()
    order = models.PositiveIntegerField(default=0)
    article_row = models.PositiveSmallIntegerField(null=True, blank=True)
    corrected = models.BooleanField(default=False)
    original_text = models.TextField(blank=True)

    objects = VignetteQuerySet.as_manager()

    class Meta:
        ordering = ["comparison", "order", "key"]
        constraints = [
            models.UniqueConstraint(fields=["comparison", "key"], name="vignette_key_unique"),
            models.CheckConstraint(condition=~models.Q(source=""), name="vignette_has_source"),
        ]

    def __str__(self) -> str:
        return self.prompt[:80]

    def natural_key(self) -> tuple[str, str]:
        return (*self.comparison.natural_key(), self.key)

    natural_key.dependencies = ["study.comparison"]

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if not isinstance(self.choices, list) or len(self.choices) < 2:
            raise ValidationError({"choices": "Give at least two choices, as a JSON list."})
        if self.answer not in self.choices:
            raise ValidationError({"answer": "The answer must be one of the choices."})


class CardQuerySet(models.QuerySet):
    def get_by_natural_key(self, key: str) -> Card:
        return self.get(key=key)

    def active(self) -> CardQuerySet:
        return self.filter(retired=False)


class Card(models.Model):
    key = models.CharField(max_length=200, unique=True)
    comparison = models.ForeignKey(Comparison, on_delete=models.PROTECT, related_name="cards")
    attribute = models.ForeignKey(
        Attribute, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards"
    )
    vignette = models.ForeignKey(
        Vignette, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards"
    )
    group = models.CharField(max_length=20, choices=Group.choices)
    kind = models.CharField(max_length=10, choices=CardKind.choices)
    side = models.CharField(max_length=5, choices=Side.choices, blank=True)
    front = models.TextField()
    back = models.TextField()
    choices = models.JSONField(default=list, blank=True)
    answer = models.CharField(max_length=40, blank=True)
    source = models.TextField()
    order = models.PositiveIntegerField(default=0)
    retired = models.BooleanField(default=False)

    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["order", "key"]

    def __str__(self) -> str:
        return self.front[:80]

    def natural_key(self) -> tuple[str]:
        return (self.key,)

    @property
    def is_identify(self) -> bool:
        return self.kind == CardKind.IDENTIFY

    @property
    def kind_label(self) -> str:
        """As `get_kind_display()`: the label, or the stored value if it has none."""
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def group_label(self) -> str:
        """As `get_group_display()`."""
        return GROUP_LABELS.get(self.group, self.group)

    @property
    def explanation(self) -> str:
        return self.vignette.explanation if self.vignette_id else ""


class DeckQuerySet(models.QuerySet):
    def get_by_natural_key(self, slug: str) -> Deck:
        return self.get(slug=slug)

    def visible_to(self, user) -> DeckQuerySet:
        """Shared decks (no owner), the user's own, and decks assigned to their classrooms."""
        from .classroom import Assignment  # classroom.py imports this module

        assigned = Assignment.objects.filter(
            deck=models.OuterRef("pk"), classroom__enrollments__user=user.pk
        )
        # Exists, not a join: one row per deck, so callers can annotate counts safely.
        return self.filter(
            models.Q(owner__isnull=True) | models.Q(owner=user.pk) | models.Exists(assigned)
        )

    def built(self) -> DeckQuerySet:
        """Decks with hand-picked membership, minus the private row-study decks."""
        return self.filter(groups=[]).exclude(slug__regex=r"^row-[0-9]+-[0-9]+$")

    def editable_by(self, user) -> DeckQuerySet:
        """Decks the deck builder may change: admins any built deck, instructors their own."""
        if user.is_staff:
            return self.built()
        return self.built().filter(owner=user.pk)

    def assignable_by(self, user) -> DeckQuerySet:
        """Shared decks plus the decks this user built (never someone's private row deck)."""
        return self.filter(owner__isnull=True) | self.editable_by(user)


class Deck(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    comparison = models.ForeignKey(
        Comparison, null=True, blank=True, on_delete=models.CASCADE, related_name="decks"
    )
    groups = models.JSONField(
        default=list, blank=True, help_text="Card groups this deck follows automatically"
    )
    order = models.PositiveIntegerField(default=0)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="owned_decks",
    )
    cards = models.ManyToManyField(Card, related_name="decks", blank=True)

    objects = DeckQuerySet.as_manager()

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def is_visible_to(self, user) -> bool:
        """Same rule as `DeckQuerySet.visible_to`, answered without a query for the common
        cases (shared or own deck): the study loop asks it on every request."""
        if self.owner_id is None or self.owner_id == user.pk:
            return True
        return Deck.objects.visible_to(user).filter(pk=self.pk).exists()

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    def sync_cards(self) -> None:
        """Make membership follow `groups`: every active card of those groups, nothing else."""
        if not self.comparison_id:
            return
        wanted = Card.objects.active().filter(comparison=self.comparison_id, group__in=self.groups)
        self.cards.set(wanted)


class ContentStamp(models.Model):
    """One row whose value changes whenever study content changes (see study/catalog.py).

    Signals bump it inside the writer's transaction, and every request reads it with its
    user row, so each worker process knows when its cached content is out of date.
    """

    stamp = models.BigIntegerField()

    ROW = 1

    def __str__(self) -> str:
        return f"content stamp {self.stamp}"

    @classmethod
    def bump(cls) -> None:
        # Random rather than +1: after a rolled-back change, the next change must not
        # reuse the stamp that the rolled-back content may already be cached under.
        stamp = secrets.randbits(62)
        if not cls.objects.filter(pk=cls.ROW).update(stamp=stamp):
            cls.objects.create(pk=cls.ROW, stamp=stamp)
