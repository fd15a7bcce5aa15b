"""Every URL of the app, with what each role may do there: shared by the security meta-tests.

`world()` builds six roles and a stranger who owns one of everything (a private deck, a
comparison table, a classroom): the stranger's objects are the "foreign" objects.
`CASES` lists, for every named URL, each (method, target) with the expected status per
role; `test_permissions.py` fails when a URL pattern has no case here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from model_bakery import baker

from study.models import (
    Assignment,
    Attribute,
    Card,
    Classroom,
    Comparison,
    Deck,
    Enrollment,
)

from .conftest import PASSWORD


@lru_cache(maxsize=4)
def _password_hash(hashers: tuple[str, ...]) -> str:
    # Keyed by the hashers in force: a hash cached while a test used a fast hasher would
    # not verify once the default hashers are back.
    return make_password(PASSWORD)  # once per run and hasher setting, not once per user


def make_user(username: str, **extra):
    password = _password_hash(tuple(settings.PASSWORD_HASHERS))
    return baker.make("auth.User", username=username, password=password, **extra)


ROLES = ("anonymous", "learner", "other_learner", "instructor", "other_instructor", "admin")
USERS = ROLES[1:]
LOGIN = "login"  # expected: a redirect to the login page
SECRET = "Zebra-secret"  # in every name of the stranger's objects: must never leak


def statuses(default, **per_role) -> dict[str, int | str]:
    """Expected status per role: `default` for logged-in roles, anonymous -> login."""
    expected = {role: default for role in USERS} | {"anonymous": LOGIN}
    return expected | per_role


ANY_USER = statuses(200)
FOREIGN = statuses(404)
OWNER_ONLY = statuses(404, instructor=200, admin=200)
LEARNERS_403 = {"learner": 403, "other_learner": 403}
AUTHORS = statuses(200, **LEARNERS_403)  # instructors and admins


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    target: str  # "own", "foreign", "-" (no object)
    expect: dict
    data: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.name}:{self.method}:{self.target}"


def _owner_cases(name: str, method: str, own: int, foreign_admin: int) -> list[Case]:
    """A classroom URL: only the owner and admins; foreign = the stranger's classroom."""
    return [
        Case(name, method, "own", statuses(404, instructor=own, admin=own)),
        Case(name, method, "foreign", statuses(404, admin=foreign_admin)),
    ]


def _nested_cases(name: str, method: str, own: int) -> list[Case]:
    """A URL under the own classroom: a sub-object of a foreign classroom is a 404 for all."""
    return [
        Case(name, method, "own", statuses(404, instructor=own, admin=own)),
        Case(name, method, "foreign", FOREIGN),
    ]


