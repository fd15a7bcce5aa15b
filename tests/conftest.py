import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from hypothesis import settings as hypothesis_settings
from model_bakery import baker

from study import scheduling
from study.models import Card, Deck, ReviewLog, ReviewState

# CI replays the same examples every run (a failure there is reproducible, not a dice roll);
# local runs keep exploring new ones.
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    hypothesis_settings.load_profile("ci")

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "fixtures" / "motor_neurons.json"
PASSWORD = "correct-horse-battery-staple"
ON_POSTGRES = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def postgres_only(what: str) -> pytest.MarkDecorator:
    """Skip, saying why, unless the suite runs on PostgreSQL (CI's second pass)."""
    return pytest.mark.skipif(
        not ON_POSTGRES,
        reason=f"needs PostgreSQL ({what}): runs in CI's PostgreSQL pass, DATABASE_URL=postgres://…",
    )


@pytest.fixture
def content(db) -> None:
    """The real content fixture (comparison, facts, generated cards, decks)."""
    if not Card.objects.exists():
        call_command("loaddata", str(FIXTURE), verbosity=0)


@pytest.fixture
def deck(content) -> Deck:
    return Deck.objects.get(slug="all")


def make_user(username: str, **extra):
    user = baker.make("auth.User", username=username, **extra)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def learner(db):
    return make_user("lena")


@pytest.fixture
def other_learner(db):
    return make_user("otto")


@pytest.fixture
def instructor(db):
    user = make_user("ines")
    user.groups.add(Group.objects.get_or_create(name="Instructors")[0])
    return user


@pytest.fixture
def admin_user(db):
    return make_user("ada", is_staff=True, is_superuser=True)


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def answer(user, card, rating, now, token=None) -> ReviewLog:
    """Review `card` as the study screen would: at the version the learner was shown."""
    state = ReviewState.objects.filter(user=user, card=card).first()
    return scheduling.review(
        user=user,
        profile=user.study_profile,
        card_id=card.pk,
        rating=rating,
        expected_version=state.version if state else 0,
        token=token or f"t-{now.timestamp()}-{rating}",
        now=now,
    )
