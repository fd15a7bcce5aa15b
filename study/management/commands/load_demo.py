import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from study import scheduling
from study.models import (
    INSTRUCTORS,
    Assignment,
    Classroom,
    Deck,
    Enrollment,
    Rating,
    ReviewLog,
    State,
)

DEMO_PASSWORD = "motorneuron"
DEMO_LEARNERS = ["learner", "amira", "ben", "chen", "dana", "eli"]


class Command(BaseCommand):
    help = (
        "Create the demo accounts (password 'motorneuron') and a demo classroom with "
        "simulated history. Idempotent."
    )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        instructors, _ = Group.objects.get_or_create(name=INSTRUCTORS)
        created = []

        def ensure(username: str, **flags) -> object:
            user, was_created = User.objects.get_or_create(username=username, defaults=flags)
            if was_created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
                created.append(username)
            return user

        for username in DEMO_LEARNERS:
            ensure(username)
        instructor = ensure("instructor")
        instructor.groups.add(instructors)
        ensure("admin", is_staff=True, is_superuser=True)
        names = ", ".join(created) or "none"
        self.stdout.write(f"Demo accounts ready (password '{DEMO_PASSWORD}'); created: {names}.")
        self.demo_classroom(instructor, [User.objects.get(username=u) for u in DEMO_LEARNERS])

    def demo_classroom(self, instructor, learners: list) -> None:
        """A class, an assignment and a few weeks of history: a meaningful first dashboard."""
        deck = Deck.objects.filter(slug=DEMO_DECK).first()
        if deck is None:
            self.stdout.write("No demo classroom: load fixtures/motor_neurons.json first.")
            return
        now = timezone.now()
        started = now - timedelta(days=HISTORY_DAYS)
        classroom, created = Classroom.objects.get_or_create(owner=instructor, name=DEMO_CLASSROOM)
        if created:
            Classroom.objects.filter(pk=classroom.pk).update(created_at=started)
        assignment, created = Assignment.objects.get_or_create(
            classroom=classroom,
            deck=deck,
            defaults={"due_date": timezone.localdate() + timedelta(days=DUE_IN_DAYS)},
        )
        if created:
            Assignment.objects.filter(pk=assignment.pk).update(created_at=started)
        for learner in learners:
            Enrollment.objects.get_or_create(classroom=classroom, user=learner)
        reviews = 0
        for learner in learners:
            habit = HABITS.get(learner.username)
            # Never touch a real history: only learners who have not reviewed anything yet.
            if habit is None or ReviewLog.objects.filter(user=learner).exists():
                continue
            reviews += simulate(learner=learner, deck=deck, habit=habit, start=started, now=now)
        self.stdout.write(
            f"Demo classroom “{classroom}” (join code {classroom.join_code}) ready; "
            f"{reviews} simulated reviews added."
        )


DEMO_CLASSROOM = "Neuro 101 (demo)"
DEMO_DECK = "lesion-signs"
HISTORY_DAYS = 21
DUE_IN_DAYS = 10
MAX_SESSION_REVIEWS = 400  # a guard: a session always ends


@dataclass(frozen=True)
class Habit:
    """How a simulated learner studies: chance of a session per day, new cards per session."""

    study_chance: float
    new_per_session: int
    recall_bonus: float  # added to the predicted recall when drawing success
    stops_days_ago: int = 0  # the last this many days without any session


# Varied on purpose: two on track or done, one slower, one behind (stopped), one not started.
HABITS = {
    "amira": Habit(study_chance=0.95, new_per_session=9, recall_bonus=0.05),
    "ben": Habit(study_chance=0.75, new_per_session=5, recall_bonus=-0.03),
    "dana": Habit(study_chance=0.7, new_per_session=3, recall_bonus=-0.05),
    "learner": Habit(study_chance=0.6, new_per_session=3, recall_bonus=0.0),
    "chen": Habit(study_chance=0.9, new_per_session=3, recall_bonus=-0.1, stops_days_ago=14),
    # eli: never studies
}


def simulate(*, learner, deck: Deck, habit: Habit, start: datetime, now: datetime) -> int:
    """Play study sessions through the real scheduler (`scheduling.review` at past times).

    Deterministic per learner: a seeded generator draws session times and answers, where the
    chance of remembering a review card is its predicted recall at that moment.
    """
    rng = random.Random(f"demo:{learner.username}")
    profile = learner.study_profile
    decay = scheduling.decay_for(profile)
    new_cards = list(deck.cards.active().order_by("order", "pk").values_list("pk", flat=True))
    states: dict[int, dict] = {}  # card id -> {"due", "state", "stability", "last", "version"}
    reviews = 0
    for days_ago in range(HISTORY_DAYS, habit.stops_days_ago, -1):
        if rng.random() > habit.study_chance:
            continue
        t = now - timedelta(days=days_ago, minutes=rng.randint(0, 180))
        new_left = habit.new_per_session
        for _ in range(MAX_SESSION_REVIEWS):
            # Review cards due by the end of this study evening, learning cards due now.
            due = [
                (s["due"], card_id)
                for card_id, s in states.items()
                if s["due"] <= (t if s["state"] != State.REVIEW else t + timedelta(hours=8))
            ]
            if due:
                card_id = min(due)[1]
            elif new_left and new_cards:
                card_id = new_cards.pop(0)
                new_left -= 1
            else:
                learning = [s["due"] for s in states.values() if s["state"] != State.REVIEW]
                soon = [d for d in learning if d <= t + timedelta(minutes=15)]
                if not soon:
                    break
                t = min(soon)  # wait for the next learning step
                continue
            state = states.get(card_id)
            log = scheduling.review(
                user=learner,
                profile=profile,
                card_id=card_id,
                rating=_answer(rng, state, t, decay, habit.recall_bonus),
                expected_version=state["version"] if state else 0,
                token=f"demo-{learner.pk}-{reviews}",
                now=t,
                duration_ms=rng.randint(3_000, 20_000),
            )
            reviews += 1
            after = log.after
            states[card_id] = {
                "due": parse_datetime(after["due"]),
                "state": after["state"],
                "stability": after["stability"],
                "last": t,
                "version": (state["version"] if state else 0) + 1,
            }
            t += timedelta(seconds=rng.randint(8, 40))
    return reviews


def _answer(rng: random.Random, state: dict | None, t: datetime, decay: float, bonus: float) -> int:
    if state is None or state["state"] != State.REVIEW:
        recall = 0.75 + bonus  # a new or learning card: mostly right
    else:
        recall = (
            scheduling.retrievability(
                stability=state["stability"], last_review=state["last"], now=t, decay=decay
            )
            + bonus
        )
    if rng.random() > recall:
        return Rating.AGAIN
    return rng.choices([Rating.HARD, Rating.GOOD, Rating.EASY], weights=[15, 75, 10])[0]