CASES: list[Case] = [
    # --- public and authentication -------------------------------------------------
    Case("login", "get", "-", {role: 200 for role in ROLES}),
    Case("login", "post", "-", {role: 200 for role in ROLES}),  # empty form: errors
    Case("logout", "post", "-", {role: 302 for role in ROLES}),
    Case("password_change", "get", "-", ANY_USER),
    Case("password_change", "post", "-", statuses(200)),  # empty form re-rendered
    Case("password_change_done", "get", "-", ANY_USER),
    Case("password_reset", "get", "-", {role: 200 for role in ROLES}),
    Case("password_reset", "post", "-", {role: 200 for role in ROLES}),
    Case("password_reset_done", "get", "-", {role: 200 for role in ROLES}),
    Case("password_reset_confirm", "get", "foreign", {role: 200 for role in ROLES}),
    Case("password_reset_complete", "get", "-", {role: 200 for role in ROLES}),
    Case("study:signup", "get", "-", statuses(302, anonymous=200)),
    Case("study:signup", "post", "-", statuses(302, anonymous=400)),
    Case("study:healthz", "get", "-", ANY_USER),
    Case("study:livez", "get", "-", {role: 200 for role in ROLES}),  # load balancers
    # --- studying ---------------------------------------------------------------------
    Case("study:home", "get", "-", ANY_USER),
    Case("study:deck", "get", "own", ANY_USER),
    Case("study:deck", "get", "foreign", FOREIGN),
    Case("study:comparison", "get", "own", ANY_USER),
    Case("study:comparison", "get", "foreign", statuses(404, admin=200)),  # admins see all
    Case("study:study", "get", "own", ANY_USER),
    Case("study:study", "get", "foreign", FOREIGN),
    Case("study:answer", "get", "own", statuses(400)),  # no answer token: "form expired"
    Case("study:answer", "get", "foreign", FOREIGN),
    Case("study:review", "post", "own", statuses(400)),  # no answer token: nothing recorded
    Case("study:review", "post", "foreign", FOREIGN),
    Case("study:undo", "post", "own", ANY_USER),  # nothing to undo
    Case("study:undo", "post", "foreign", FOREIGN),
    # --- insight ----------------------------------------------------------------------
    Case("study:stats", "get", "-", ANY_USER),
    Case("study:study_row", "post", "own", statuses(302)),
    Case("study:study_row", "post", "foreign", FOREIGN),
    Case("study:settings", "get", "-", ANY_USER),
    Case("study:settings", "post", "-", statuses(400)),  # empty form
    Case("study:optimize", "post", "-", statuses(302)),
    # --- account ----------------------------------------------------------------------
    Case("study:account", "get", "-", ANY_USER),
    Case("study:account_export_csv", "get", "-", ANY_USER),
    Case("study:account_export_json", "get", "-", ANY_USER),
    Case("study:account_delete", "post", "-", statuses(400)),  # no password
    # --- classrooms -------------------------------------------------------------------
    Case("study:classrooms", "get", "-", ANY_USER),
    Case("study:classroom_create", "get", "-", statuses(200, learner=403, other_learner=403)),
    Case("study:classroom_create", "post", "-", statuses(400, learner=403, other_learner=403)),
    Case("study:classroom_join", "post", "-", statuses(400)),  # no code
    *_owner_cases("study:classroom", "get", 200, 200),
    *_owner_cases("study:classroom_edit", "get", 200, 200),
    *_owner_cases("study:classroom_edit", "post", 400, 400),  # empty name
    *_owner_cases("study:classroom_archive", "post", 302, 302),
    *_owner_cases("study:classroom_code", "post", 302, 302),
    *_owner_cases("study:classroom_gradebook", "get", 200, 200),
    *_owner_cases("study:classroom_roster", "get", 200, 200),
    *_owner_cases("study:assignment_create", "get", 200, 200),
    *_owner_cases("study:assignment_create", "post", 400, 400),
    *_nested_cases("study:classroom_roster_remove", "post", 302),
    *_nested_cases("study:assignment_edit", "get", 200),
    *_nested_cases("study:assignment_edit", "post", 400),
    *_nested_cases("study:assignment_delete", "post", 302),
    *_nested_cases("study:classroom_learner", "get", 200),
    Case("study:classroom_leave", "post", "own", statuses(404, learner=302)),
    Case("study:classroom_leave", "post", "foreign", FOREIGN),
    # The join code is the capability: whoever has it sees the class name and may join.
    Case("study:join", "get", "own", ANY_USER),
    Case("study:join", "post", "own", statuses(302)),
    Case("study:join", "get", "foreign", FOREIGN),  # a wrong code
    # --- authoring: import, deck builder, exports (learners get a 403 page) ------------
    Case("study:authoring", "get", "-", AUTHORS),
    Case("study:import", "get", "-", AUTHORS),
    Case("study:import", "post", "-", statuses(400, **LEARNERS_403)),  # empty form
    Case("study:import_confirm", "post", "-", statuses(400, **LEARNERS_403)),  # empty form
    Case("study:deck_create", "get", "-", AUTHORS),
    Case("study:deck_create", "post", "-", AUTHORS),  # no comparison picked: the picker again
    Case("study:deck_edit", "get", "own", AUTHORS),
    Case("study:deck_edit", "get", "foreign", statuses(404, admin=200, **LEARNERS_403)),
    Case("study:deck_edit", "post", "own", statuses(400, **LEARNERS_403)),  # no name
    Case("study:deck_edit", "post", "foreign", statuses(404, admin=400, **LEARNERS_403)),
    Case("study:deck_delete", "post", "own", statuses(302, **LEARNERS_403)),
    Case("study:deck_delete", "post", "foreign", statuses(404, admin=302, **LEARNERS_403)),
    Case("study:comparison_export", "get", "own", ANY_USER),
    Case("study:comparison_export", "get", "foreign", statuses(404, admin=200)),
    Case("study:deck_anki", "get", "own", ANY_USER),
    Case("study:deck_anki", "get", "foreign", FOREIGN),
]


