"""Dashboard figures on a constructed history at a pinned time.

With FSRS, predicted recall is exactly 0.9 when the time since the last review equals the
stability, and 1.0 right after a review: known states give known figures.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.template import Context, Template
from model_bakery import baker

from study import progress, scheduling
from study.models import Assignment, Card, Classroom, Deck, Enrollment, ReviewLog, StudyProfile
from study.progress import Status

NOW = datetime(2030, 3, 10, 12, 0, tzinfo=UTC)
CREATED = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)
DUE = date(2030, 3, 20)  # ends 2030-03-21 00:00 UTC: 9 of 19.5 days elapsed at NOW (46 %)


@pytest.fixture
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cards(content) -> list[Card]:
    """Four lesion-sign cards, each from a different attribute."""
    picked, seen = [], set()
    for card in Card.objects.active().filter(group="lesion_signs", attribute__isnull=False):
        if card.attribute_id not in seen:
            picked.append(card)
            seen.add(card.attribute_id)
        if len(picked) == 4:
            break
    return picked


@pytest.fixture
def assignment(cards, instructor) -> Assignment:
    deck = Deck.objects.create(slug="mini", name="Mini")
    deck.cards.set(cards)
    classroom = Classroom.objects.create(owner=instructor, name="Neuro")
    assignment = Assignment.objects.create(classroom=classroom, deck=deck, due_date=DUE)
    Assignment.objects.filter(pk=assignment.pk).update(created_at=CREATED)
    assignment.refresh_from_db()
    return assignment


def enrol(assignment: Assignment, username: str):
    user = baker.make("auth.User", username=username)
    Enrollment.objects.create(classroom=assignment.classroom, user=user)
    return user


def remember(user, card: Card, *, stability: float, days_ago: float) -> None:
    baker.make(
        "study.ReviewState",
        user=user,
        card=card,
        state=2,
        stability=stability,
        difficulty=5.0,
        last_review=NOW - timedelta(days=days_ago),
        due=NOW + timedelta(days=1),
    )


def cell_of(assignment: Assignment, user) -> progress.Cell:
    dashboard = progress.classroom_dashboard(classroom=assignment.classroom, now=NOW)
    row = next(row for row in dashboard.rows if row.learner == user)
    return row.cell_for(assignment.pk)


def test_recall_is_nine_tenths_when_elapsed_time_equals_stability(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    for card in cards[:2]:
        remember(user, card, stability=10, days_ago=10)
    cell = cell_of(assignment, user)
    assert cell.started == 2
    assert cell.total == 4
    assert cell.mean_recall == pytest.approx(0.9)


def test_mean_recall_averages_started_cards_only(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    remember(user, cards[0], stability=10, days_ago=10)  # 0.9
    remember(user, cards[1], stability=10, days_ago=0)  # 1.0
    assert cell_of(assignment, user).mean_recall == pytest.approx(0.95)


def test_recall_uses_the_learners_own_decay(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    parameters = list(scheduling.DEFAULT_PARAMETERS)
    parameters[20] = 0.5
    StudyProfile.objects.filter(user=user).update(parameters=parameters)
    remember(user, cards[0], stability=10, days_ago=30)
    expected = scheduling.retrievability(
        stability=10, last_review=NOW - timedelta(days=30), now=NOW, decay=0.5
    )
    assert cell_of(assignment, user).mean_recall == pytest.approx(expected)
    assert expected != pytest.approx(
        scheduling.retrievability(
            stability=10,
            last_review=NOW - timedelta(days=30),
            now=NOW,
            decay=scheduling.DEFAULT_PARAMETERS[20],
        )
    )


def test_a_review_stamped_in_the_future_counts_as_just_now(assignment, cards, pinned):
    """A clock ahead of the database's: recall is clamped at 1, never above."""
    user = enrol(assignment, "bob")
    remember(user, cards[0], stability=10, days_ago=-2)
    cell = cell_of(assignment, user)
    assert cell.mean_recall == 1.0
    assert cell.recall_at_due == pytest.approx(
        scheduling.retrievability(
            stability=10,
            last_review=NOW,
            now=progress.due_moment(DUE),
            decay=scheduling.DEFAULT_PARAMETERS[20],
        )
        / len(cards)
    )


