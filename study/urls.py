from django.urls import path, register_converter
from django.urls.converters import IntConverter

from .views import account, authoring, classrooms, health, insight
from .views import study as views


class IdConverter(IntConverter):
    """A database id: at most 18 digits, so a huge number is a 404, not a database error
    (an integer beyond 64 bits overflows in SQLite and PostgreSQL foreign-key lookups)."""

    regex = "[0-9]{1,18}"


register_converter(IdConverter, "id")

app_name = "study"
urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("livez", health.livez, name="livez"),
    path("signup/", views.signup, name="signup"),
    path("decks/<slug:slug>/", views.deck_detail, name="deck"),
    path("comparisons/<slug:slug>/", views.comparison_detail, name="comparison"),
    path("study/<slug:slug>/", views.study, name="study"),
    path("study/<slug:slug>/answer/", views.answer, name="answer"),
    path("study/<slug:slug>/review/", views.review, name="review"),
    path("study/<slug:slug>/undo/", views.undo, name="undo"),
    # learner insight: statistics, memory map, settings, parameter optimization
    path("stats/", insight.stats_page, name="stats"),
    path("stats/rows/<id:attribute_id>/study/", insight.study_row, name="study_row"),
    path("settings/", insight.settings_page, name="settings"),
    path("settings/optimize/", insight.optimize, name="optimize"),
    # the learner's own data: export and account deletion
    path("account/", account.account_page, name="account"),
    path("account/reviews.csv", account.export_csv, name="account_export_csv"),
    path("account/reviews.json", account.export_json, name="account_export_json"),
    path("account/delete/", account.delete_account, name="account_delete"),
    # classrooms: instructors manage, learners join
    path("classrooms/", classrooms.index, name="classrooms"),
    path("classrooms/new/", classrooms.classroom_create, name="classroom_create"),
    path("classrooms/join/", classrooms.join_by_code, name="classroom_join"),
    path("classrooms/<id:pk>/", classrooms.dashboard, name="classroom"),
    path("classrooms/<id:pk>/edit/", classrooms.classroom_edit, name="classroom_edit"),
    path("classrooms/<id:pk>/archive/", classrooms.classroom_archive, name="classroom_archive"),
    path("classrooms/<id:pk>/code/", classrooms.classroom_code, name="classroom_code"),
    path("classrooms/<id:pk>/leave/", classrooms.leave, name="classroom_leave"),
    path("classrooms/<id:pk>/gradebook.csv", classrooms.gradebook, name="classroom_gradebook"),
    path("classrooms/<id:pk>/roster/", classrooms.roster, name="classroom_roster"),
    path(
        "classrooms/<id:pk>/roster/<id:user_pk>/remove/",
        classrooms.roster_remove,
        name="classroom_roster_remove",
    ),
    path(
        "classrooms/<id:pk>/assignments/new/",
        classrooms.assignment_create,
        name="assignment_create",
    ),
    path(
        "classrooms/<id:pk>/assignments/<id:assignment_pk>/edit/",
        classrooms.assignment_edit,
        name="assignment_edit",
    ),
    path(
        "classrooms/<id:pk>/assignments/<id:assignment_pk>/delete/",
        classrooms.assignment_delete,
        name="assignment_delete",
    ),
    path(
        "classrooms/<id:pk>/assignments/<id:assignment_pk>/learners/<id:user_pk>/",
        classrooms.learner_detail,
        name="classroom_learner",
    ),
    path("join/<str:code>/", classrooms.join_by_link, name="join"),
    # authoring: table import with preview, deck builder, exports
    path("authoring/", authoring.index, name="authoring"),
    path("authoring/import/", authoring.import_table, name="import"),
    path("authoring/import/confirm/", authoring.import_confirm, name="import_confirm"),
    path("authoring/decks/new/", authoring.deck_create, name="deck_create"),
    path("authoring/decks/<slug:slug>/edit/", authoring.deck_edit, name="deck_edit"),
    path("authoring/decks/<slug:slug>/delete/", authoring.deck_delete, name="deck_delete"),
    path(
        "comparisons/<slug:slug>/export.<str:fmt>",
        authoring.comparison_export,
        name="comparison_export",
    ),
    path("decks/<slug:slug>/anki.apkg", authoring.deck_anki, name="deck_anki"),
]