def world(content) -> dict:
    """Roles, their own objects, and a stranger's foreign objects (all named with SECRET)."""
    instructors = Group.objects.get_or_create(name="Instructors")[0]
    users = {
        "learner": make_user("lena"),
        "other_learner": make_user("otto"),
        "instructor": make_user("ines"),
        "other_instructor": make_user("ivan"),
        "admin": make_user("ada", is_staff=True, is_superuser=True),
    }
    stranger = make_user("zed")
    for name in ("instructor", "other_instructor"):
        users[name].groups.add(instructors)
    stranger.groups.add(instructors)
    due = timezone.localdate() + timedelta(days=10)
    some_cards = list(Card.objects.active()[:5])
    decks = {}
    for role, user in [*users.items(), ("stranger", stranger)]:
        label = SECRET if role == "stranger" else role
        deck = Deck.objects.create(
            slug=f"own-{user.username}",
            name=f"{label} deck",
            owner=user,
            comparison=Comparison.objects.get(slug="umn-lmn"),  # the deck builder needs one
        )
        deck.cards.set(some_cards)
        decks[role] = deck
    classroom = Classroom.objects.create(owner=users["instructor"], name="Neuro 101")
    other_classroom = Classroom.objects.create(owner=users["other_instructor"], name="Neuro 102")
    foreign_classroom = Classroom.objects.create(owner=stranger, name=f"{SECRET} class")
    assignments = {}
    for key, room in [
        ("own", classroom),
        ("other", other_classroom),
        ("foreign", foreign_classroom),
    ]:
        assignments[key] = Assignment.objects.create(
            classroom=room, deck=Deck.objects.get(slug="lesion-signs"), due_date=due
        )
    Enrollment.objects.create(classroom=classroom, user=users["learner"])
    Enrollment.objects.create(classroom=other_classroom, user=users["other_learner"])
    stranger_pupil = make_user("zoe")
    Enrollment.objects.create(classroom=foreign_classroom, user=stranger_pupil)
    comparison = Comparison.objects.create(
        slug="zebra-table",
        title=f"{SECRET} table",
        left_label="A",
        right_label="B",
        left_name="A",
        right_name="B",
        source="Private notes",
        owner=stranger,
    )
    foreign_attribute = Attribute.objects.create(
        comparison=comparison,
        key="stripes",
        name=f"{SECRET} row",
        question="stripes",
        group="anatomy",
    )
    return {
        "users": users,
        "stranger": stranger,
        "stranger_pupil": stranger_pupil,
        "decks": decks,
        "classroom": classroom,
        "foreign_classroom": foreign_classroom,
        "assignments": assignments,
        "own_attribute": Attribute.objects.filter(comparison__slug="umn-lmn").first(),
        "foreign_attribute": foreign_attribute,
    }


def url_for(case: Case, w: dict, role: str) -> str:
    """The URL of `case` for `role`: own objects are the role's, foreign ones the stranger's."""
    name, own = case.name, case.target != "foreign"
    user_role = "learner" if role == "anonymous" else role
    if name == "password_reset_confirm":
        return reverse(name, kwargs={"uidb64": "MQ", "token": "not-a-valid-token"})
    if name in DECK_SLUG:
        deck = w["decks"][user_role if own else "stranger"]
        return reverse(name, args=[deck.slug])
    if name == "study:comparison":
        return reverse(name, args=["umn-lmn" if own else "zebra-table"])
    if name == "study:comparison_export":
        return reverse(name, args=["umn-lmn" if own else "zebra-table", "csv"])
    if name == "study:study_row":
        attribute = w["own_attribute" if own else "foreign_attribute"]
        return reverse(name, args=[attribute.pk])
    if name == "study:join":
        code = w["classroom"].join_code if own else "NOPE2345"
        return reverse(name, args=[code])
    if name in NESTED:
        classroom = w["classroom"]
        assignment = w["assignments"]["own" if own else "foreign"]
        pupil = w["users"]["learner"] if own else w["stranger_pupil"]
        kwargs = {"pk": classroom.pk}
        if "assignment_pk" in NESTED[name]:
            kwargs["assignment_pk"] = assignment.pk
        if "user_pk" in NESTED[name]:
            kwargs["user_pk"] = pupil.pk
        return reverse(name, kwargs=kwargs)
    if name in CLASSROOM_PK:
        return reverse(name, args=[w["classroom" if own else "foreign_classroom"].pk])
    return reverse(name)


DECK_SLUG = {
    "study:deck",
    "study:study",
    "study:answer",
    "study:review",
    "study:undo",
    "study:deck_edit",
    "study:deck_delete",
    "study:deck_anki",
}
CLASSROOM_PK = {
    "study:classroom",
    "study:classroom_leave",
    "study:classroom_edit",
    "study:classroom_archive",
    "study:classroom_code",
    "study:classroom_gradebook",
    "study:classroom_roster",
    "study:assignment_create",
}
NESTED = {
    "study:classroom_roster_remove": ("user_pk",),
    "study:assignment_edit": ("assignment_pk",),
    "study:assignment_delete": ("assignment_pk",),
    "study:classroom_learner": ("assignment_pk", "user_pk"),
}


def request(client, case: Case, w: dict, role: str, **extra):
    """Log `client` in as `role` (or not) and send the case's request."""
    if role != "anonymous":
        client.force_login(w["users"][role])
    url = url_for(case, w, role)
    if case.method == "post":
        return client.post(url, case.data, **extra)
    return client.get(url, **extra)


def named_patterns(resolver=None, namespace: str = "") -> set[str]:
    """Every URL name reachable from the root URLconf, namespaced ("study:home")."""
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= named_patterns(pattern, inner)
        elif isinstance(pattern, URLPattern):
            names.add(f"{namespace}{pattern.name or f'<unnamed {pattern.pattern}>'}")
    return names


def all_callbacks(resolver=None):
    """(route, view) for every pattern, the admin's included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from all_callbacks(pattern)
        else:
            yield str(pattern.pattern), pattern.callback


def app_names() -> set[str]:
    """Named patterns outside the Django admin (covered by its own tests)."""
    return {name for name in named_patterns() if not name.startswith("admin:")}
