"""Classrooms: create and manage, assign decks, join and leave, dashboard, gradebook."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.management import call_command
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from study import progress, scheduling
from study.models import Assignment, Card, Classroom, Deck, Enrollment, ReviewLog, ReviewState
from study.models.classroom import JOIN_CODE_ALPHABET
from study.views.classrooms import JOIN_ATTEMPTS, spreadsheet_safe


@pytest.fixture(autouse=True)
def fresh_cache():
    # The join rate limit lives in the cache; user ids repeat across rolled-back tests.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def classroom(instructor) -> Classroom:
    return Classroom.objects.create(owner=instructor, name="Neuro 101")


@pytest.fixture
def assignment(classroom, content) -> Assignment:
    return Assignment.objects.create(
        classroom=classroom,
        deck=Deck.objects.get(slug="lesion-signs"),
        due_date=timezone.localdate() + timedelta(days=10),
    )


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


def in_future(days: int = 10) -> str:
    return (timezone.localdate() + timedelta(days=days)).isoformat()


# --- classrooms ----------------------------------------------------------------------


def test_instructor_creates_a_classroom_with_a_join_code(instructor_client, instructor):
    response = instructor_client.post(reverse("study:classroom_create"), {"name": "Neuro 101"})
    classroom = Classroom.objects.get(owner=instructor)
    assert response.status_code == 302
    assert response["Location"] == reverse("study:classroom", args=[classroom.pk])
    assert len(classroom.join_code) == 8
    assert set(classroom.join_code) <= set(JOIN_CODE_ALPHABET)


def test_classroom_name_is_required(instructor_client):
    response = instructor_client.post(reverse("study:classroom_create"), {"name": "  "})
    assert response.status_code == 400
    assert not Classroom.objects.exists()


def test_double_submitted_classroom_is_created_once(instructor_client, instructor):
    url = reverse("study:classroom_create")
    instructor_client.post(url, {"name": "Neuro 101"})
    response = instructor_client.post(url, {"name": "Neuro 101"})
    assert response.status_code == 400
    assert b"already have an active classroom" in response.content
    assert Classroom.objects.filter(owner=instructor).count() == 1


def test_instructor_renames_a_classroom(instructor_client, classroom):
    url = reverse("study:classroom_edit", args=[classroom.pk])
    instructor_client.post(url, {"name": "Neuro 102"})
    classroom.refresh_from_db()
    assert classroom.name == "Neuro 102"


def test_archiving_is_explicit_so_a_double_submit_does_not_toggle_back(
    instructor_client, classroom
):
    url = reverse("study:classroom_archive", args=[classroom.pk])
    instructor_client.post(url, {"archived": "1"})
    instructor_client.post(url, {"archived": "1"})
    classroom.refresh_from_db()
    assert classroom.archived
    instructor_client.post(url, {"archived": "0"})
    classroom.refresh_from_db()
    assert not classroom.archived


def test_regenerating_the_join_code_retires_the_old_one(instructor_client, classroom, learner):
    old = classroom.join_code
    instructor_client.post(reverse("study:classroom_code", args=[classroom.pk]))
    classroom.refresh_from_db()
    assert classroom.join_code != old
    assert set(classroom.join_code) <= set(JOIN_CODE_ALPHABET)
    instructor_client.force_login(learner)
    response = instructor_client.post(reverse("study:classroom_join"), {"code": old})
    assert response.status_code == 400


def test_dashboard_shows_the_join_code_and_link(instructor_client, classroom):
    response = instructor_client.get(reverse("study:classroom", args=[classroom.pk]))
    assert classroom.join_code in response.text
    assert f"http://testserver/join/{classroom.join_code}/" in response.text


def test_dashboard_of_an_assigned_deck_before_anyone_joined(
    instructor_client, classroom, assignment
):
    response = instructor_client.get(reverse("study:classroom", args=[classroom.pk]))
    assert response.status_code == 200
    assert "No learners yet. Share the join code." in response.text
    assert "Nobody has started this deck yet." in response.text


def test_dashboard_of_learners_without_assignments(instructor_client, classroom, learner):
    Enrollment.objects.create(classroom=classroom, user=learner)
    response = instructor_client.get(reverse("study:classroom", args=[classroom.pk]))
    assert response.status_code == 200
    assert "No deck assigned yet." in response.text
    assert f'<th scope="row">{learner.username}</th>' in response.text


# --- assignments ---------------------------------------------------------------------


def assign(client, classroom, **data):
    deck = Deck.objects.get(slug="lesion-signs")
    payload = {"deck": deck.pk, "due_date": in_future(), "target_percent": "80"} | data
    return client.post(reverse("study:assignment_create", args=[classroom.pk]), payload)


def test_instructor_assigns_a_deck_with_due_date_and_target(instructor_client, classroom, content):
    response = assign(instructor_client, classroom, target_percent="85")
    assert response.status_code == 302
    assignment = Assignment.objects.get(classroom=classroom)
    assert assignment.deck.slug == "lesion-signs"
    assert assignment.due_date.isoformat() == in_future()
    assert assignment.target_recall == pytest.approx(0.85)


def test_target_defaults_to_eighty_percent(instructor_client, classroom, content):
    response = instructor_client.get(reverse("study:assignment_create", args=[classroom.pk]))
    assert 'name="target_percent" value="80"' in response.text


def test_due_date_in_the_past_is_rejected(instructor_client, classroom, content):
    response = assign(instructor_client, classroom, due_date=in_future(-1))
    assert response.status_code == 400
    assert "cannot be in the past" in response.text
    assert not Assignment.objects.exists()


def test_malformed_due_date_is_rejected(instructor_client, classroom, content):
    response = assign(instructor_client, classroom, due_date="31/02/2030")
    assert response.status_code == 400
    assert "Enter the due date as YYYY-MM-DD" in response.text
    assert not Assignment.objects.exists()


def test_deck_not_visible_to_the_instructor_is_rejected(instructor_client, classroom, content):
    private = Deck.objects.create(slug="private", name="Private", owner=baker.make("auth.User"))
    response = assign(instructor_client, classroom, deck=private.pk)
    assert response.status_code == 400
    assert "that deck is not available" in response.text
    assert not Assignment.objects.exists()


def test_target_outside_the_allowed_range_is_rejected(instructor_client, classroom, content):
    response = assign(instructor_client, classroom, target_percent="100")
    assert response.status_code == 400
    assert not Assignment.objects.exists()


def test_assigning_to_a_foreign_classroom_id_is_404(instructor_client, content):
    foreign = Classroom.objects.create(owner=baker.make("auth.User"), name="Foreign")
    response = assign(instructor_client, foreign)
    assert response.status_code == 404
    assert not Assignment.objects.exists()


def test_assigning_the_same_deck_twice_is_rejected(instructor_client, classroom, content):
    assign(instructor_client, classroom)
    response = assign(instructor_client, classroom)
    assert response.status_code == 400
    assert "already assigned" in response.text
    assert Assignment.objects.count() == 1


def test_instructor_edits_an_assignment(instructor_client, classroom, assignment):
    url = reverse("study:assignment_edit", args=[classroom.pk, assignment.pk])
    response = instructor_client.post(
        url, {"deck": assignment.deck_id, "due_date": in_future(20), "target_percent": "90"}
    )
    assert response.status_code == 302
    assignment.refresh_from_db()
    assert assignment.due_date.isoformat() == in_future(20)
    assert assignment.target_recall == pytest.approx(0.9)


def test_editing_an_overdue_assignment_may_keep_its_past_due_date(
    instructor_client, classroom, assignment
):
    Assignment.objects.filter(pk=assignment.pk).update(
        due_date=timezone.localdate() - timedelta(days=3)
    )
    assignment.refresh_from_db()
    url = reverse("study:assignment_edit", args=[classroom.pk, assignment.pk])
    response = instructor_client.post(
        url,
        {
            "deck": assignment.deck_id,
            "due_date": assignment.due_date.isoformat(),
            "target_percent": "70",
        },
    )
    assert response.status_code == 302


def test_removing_an_assignment_keeps_review_history(
    instructor_client, classroom, assignment, learner
):
    card = assignment.deck.cards.first()
    baker.make(ReviewLog, user=learner, card=card, rating=3, kind=0, after={}, token="t")
    url = reverse("study:assignment_delete", args=[classroom.pk, assignment.pk])
    instructor_client.post(url)
    assert not Assignment.objects.exists()
    assert ReviewLog.objects.filter(user=learner).count() == 1


# --- roster ----------------------------------------------------------------------------


def test_roster_lists_enrolled_learners(instructor_client, classroom, learner):
    Enrollment.objects.create(classroom=classroom, user=learner)
    response = instructor_client.get(reverse("study:classroom_roster", args=[classroom.pk]))
    assert learner.username in response.text


def test_removing_a_learner_keeps_their_review_logs(
    instructor_client, classroom, assignment, learner
):
    Enrollment.objects.create(classroom=classroom, user=learner)
    card = assignment.deck.cards.first()
    baker.make(ReviewLog, user=learner, card=card, rating=3, kind=0, after={}, token="t")
    baker.make(ReviewState, user=learner, card=card, state=2, due=timezone.now())
    url = reverse("study:classroom_roster_remove", args=[classroom.pk, learner.pk])
    response = instructor_client.post(url)
    assert response.status_code == 302
    assert not Enrollment.objects.filter(user=learner).exists()
    assert ReviewLog.objects.filter(user=learner).count() == 1
    assert ReviewState.objects.filter(user=learner).count() == 1


# --- joining and leaving ----------------------------------------------------------------


def test_learner_joins_with_the_right_code(learner_client, classroom, learner):
    response = learner_client.post(reverse("study:classroom_join"), {"code": classroom.join_code})
    assert response.status_code == 302
    assert Enrollment.objects.filter(classroom=classroom, user=learner).exists()


def test_join_code_is_forgiving_about_case_spaces_and_dashes(learner_client, classroom, learner):
    code = classroom.join_code.lower()
    typed = f" {code[:4]}-{code[4:]} "
    learner_client.post(reverse("study:classroom_join"), {"code": typed})
    assert Enrollment.objects.filter(classroom=classroom, user=learner).exists()


def test_wrong_join_code_is_rejected_with_a_clear_message(learner_client, classroom, learner):
    response = learner_client.post(reverse("study:classroom_join"), {"code": "WRONGCOD"})
    assert response.status_code == 400
    assert "No open classroom has that join code" in response.text
    assert not Enrollment.objects.exists()


def test_joining_twice_is_a_no_op(learner_client, classroom, learner):
    url = reverse("study:classroom_join")
    learner_client.post(url, {"code": classroom.join_code})
    response = learner_client.post(url, {"code": classroom.join_code}, follow=True)
    assert Enrollment.objects.filter(user=learner).count() == 1
    assert "already in" in response.text


def test_archived_classroom_cannot_be_joined(learner_client, classroom):
    Classroom.objects.filter(pk=classroom.pk).update(archived=True)
    response = learner_client.post(reverse("study:classroom_join"), {"code": classroom.join_code})
    assert response.status_code == 400
    assert not Enrollment.objects.exists()


def test_join_attempts_are_rate_limited(learner_client, classroom, learner):
    url = reverse("study:classroom_join")
    for _ in range(JOIN_ATTEMPTS):
        assert learner_client.post(url, {"code": "WRONGCOD"}).status_code == 400
    response = learner_client.post(url, {"code": classroom.join_code})
    assert response.status_code == 429
    assert "Too many wrong join codes" in response.text
    assert not Enrollment.objects.exists()


def test_rate_limit_is_per_user(client, classroom, learner, other_learner):
    client.force_login(learner)
    for _ in range(JOIN_ATTEMPTS):
        client.post(reverse("study:classroom_join"), {"code": "WRONGCOD"})
    client.force_login(other_learner)
    response = client.post(reverse("study:classroom_join"), {"code": classroom.join_code})
    assert response.status_code == 302


def test_rate_limit_window_expires(learner_client, classroom, learner):
    start = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(JOIN_ATTEMPTS):
            learner_client.post(reverse("study:classroom_join"), {"code": "WRONGCOD"})
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        response = learner_client.post(
            reverse("study:classroom_join"), {"code": classroom.join_code}
        )
    assert response.status_code == 302


def test_join_link_shows_the_classroom_and_joins_on_post(learner_client, classroom, learner):
    url = reverse("study:join", args=[classroom.join_code])
    page = learner_client.get(url)
    assert page.status_code == 200
    assert "Neuro 101" in page.text
    assert not Enrollment.objects.exists()  # a GET never joins
    learner_client.post(url)
    assert Enrollment.objects.filter(classroom=classroom, user=learner).exists()


def test_wrong_join_link_is_404_with_a_message(learner_client, classroom):
    response = learner_client.get(reverse("study:join", args=["NOPENOPE"]))
    assert response.status_code == 404
    assert "No open classroom has that join code" in response.text


def test_wrong_join_links_count_toward_the_rate_limit(learner_client, classroom):
    for _ in range(JOIN_ATTEMPTS):
        learner_client.get(reverse("study:join", args=["NOPENOPE"]))
    response = learner_client.get(reverse("study:join", args=[classroom.join_code]))
    assert response.status_code == 429


def test_learner_leaves_a_classroom_and_keeps_history(learner_client, classroom, learner, content):
    Enrollment.objects.create(classroom=classroom, user=learner)
    baker.make(
        ReviewLog, user=learner, card=Card.objects.first(), rating=3, kind=0, after={}, token="t"
    )
    response = learner_client.post(reverse("study:classroom_leave", args=[classroom.pk]))
    assert response.status_code == 302
    assert not Enrollment.objects.exists()
    assert ReviewLog.objects.filter(user=learner).count() == 1


def test_leaving_a_classroom_you_are_not_in_is_404(learner_client, classroom):
    response = learner_client.post(reverse("study:classroom_leave", args=[classroom.pk]))
    assert response.status_code == 404


# --- home page ----------------------------------------------------------------------------


def test_home_shows_assigned_decks_first_with_due_date_and_study_button(
    learner_client, classroom, assignment, learner
):
    Enrollment.objects.create(classroom=classroom, user=learner)
    text = learner_client.get(reverse("study:home")).text
    assert text.index("Assigned to you") < text.index("All decks")
    assert assignment.due_date.strftime("%-d %b %Y") in text
    assert reverse("study:study", args=["lesion-signs"]) in text
    assert "0/45" in text
    assert "Not started" in text


def test_home_marks_overdue_assignments(learner_client, classroom, assignment, learner):
    Enrollment.objects.create(classroom=classroom, user=learner)
    Assignment.objects.filter(pk=assignment.pk).update(
        due_date=timezone.localdate() - timedelta(days=2)
    )
    text = learner_client.get(reverse("study:home")).text
    assert "assignment overdue" in text
    assert "Overdue:" in text


def test_home_without_classrooms_has_no_assigned_section(learner_client, content):
    assert "Assigned to you" not in learner_client.get(reverse("study:home")).text


# --- dashboard -------------------------------------------------------------------------------


def enrol_with_progress(classroom, deck, username: str, started: int, now):
    user = baker.make("auth.User", username=username)
    Enrollment.objects.create(classroom=classroom, user=user)
    cards = list(deck.cards.order_by("pk")[:started])
    ReviewState.objects.bulk_create(
        ReviewState(
            user=user,
            card=card,
            state=2,
            stability=10,
            difficulty=5,
            due=now + timedelta(days=3),
            last_review=now - timedelta(days=2),
            reps=2,
        )
        for card in cards
    )
    ReviewLog.objects.bulk_create(
        ReviewLog(
            user=user,
            card=card,
            rating=3,
            kind=2,
            after={},
            reviewed_at=now - timedelta(days=2),
            token=f"{username}-{card.pk}",
        )
        for card in cards
    )
    return user


def test_dashboard_shows_a_row_per_learner_and_a_column_per_assignment(
    instructor_client, classroom, assignment
):
    now = timezone.now()
    amy = enrol_with_progress(classroom, assignment.deck, "amy", 45, now)
    enrol_with_progress(classroom, assignment.deck, "bob", 0, now)
    enrol_with_progress(classroom, assignment.deck, "cat", 1, now)
    response = instructor_client.get(reverse("study:classroom", args=[classroom.pk]))
    text = response.text
    assert "amy" in text and "bob" in text
    recall = scheduling.retrievability(
        stability=10,
        last_review=now - timedelta(days=2),
        now=now,
        decay=scheduling.DEFAULT_PARAMETERS[20],
    )
    assert f"45/45 started · 45 reviews (7 d) · recall {round(recall * 100)} %" in text
    assert "0/45 started · 0 reviews (7 d) · recall —" in text
    assert "1/45 started · 1 review (7 d)" in text
    assert "status-not_started" in text
    assert "How the status is decided" in text
    drill_down = reverse("study:classroom_learner", args=[classroom.pk, assignment.pk, amy.pk])
    assert f'href="{drill_down}">' in text
    assert '<span class="visually-hidden">: amy, Lesion signs card by card</span>' in text


def test_dashboard_escapes_the_names_a_user_chose(
    instructor_client, instructor, classroom, content
):
    # The cells' strings reach the template already escaped (views.classrooms._table).
    deck = Deck.objects.create(slug="tricky", name='<i>Signs</i> & "tricks"', owner=instructor)
    deck.cards.set(Deck.objects.get(slug="lesion-signs").cards.all()[:3])
    Assignment.objects.create(
        classroom=classroom, deck=deck, due_date=timezone.localdate() + timedelta(days=10)
    )
    enrol_with_progress(classroom, deck, "<b>amy</b>", 2, timezone.now())
    text = instructor_client.get(reverse("study:classroom", args=[classroom.pk])).text
    assert (
        '<span class="visually-hidden">: &lt;b&gt;amy&lt;/b&gt;, '
        "&lt;i&gt;Signs&lt;/i&gt; &amp; &quot;tricks&quot; card by card</span>"
    ) in text
    assert "<b>amy" not in text and "<i>Signs" not in text
    assert "2/3 started · 2 reviews (7 d)" in text


@pytest.mark.parametrize(
    "ago, text",
    [
        (timedelta(days=2, hours=3), "2\xa0days, 3\xa0hours"),
        (timedelta(minutes=5), "5\xa0minutes"),
        (timedelta(days=40), "1\xa0month, 1\xa0week"),
    ],
)
def test_dashboard_shows_each_learners_last_review_as_time_since(
    instructor_client, classroom, assignment, ago, text
):
    now = timezone.now()  # the instructor's session is from now: pinning far off ends it
    with time_machine.travel(now, tick=False):
        amy = enrol_with_progress(classroom, assignment.deck, "amy", 3, now)
        enrol_with_progress(classroom, assignment.deck, "eli", 0, now)
        ReviewState.objects.filter(user=amy).update(last_review=now - ago)
        ReviewLog.objects.filter(user=amy).update(reviewed_at=now - ago)
        response = instructor_client.get(reverse("study:classroom", args=[classroom.pk]))
    # The same text as Django's own filters print: `|date:"c"` and `|timesince:now`.
    printed = Template("<time datetime=\"{{ d|date:'c' }}\">{{ d|timesince:now }} ago</time>")
    expected = printed.render(Context({"d": now - ago, "now": now}))
    assert f"{text} ago</time>" in expected
    assert expected in response.text
    assert "never" in response.text  # eli


def test_dashboard_sorts_on_the_server(instructor_client, classroom, assignment):
    now = timezone.now()
    enrol_with_progress(classroom, assignment.deck, "amy", 45, now)
    enrol_with_progress(classroom, assignment.deck, "zed", 0, now)
    url = reverse("study:classroom", args=[classroom.pk])
    by_name = instructor_client.get(url + "?sort=-name").text
    assert by_name.index(">zed<") < by_name.index(">amy<")
    by_status = instructor_client.get(url + f"?sort={assignment.pk}").text
    assert by_status.index(">zed<") < by_status.index(">amy<")  # not started first
    unknown = instructor_client.get(url + "?sort=drop+table").text
    assert unknown.index(">amy<") < unknown.index(">zed<")


def test_dashboard_sort_over_htmx_returns_only_the_table(instructor_client, classroom, assignment):
    enrol_with_progress(classroom, assignment.deck, "amy", 3, timezone.now())
    url = reverse("study:classroom", args=[classroom.pk])
    response = instructor_client.get(url + "?sort=last", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<table" in response.text
    assert "<html" not in response.text


def test_drill_down_shows_the_learners_cards_of_that_assignment(
    instructor_client, classroom, assignment
):
    now = timezone.now()
    amy = enrol_with_progress(classroom, assignment.deck, "amy", 2, now)
    url = reverse("study:classroom_learner", args=[classroom.pk, assignment.pk, amy.pk])
    response = instructor_client.get(url)
    assert response.status_code == 200
    assert response.text.count("<tr>") == 1 + 45
    assert "2 of 45 cards started" in response.text


@pytest.mark.parametrize("learners", [4, 40])
def test_dashboard_query_count_does_not_grow_with_the_class(
    instructor_client, classroom, content, learners, django_assert_max_num_queries
):
    now = timezone.now()
    decks = list(Deck.objects.order_by("pk")[:4])
    for deck in decks:
        Assignment.objects.create(
            classroom=classroom, deck=deck, due_date=timezone.localdate() + timedelta(days=9)
        )
    for n in range(learners):
        enrol_with_progress(classroom, decks[n % 4], f"learner{n:02d}", 5 + n % 20, now)
    with django_assert_max_num_queries(15):
        response = instructor_client.get(reverse("study:classroom", args=[classroom.pk]))
    assert response.status_code == 200
    assert response.text.count('class="status status-') == learners * 4


@pytest.mark.parametrize("learners", [4, 40])
def test_gradebook_query_count_does_not_grow_with_the_class(
    instructor_client, classroom, content, learners, django_assert_max_num_queries
):
    now = timezone.now()
    for deck in Deck.objects.order_by("pk")[:4]:
        Assignment.objects.create(
            classroom=classroom, deck=deck, due_date=timezone.localdate() + timedelta(days=9)
        )
    deck = Deck.objects.get(slug="all")
    for n in range(learners):
        enrol_with_progress(classroom, deck, f"learner{n:02d}", 10, now)
    with django_assert_max_num_queries(15):
        response = instructor_client.get(reverse("study:classroom_gradebook", args=[classroom.pk]))
    assert len(response.content.decode().splitlines()) == 1 + learners * 4


# --- gradebook --------------------------------------------------------------------------------


def read_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_gradebook_has_one_row_per_learner_and_assignment(instructor_client, classroom, content):
    now = timezone.now()
    decks = [Deck.objects.get(slug="lesion-signs"), Deck.objects.get(slug="anatomy")]
    for deck in decks:
        Assignment.objects.create(
            classroom=classroom, deck=deck, due_date=timezone.localdate() + timedelta(days=9)
        )
    enrol_with_progress(classroom, decks[0], "amy", 45, now)
    enrol_with_progress(classroom, decks[0], "bob", 0, now)
    response = instructor_client.get(reverse("study:classroom_gradebook", args=[classroom.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = read_csv(response)
    assert [(r["learner"], r["assignment"]) for r in rows] == [
        ("amy", "Lesion signs"),
        ("amy", "Anatomy & pathways"),
        ("bob", "Lesion signs"),
        ("bob", "Anatomy & pathways"),
    ]
    amy = rows[0]
    assert (amy["cards_started"], amy["cards_total"], amy["reviews_last_7_days"]) == (
        "45",
        "45",
        "45",
    )
    assert amy["target_recall"] == "0.80"
    assert rows[2]["status"] == "Not started"
    assert rows[2]["mean_predicted_recall"] == ""


def test_gradebook_figures_match_the_dashboard(client, instructor, classroom, assignment):
    now = datetime(2030, 1, 1, 12, tzinfo=UTC)
    Assignment.objects.filter(pk=assignment.pk).update(due_date=now.date() + timedelta(days=5))
    with time_machine.travel(now, tick=False):
        client.force_login(instructor)  # a session from the real clock would have expired
        enrol_with_progress(classroom, assignment.deck, "amy", 20, now)
        row = read_csv(client.get(reverse("study:classroom_gradebook", args=[classroom.pk])))[0]
        cell = progress.classroom_dashboard(classroom=classroom, now=now).rows[0].cells[0]
    assert row["mean_predicted_recall"] == f"{cell.mean_recall:.3f}"
    assert row["status"] == cell.status.label
    assert row["cards_started"] == "20"


def test_gradebook_neutralises_spreadsheet_formulas(instructor_client, instructor, content):
    classroom = Classroom.objects.create(owner=instructor, name='=HYPERLINK("http://x","y")')
    Assignment.objects.create(
        classroom=classroom,
        deck=Deck.objects.get(slug="anatomy"),
        due_date=timezone.localdate() + timedelta(days=3),
    )
    for username in ["+cmd", "-2+3", "@SUM", "plain"]:
        Enrollment.objects.create(
            classroom=classroom, user=baker.make("auth.User", username=username)
        )
    rows = read_csv(
        instructor_client.get(reverse("study:classroom_gradebook", args=[classroom.pk]))
    )
    assert {r["learner"] for r in rows} == {"'+cmd", "'-2+3", "'@SUM", "plain"}
    assert all(r["classroom"] == '\'=HYPERLINK("http://x","y")' for r in rows)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("safe=1", "safe=1"),
        ("", ""),
        (None, ""),
        (45, "45"),
    ],
)
def test_spreadsheet_safe_prefixes_formula_starts(value, expected):
    assert spreadsheet_safe(value) == expected


# --- demo data ------------------------------------------------------------------------------------


def test_load_demo_builds_a_classroom_with_varied_progress(content):
    call_command("load_demo", verbosity=0)
    classroom = Classroom.objects.get(owner__username="instructor")
    assert Group.objects.get(name="Instructors").user_set.filter(username="instructor").exists()
    enrolled = set(classroom.enrollments.values_list("user__username", flat=True))
    assert enrolled == {"learner", "amira", "ben", "chen", "dana", "eli"}
    assignment = classroom.assignments.get()
    assert assignment.deck.slug == "lesion-signs"
    dashboard = progress.classroom_dashboard(classroom=classroom, now=timezone.now())
    status = {row.learner.username: row.cells[0].status for row in dashboard.rows}
    assert status["eli"] == progress.Status.NOT_STARTED
    assert status["chen"] == progress.Status.BEHIND
    assert progress.Status.ON_TRACK in status.values()
    # Every simulated review went through the scheduler: logs and states agree.
    for username in ["amira", "ben", "chen", "dana", "learner"]:
        logs = ReviewLog.objects.filter(user__username=username)
        assert logs.exists()
        assert ReviewState.objects.filter(user__username=username).count() == (
            logs.values("card").distinct().count()
        )


def test_load_demo_twice_adds_no_history(content):
    call_command("load_demo", verbosity=0)
    counts = (ReviewLog.objects.count(), Classroom.objects.count(), Enrollment.objects.count())
    call_command("load_demo", verbosity=0)
    assert (ReviewLog.objects.count(), Classroom.objects.count(), Enrollment.objects.count()) == (
        counts
    )
