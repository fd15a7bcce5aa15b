"""Authoring views: import with preview and confirm, deck builder, exports, permissions."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from study import importers
from study.models import (
    Assignment,
    Attribute,
    Card,
    Classroom,
    Comparison,
    Deck,
    Enrollment,
    Fact,
    ReviewLog,
    ReviewState,
)
from study.stats import study_row_deck
from tests.conftest import answer, make_user
from tests.test_importers import ARTICLE_TABLE, NAMES, SOURCE

IMPORT = reverse("study:import")
CONFIRM = reverse("study:import_confirm")


def counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Comparison, Attribute, Fact, Card, Deck))


@pytest.fixture
def instructor_client(client, instructor):
    client.force_login(instructor)
    return client


@pytest.fixture
def other_instructor(db):
    from django.contrib.auth.models import Group

    user = make_user("ivan")
    user.groups.add(Group.objects.get_or_create(name="Instructors")[0])
    return user


def confirm_data(rows, *, title="Article table", comparison="", **extra) -> dict:
    data = {
        "title": title,
        "source": SOURCE,
        "comparison": comparison,
        "left_name": "Upper Motor Neurons",
        "left_label": "UMN",
        "right_name": "Lower Motor Neurons",
        "right_label": "LMN",
        "rows-TOTAL_FORMS": len(rows),
        "rows-INITIAL_FORMS": 0,
    } | extra
    for index, (name, left, right) in enumerate(rows):
        data |= {
            f"rows-{index}-name": name,
            f"rows-{index}-left": left,
            f"rows-{index}-right": right,
            f"rows-{index}-group": "anatomy",
        }
    return data


def article_rows() -> list[tuple[str, str, str]]:
    table = importers.parse(ARTICLE_TABLE)
    return [(name, row.left, row.right) for name, row in zip(NAMES, table.rows, strict=True)]


# --- import: preview ---------------------------------------------------------------------


def test_preview_of_the_article_table_shows_ten_rows_and_asks_for_names(admin_client_):
    before = counts()
    response = admin_client_.post(
        IMPORT, {"title": "Article", "source": SOURCE, "text": ARTICLE_TABLE, "format": "auto"}
    )
    assert response.status_code == 200
    assert len(response.context["rows"].forms) == 10
    assert response.context["needs_names"]
    assert response.text.count("Name this attribute") == 10
    assert counts() == before


def test_preview_marks_ragged_rows(admin_client_):
    text = "Attribute | A | B |\nTone | up |\nReflexes | brisk | absent |\n"
    response = admin_client_.post(IMPORT, {"title": "T", "source": SOURCE, "text": text})
    assert "Ragged row: 2 cells where the header has 3." in response.text
    assert response.context["problem_count"] == 1


def test_preview_escapes_html_in_cells(admin_client_):
    text = "Attribute | A | B |\n<script>alert(1)</script> | <b>up</b> | down |\n"
    response = admin_client_.post(IMPORT, {"title": "T", "source": SOURCE, "text": text})
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_csv_upload_goes_to_the_preview(admin_client_):
    upload = SimpleUploadedFile("t.csv", b"Attribute,UMN,LMN\nTone,up,down\n", "text/csv")
    response = admin_client_.post(IMPORT, {"title": "T", "source": SOURCE, "file": upload})
    assert response.status_code == 200
    assert len(response.context["rows"].forms) == 1


@pytest.mark.parametrize(
    "payload,message",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "binary file"),
        ("Attribute,UMN\nSpastizit\u00e4t,x\n".encode("latin-1"), "not UTF-8"),
        (b"A,B\n" + b"x,y\n" * 300_000, "larger than 1 MB"),
    ],
)
def test_unreadable_uploads_are_refused_with_a_message(admin_client_, payload, message):
    before = counts()
    upload = SimpleUploadedFile("t.csv", payload, "text/csv")
    response = admin_client_.post(IMPORT, {"title": "T", "source": SOURCE, "file": upload})
    assert response.status_code == 400
    assert message in response.text
    assert counts() == before


def test_source_is_required(admin_client_):
    response = admin_client_.post(IMPORT, {"title": "T", "source": "", "text": ARTICLE_TABLE})
    assert response.status_code == 400
    assert "This field is required" in response.text


def test_paste_and_upload_together_are_refused(admin_client_):
    upload = SimpleUploadedFile("t.csv", b"A,B\nx,y\n", "text/csv")
    data = {"title": "T", "source": SOURCE, "text": "A | B\nx | y", "file": upload}
    response = admin_client_.post(IMPORT, data)
    assert response.status_code == 400
    assert "one of the two" in response.text


# --- import: confirm ----------------------------------------------------------------------


def test_confirm_writes_comparison_attributes_cards_and_deck(admin_client_):
    response = admin_client_.post(CONFIRM, confirm_data(article_rows()))
    comparison = Comparison.objects.get(slug="article-table")
    assert response.status_code == 302
    assert response["Location"] == reverse("study:comparison", args=[comparison.slug])
    assert comparison.owner is None  # admins import shared content
    assert comparison.attributes.count() == 10
    assert comparison.cards.active().count() == 30
    assert comparison.decks.get().cards.count() == 30


def test_instructor_import_is_owned_by_them(instructor_client, instructor):
    instructor_client.post(CONFIRM, confirm_data(article_rows()))
    comparison = Comparison.objects.get(slug="article-table")
    assert comparison.owner == instructor
    assert comparison.decks.get().owner == instructor


def test_confirm_revalidates_every_row_and_writes_nothing(admin_client_):
    rows = article_rows()
    rows[3] = (rows[3][0], "x" * 2001, rows[3][2])
    before = counts()
    response = admin_client_.post(CONFIRM, confirm_data(rows))
    assert response.status_code == 400
    assert "the limit is 2,000" in response.text
    assert counts() == before


def test_confirm_with_duplicate_attributes_writes_nothing(admin_client_):
    rows = article_rows()
    rows[1] = ("location", rows[1][1], rows[1][2])
    before = counts()
    response = admin_client_.post(CONFIRM, confirm_data(rows))
    assert response.status_code == 400
    assert "Duplicate attribute" in response.text
    assert counts() == before


def test_confirm_with_empty_cell_writes_nothing(admin_client_):
    rows = article_rows()
    rows[0] = (rows[0][0], " ", rows[0][2])
    before = counts()
    response = admin_client_.post(CONFIRM, confirm_data(rows))
    assert response.status_code == 400
    assert "The left cell is empty." in response.text
    assert counts() == before


def test_confirm_with_extra_cells_left_in_writes_nothing(admin_client_):
    data = confirm_data(article_rows()) | {"rows-2-extra": "a stray cell"}
    before = counts()
    response = admin_client_.post(CONFIRM, data)
    assert response.status_code == 400
    assert "more cells than the header" in response.text
    assert counts() == before


def test_confirm_with_more_than_two_hundred_rows_writes_nothing(admin_client_):
    rows = [(f"Row {n}", "a", "b") for n in range(201)]
    before = counts()
    response = admin_client_.post(CONFIRM, confirm_data(rows))
    assert response.status_code == 400
    assert "at most 200 rows" in response.text
    assert counts() == before


def test_rows_ticked_for_removal_are_not_imported(admin_client_):
    data = confirm_data(article_rows()) | {"rows-9-DELETE": "on", "rows-9-left": ""}
    admin_client_.post(CONFIRM, data)
    assert Comparison.objects.get(slug="article-table").attributes.count() == 9


def test_reimport_through_the_views_keeps_card_ids_and_review_logs(admin_client_, learner):
    admin_client_.post(CONFIRM, confirm_data(article_rows()))
    comparison = Comparison.objects.get(slug="article-table")
    card = comparison.cards.get(key="article-table:location:recall:left")
    answer(learner, card, 3, timezone.now())
    ids = dict(comparison.cards.values_list("key", "pk"))
    rows = article_rows()
    rows[0] = (rows[0][0], "Motor cortex and brainstem.", rows[0][2])
    response = admin_client_.post(CONFIRM, confirm_data(rows, comparison=comparison.slug))
    assert response.status_code == 302
    assert dict(comparison.cards.values_list("key", "pk")) == ids
    card.refresh_from_db()
    assert card.back == "Motor cortex and brainstem."
    assert ReviewLog.objects.filter(card=card, user=learner).count() == 1


def test_instructor_cannot_update_admin_content(instructor_client, content):
    before = Fact.objects.order_by("pk").values_list("text", flat=True)
    before = list(before)
    response = instructor_client.post(CONFIRM, confirm_data(article_rows(), comparison="umn-lmn"))
    assert response.status_code == 400
    assert "you can update only your own" in response.text
    assert list(Fact.objects.order_by("pk").values_list("text", flat=True)) == before


def test_instructor_cannot_open_the_reimport_of_admin_content(instructor_client, content):
    response = instructor_client.get(IMPORT, {"comparison": "umn-lmn"})
    assert response.status_code == 404


def test_instructor_cannot_update_another_instructors_comparison(
    client, instructor, other_instructor
):
    client.force_login(other_instructor)
    client.post(CONFIRM, confirm_data(article_rows(), title="Ivan's"))
    client.force_login(instructor)
    response = client.post(CONFIRM, confirm_data(article_rows(), comparison="ivans"))
    assert response.status_code == 400
    assert Comparison.objects.get(slug="ivans").owner == other_instructor


def test_admin_may_update_an_instructors_comparison(client, admin_user, instructor):
    client.force_login(instructor)
    client.post(CONFIRM, confirm_data(article_rows(), title="Mine"))
    client.force_login(admin_user)
    response = client.post(CONFIRM, confirm_data(article_rows(), title="Mine", comparison="mine"))
    assert response.status_code == 302
    assert Comparison.objects.get(slug="mine").owner == instructor


@pytest.mark.parametrize("url", [IMPORT, reverse("study:authoring"), reverse("study:deck_create")])
def test_learners_cannot_author(learner_client, url):
    response = learner_client.get(url)
    assert response.status_code == 403
    assert "for instructors and admins" in response.text


def test_learner_confirm_post_writes_nothing(learner_client):
    before = counts()
    response = learner_client.post(CONFIRM, confirm_data(article_rows()))
    assert response.status_code == 403
    assert counts() == before


# --- exports ---------------------------------------------------------------------------


def test_comparison_exports_as_csv_and_pipe_table(learner_client, content):
    csv_response = learner_client.get(reverse("study:comparison_export", args=["umn-lmn", "csv"]))
    txt_response = learner_client.get(reverse("study:comparison_export", args=["umn-lmn", "txt"]))
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert csv_response.text.startswith("Attribute,Upper motor neuron (UMN)")
    assert txt_response.text.startswith("Attribute | Upper motor neuron (UMN)")


def test_exporting_someone_elses_private_comparison_is_404(learner_client, instructor):
    importers.commit_table(
        table=importers.parse("Attribute | A | B\nTone | up | down"),
        title="Private",
        source=SOURCE,
        owner=instructor,
    )
    response = learner_client.get(reverse("study:comparison_export", args=["private", "csv"]))
    assert response.status_code == 404


# --- deck builder ----------------------------------------------------------------------


def build(client, **data):
    return client.post(reverse("study:deck_create"), {"comparison": "umn-lmn"} | data)


def test_instructor_builds_a_deck_from_rows_and_vignettes(instructor_client, instructor, content):
    tone = Attribute.objects.get(comparison__slug="umn-lmn", key="tone")
    response = build(
        instructor_client, name="Tone and vignettes", attributes=[tone.pk], vignettes="on"
    )
    deck = Deck.objects.get(name="Tone and vignettes")
    assert response.status_code == 302
    assert deck.owner == instructor
    assert deck.groups == []
    expected = (
        Card.objects.active().filter(attribute=tone).count()
        + Card.objects.active().filter(comparison__slug="umn-lmn", kind="identify").count()
    )
    assert deck.cards.count() == expected


def test_instructor_builds_a_deck_from_single_cards(instructor_client, content):
    cards = list(Card.objects.active().filter(comparison__slug="umn-lmn")[:3])
    build(instructor_client, name="Three", cards=[c.pk for c in cards])
    assert set(Deck.objects.get(name="Three").cards.all()) == set(cards)


def test_an_empty_deck_is_refused(instructor_client, content):
    response = build(instructor_client, name="Nothing")
    assert response.status_code == 400
    assert "Pick at least one row" in response.text
    assert not Deck.objects.filter(name="Nothing").exists()


def test_cards_of_another_comparison_are_refused(instructor_client, instructor, content):
    importers.commit_table(
        table=importers.parse("Attribute | A | B\nTone | up | down"),
        title="Other",
        source=SOURCE,
        owner=instructor,
    )
    foreign = Card.objects.filter(comparison__slug="other").first()
    response = build(instructor_client, name="Mixed", cards=[foreign.pk])
    assert response.status_code == 400
    assert not Deck.objects.filter(name="Mixed").exists()


def test_building_from_another_instructors_comparison_is_404(instructor_client, other_instructor):
    importers.commit_table(
        table=importers.parse("Attribute | A | B\nTone | up | down"),
        title="Ivan's",
        source=SOURCE,
        owner=other_instructor,
    )
    response = instructor_client.get(reverse("study:deck_create"), {"comparison": "ivans"})
    assert response.status_code == 404


@pytest.fixture
def own_deck(instructor, content) -> Deck:
    deck = Deck.objects.create(
        slug="mine", name="Mine", owner=instructor, comparison=Comparison.objects.get()
    )
    deck.cards.set(Card.objects.active().filter(attribute__key="tone"))
    return deck


def test_editing_membership_never_touches_review_history(instructor_client, own_deck, learner):
    card = own_deck.cards.first()
    answer(learner, card, 3, timezone.now())
    states = list(ReviewState.objects.values())
    logs = list(ReviewLog.objects.values())
    reflexes = Card.objects.active().filter(attribute__key="reflexes")
    response = instructor_client.post(
        reverse("study:deck_edit", args=[own_deck.slug]),
        {"name": "Mine", "cards": [c.pk for c in reflexes]},
    )
    assert response.status_code == 302
    assert set(own_deck.cards.all()) == set(reflexes)
    assert list(ReviewState.objects.values()) == states
    assert list(ReviewLog.objects.values()) == logs


def test_edit_form_shows_current_membership(instructor_client, own_deck):
    response = instructor_client.get(reverse("study:deck_edit", args=[own_deck.slug]))
    tone = Attribute.objects.get(key="tone")
    assert response.context["form"].initial["attributes"] == [tone.pk]


def test_instructor_cannot_edit_admin_decks(instructor_client, content):
    response = instructor_client.get(reverse("study:deck_edit", args=["all"]))
    assert response.status_code == 404


def test_instructor_cannot_edit_or_delete_another_instructors_deck(
    client, own_deck, other_instructor
):
    client.force_login(other_instructor)
    edit = client.post(reverse("study:deck_edit", args=[own_deck.slug]), {"name": "Stolen"})
    delete = client.post(reverse("study:deck_delete", args=[own_deck.slug]))
    assert (edit.status_code, delete.status_code) == (404, 404)
    assert Deck.objects.get(pk=own_deck.pk).name == "Mine"


def test_admin_may_edit_an_instructors_deck(admin_client_, own_deck):
    response = admin_client_.get(reverse("study:deck_edit", args=[own_deck.slug]))
    assert response.status_code == 200


def test_row_study_decks_are_not_editable_in_the_deck_builder(
    instructor_client, instructor, content
):
    row_deck = study_row_deck(user=instructor, attribute=Attribute.objects.get(key="tone"))
    response = instructor_client.get(reverse("study:deck_edit", args=[row_deck.slug]))
    assert response.status_code == 404


def test_instructor_deletes_own_deck_and_history_stays(instructor_client, own_deck, learner):
    card = own_deck.cards.first()
    answer(learner, card, 3, timezone.now())
    response = instructor_client.post(reverse("study:deck_delete", args=[own_deck.slug]))
    assert response.status_code == 302
    assert not Deck.objects.filter(pk=own_deck.pk).exists()
    assert ReviewLog.objects.filter(card=card).count() == 1


def test_deleting_an_assigned_deck_is_refused(instructor_client, instructor, own_deck):
    classroom = Classroom.objects.create(owner=instructor, name="Neuro 101")
    Assignment.objects.create(
        classroom=classroom, deck=own_deck, due_date=timezone.localdate() + timedelta(days=7)
    )
    response = instructor_client.post(
        reverse("study:deck_delete", args=[own_deck.slug]), follow=True
    )
    assert "assigned to a classroom" in response.text
    assert Deck.objects.filter(pk=own_deck.pk).exists()


# --- visibility to classes and assignment ------------------------------------------------


def test_learner_sees_an_instructor_deck_assigned_to_their_classroom(
    learner_client, learner, instructor, own_deck
):
    for name in ("Neuro 101", "Neuro 102"):  # two classes, same deck: still one row
        classroom = Classroom.objects.create(owner=instructor, name=name)
        Enrollment.objects.create(classroom=classroom, user=learner)
        Assignment.objects.create(
            classroom=classroom, deck=own_deck, due_date=timezone.localdate() + timedelta(days=7)
        )
    visible = list(Deck.objects.visible_to(learner).filter(pk=own_deck.pk))
    assert visible == [own_deck]
    assert learner_client.get(reverse("study:study", args=[own_deck.slug])).status_code == 200


def test_instructor_deck_is_invisible_to_learners_outside_the_class(
    learner_client, learner, instructor, own_deck
):
    classroom = Classroom.objects.create(owner=instructor, name="Neuro 101")
    Assignment.objects.create(
        classroom=classroom, deck=own_deck, due_date=timezone.localdate() + timedelta(days=7)
    )
    assert not Deck.objects.visible_to(learner).filter(pk=own_deck.pk).exists()
    assert learner_client.get(reverse("study:deck", args=[own_deck.slug])).status_code == 404


def test_learners_row_decks_stay_visible_to_them(learner, content):
    row_deck = study_row_deck(user=learner, attribute=Attribute.objects.get(key="tone"))
    assert Deck.objects.visible_to(learner).filter(pk=row_deck.pk).exists()


def test_own_built_deck_is_assignable_but_row_decks_are_not(instructor, own_deck):
    row_deck = study_row_deck(user=instructor, attribute=Attribute.objects.get(key="tone"))
    assignable = Deck.objects.assignable_by(instructor)
    assert assignable.filter(pk=own_deck.pk).exists()
    assert not assignable.filter(pk=row_deck.pk).exists()
    assert assignable.filter(slug="all").exists()


def test_instructor_assigns_their_built_deck(instructor_client, instructor, own_deck):
    classroom = Classroom.objects.create(owner=instructor, name="Neuro 101")
    response = instructor_client.post(
        reverse("study:assignment_create", args=[classroom.pk]),
        {
            "deck": own_deck.pk,
            "due_date": (timezone.localdate() + timedelta(days=7)).isoformat(),
            "target_percent": 80,
        },
    )
    assert response.status_code == 302
    assert Assignment.objects.get().deck == own_deck


def test_nav_shows_authoring_links_to_instructors_only(client, instructor, learner):
    client.force_login(instructor)
    assert reverse("study:authoring") in client.get(reverse("study:home")).text
    client.force_login(learner)
    assert reverse("study:authoring") not in client.get(reverse("study:home")).text