def test_a_state_without_a_review_time_is_started_with_no_recall(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    remember(user, cards[0], stability=10, days_ago=0)
    baker.make(
        "study.ReviewState", user=user, card=cards[1], state=1, stability=None,
        last_review=None, due=NOW,
    )  # fmt: skip
    cell = cell_of(assignment, user)
    assert cell.started == 2
    assert cell.mean_recall == pytest.approx(0.5)


def test_retired_cards_count_neither_in_the_deck_nor_as_started(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    for card in cards[:2]:
        remember(user, card, stability=10, days_ago=10)
    Card.objects.filter(pk=cards[0].pk).update(retired=True)
    cell = cell_of(assignment, user)
    assert (cell.started, cell.total) == (1, len(cards) - 1)


def test_every_card_started_with_lasting_memory_is_done(assignment, cards, pinned):
    user = enrol(assignment, "amy")
    for card in cards:
        remember(user, card, stability=100, days_ago=100)  # 0.9 now, ~0.89 on the due date
    cell = cell_of(assignment, user)
    assert cell.recall_at_due > assignment.target_recall
    assert cell.status == Status.DONE


def test_every_card_started_but_fading_before_the_due_date_is_on_track(assignment, cards, pinned):
    user = enrol(assignment, "eve")
    for card in cards:
        remember(user, card, stability=1, days_ago=1)  # 0.9 now, far lower in 10.5 days
    cell = cell_of(assignment, user)
    assert cell.mean_recall == pytest.approx(0.9)
    assert cell.recall_at_due < assignment.target_recall
    assert cell.status == Status.ON_TRACK


def test_started_share_above_elapsed_share_is_on_track(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    for card in cards[:2]:  # 50 % started, 46 % of the time used
        remember(user, card, stability=10, days_ago=1)
    assert cell_of(assignment, user).status == Status.ON_TRACK


def test_started_share_below_elapsed_share_is_behind(assignment, cards, pinned):
    user = enrol(assignment, "cat")
    remember(user, cards[0], stability=10, days_ago=1)  # 25 % started, 46 % of the time used
    assert cell_of(assignment, user).status == Status.BEHIND


def test_nothing_started_is_not_started(assignment, pinned):
    user = enrol(assignment, "dan")
    cell = cell_of(assignment, user)
    assert cell.status == Status.NOT_STARTED
    assert cell.mean_recall is None


def test_past_due_and_not_done_is_behind_and_overdue(assignment, cards):
    user = enrol(assignment, "eve")
    for card in cards:
        remember(user, card, stability=1, days_ago=1)
    later = datetime(2030, 3, 21, 0, 0, tzinfo=UTC)  # the due date just ended
    dashboard = progress.classroom_dashboard(classroom=assignment.classroom, now=later)
    cell = dashboard.rows[0].cell_for(assignment.pk)
    assert cell.status == Status.BEHIND
    assert cell.overdue


def test_reviews_are_counted_over_the_last_seven_days_only(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    remember(user, cards[0], stability=10, days_ago=1)
    for n, days_ago in enumerate([0.5, 3, 6.9, 7.5, 20]):
        baker.make(
            ReviewLog,
            user=user,
            card=cards[0],
            rating=3,
            kind=2,
            after={},
            reviewed_at=NOW - timedelta(days=days_ago),
            token=f"t{n}",
        )
    assert cell_of(assignment, user).reviews_recent == 3


def test_reviews_of_cards_outside_the_deck_are_not_counted(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    outside = Card.objects.exclude(pk__in=[c.pk for c in cards]).first()
    baker.make(
        ReviewLog,
        user=user,
        card=outside,
        rating=3,
        kind=0,
        after={},
        reviewed_at=NOW - timedelta(hours=1),
        token="x",
    )
    remember(user, outside, stability=10, days_ago=0)
    cell = cell_of(assignment, user)
    assert (cell.started, cell.reviews_recent) == (0, 0)


def test_learner_without_review_for_three_days_is_flagged(assignment, cards, pinned):
    idle = enrol(assignment, "idle")
    busy = enrol(assignment, "busy")
    remember(idle, cards[0], stability=10, days_ago=3.5)
    remember(busy, cards[0], stability=10, days_ago=2)
    rows = {
        row.learner.username: row
        for row in progress.classroom_dashboard(classroom=assignment.classroom, now=NOW).rows
    }
    assert rows["idle"].inactive
    assert not rows["busy"].inactive
    assert rows["busy"].last_review == NOW - timedelta(days=2)


def test_decks_sharing_cards_and_due_dates_each_get_their_own_figures(cards, instructor, pinned):
    """Recall is evaluated once per card and moment, whichever decks and due dates share it."""
    classroom = Classroom.objects.create(owner=instructor, name="Shared")
    decks = {"every": cards, "two": cards[:2], "rest": cards[2:]}
    due_dates = {"every": DUE, "two": DUE, "rest": date(2030, 3, 5)}  # "rest" is past due
    for slug, deck_cards in decks.items():
        deck = Deck.objects.create(slug=slug, name=slug)
        deck.cards.set(deck_cards)
        Assignment.objects.create(classroom=classroom, deck=deck, due_date=due_dates[slug])
    user = baker.make("auth.User", username="bob")
    Enrollment.objects.create(classroom=classroom, user=user)
    memories = {cards[0]: (10, 10), cards[1]: (2, 0.5), cards[2]: (30, 40)}  # stability, days
    for card, (stability, days_ago) in memories.items():
        remember(user, card, stability=stability, days_ago=days_ago)
    decay = scheduling.DEFAULT_PARAMETERS[20]

    def recall(card, at):
        stability, days_ago = memories[card]
        return scheduling.retrievability(
            stability=stability, last_review=NOW - timedelta(days=days_ago), now=at, decay=decay
        )

    (row,) = progress.classroom_dashboard(classroom=classroom, now=NOW).rows
    for cell in row.cells:
        slug = cell.assignment.deck.slug
        started = [card for card in decks[slug] if card in memories]
        at_due = max(NOW, progress.due_moment(due_dates[slug]))
        assert cell.started == len(started)
        assert cell.mean_recall == pytest.approx(
            sum(recall(c, NOW) for c in started) / len(started)
        )
        assert cell.recall_at_due == pytest.approx(
            sum(recall(c, at_due) for c in started) / len(decks[slug])
        )
    assert row.last_review == NOW - timedelta(days=0.5)


def test_weak_spots_list_the_attributes_remembered_worst_first(assignment, cards, pinned):
    one, two = enrol(assignment, "one"), enrol(assignment, "two")
    remember(one, cards[0], stability=10, days_ago=10)  # 0.9
    remember(two, cards[0], stability=10, days_ago=0)  # 1.0
    remember(one, cards[1], stability=1, days_ago=30)  # low
    remember(one, cards[2], stability=10, days_ago=0)  # 1.0
    dashboard = progress.classroom_dashboard(classroom=assignment.classroom, now=NOW)
    spots = dashboard.weak_spots[assignment.pk]
    assert [spot.name for spot in spots] == [
        cards[1].attribute.name,
        cards[0].attribute.name,
        cards[2].attribute.name,
    ]
    assert spots[1].mean_recall == pytest.approx(0.95)
    assert spots[1].samples == 2


@pytest.mark.parametrize(
    "name", ['Tone "clasp-knife", rigid', "Réflexes ostéo-tendineux", "O'Brien \\ [1]", "{a,b}"]
)
def test_weak_spot_names_come_back_as_written(assignment, cards, pinned, name):
    # Attribute names travel into the dashboard query as literal rows (JSON): quotes,
    # commas, braces, backslashes and accents must come back unchanged.
    attribute = cards[0].attribute
    attribute.name = name
    attribute.save()
    remember(enrol(assignment, "one"), cards[0], stability=10, days_ago=10)
    dashboard = progress.classroom_dashboard(classroom=assignment.classroom, now=NOW)
    (spot,) = dashboard.weak_spots[assignment.pk]
    assert (spot.name, spot.samples) == (name, 1)
    assert spot.mean_recall == pytest.approx(0.9)


def test_learner_cards_show_only_the_assignment_deck(assignment, cards, pinned):
    user = enrol(assignment, "bob")
    remember(user, cards[0], stability=10, days_ago=10)
    outside = Card.objects.exclude(pk__in=[c.pk for c in cards]).first()
    remember(user, outside, stability=10, days_ago=10)
    items = progress.learner_cards(user=user, assignment=assignment, now=NOW)
    assert {item.card.pk for item in items} == {c.pk for c in cards}
    started = [item for item in items if item.state is not None]
    assert [item.card.pk for item in started] == [cards[0].pk]
    assert started[0].recall == pytest.approx(0.9)


def test_learner_assignments_skip_archived_classrooms(assignment, pinned):
    user = enrol(assignment, "bob")
    assert [c.assignment for c in progress.learner_assignments(user=user, now=NOW)] == [assignment]
    Classroom.objects.filter(pk=assignment.classroom_id).update(archived=True)
    assert progress.learner_assignments(user=user, now=NOW) == []


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (CREATED - timedelta(days=1), 0.0),
        (CREATED, 0.0),
        (datetime(2030, 3, 11, 6, 0, tzinfo=UTC), 0.5),
        (datetime(2030, 4, 1, tzinfo=UTC), 1.0),
    ],
)
def test_elapsed_fraction_is_clamped_share_of_the_window(now, expected):
    due_at = progress.due_moment(DUE)
    assert progress.elapsed_fraction(created_at=CREATED, due_at=due_at, now=now) == pytest.approx(
        expected
    )


def test_due_moment_is_the_end_of_the_due_date():
    assert progress.due_moment(DUE) == datetime(2030, 3, 21, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reviews", "mean_recall"),
    [(0, None), (1, 0.9), (2, 0.845), (1, 0.855), (12, 0.004), (3, 0.99999), (1, 1.0)],
)
def test_cell_figures_read_as_the_template_filters_printed_them(reviews, mean_recall):
    cell = progress.Cell(
        assignment=Assignment(),
        started=3,
        total=45,
        reviews_recent=reviews,
        mean_recall=mean_recall,
        recall_at_due=0.0,
        status=Status.BEHIND,
        overdue=False,
    )
    template = Template(
        "{{ cell.started }}/{{ cell.total }} started · {{ cell.reviews_recent }} "
        "review{{ cell.reviews_recent|pluralize }} ({{ recent_days }} d) · recall "
        "{% if cell.mean_recall is None %}—{% else %}{% widthratio cell.mean_recall 1 100 %} %"
        "{% endif %}"
    )
    context = Context({"cell": cell, "recent_days": progress.RECENT_DAYS})
    assert cell.figures == template.render(context)


def test_dashboard_reads_assignments_and_learners_as_the_orm_would(
    cards, instructor, pinned, django_assert_num_queries
):
    """The dashboard's two hand-written reads (`progress._dashboard_queries`) give the rows,
    order and instances of `classroom.assignments.select_related("deck")` and of the
    classroom's learners with only their usernames and their FSRS parameters."""
    classroom = Classroom.objects.create(owner=instructor, name="Neuro")
    for slug, due in (("late", date(2030, 4, 1)), ("soon", DUE), ("also", DUE)):
        deck = Deck.objects.create(slug=slug, name=f"<{slug}>", description=f"{slug} & more")
        deck.cards.set(cards)
        Assignment.objects.create(classroom=classroom, deck=deck, due_date=due, target_recall=0.7)
    own, plain, bare = (baker.make("auth.User", username=name) for name in ("zed", "amy", "bo"))
    StudyProfile.objects.filter(user=own).update(parameters=list(scheduling.DEFAULT_PARAMETERS))
    StudyProfile.objects.filter(user=bare).delete()
    for user in (own, plain, bare):
        Enrollment.objects.create(classroom=classroom, user=user)
    baker.make("auth.User", username="elsewhere")  # not enrolled: not a learner here

    with django_assert_num_queries(2):
        assignments, learners = progress._assignments_and_learners(classroom)

    expected = list(classroom.assignments.select_related("deck"))
    assert [a.deck.slug for a in expected] == ["soon", "also", "late"]  # due date, then id
    assert assignments == expected

    def values(instance):
        return [getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields]

    with django_assert_num_queries(0):  # each deck came with its assignment
        assert [(values(a), values(a.deck)) for a in assignments] == [
            (values(a), values(a.deck)) for a in expected
        ]
    assert [(u.pk, u.username, u.fsrs_parameters) for u in learners] == [
        (own.pk, "zed", list(scheduling.DEFAULT_PARAMETERS)),
        (plain.pk, "amy", []),
        (bare.pk, "bo", None),
    ]
    only_username = list(type(own).objects.filter(pk=own.pk).only("username"))[0]
    assert learners[0].get_deferred_fields() == only_username.get_deferred_fields()
