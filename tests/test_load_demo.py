from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import call_command


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"auth", "study"}
    }


def test_load_demo_creates_the_three_roles(content):
    call_command("load_demo", verbosity=0)
    assert User.objects.get(username="admin").is_superuser
    assert User.objects.get(username="instructor").groups.filter(name="Instructors").exists()
    learner = User.objects.get(username="learner")
    assert not learner.is_staff and not learner.groups.exists()
    assert learner.check_password("motorneuron")
    assert User.objects.count() >= 6


def test_load_demo_is_idempotent(content):
    call_command("load_demo", verbosity=0)
    first = row_counts()
    passwords = sorted(User.objects.values_list("username", "password"))
    call_command("load_demo", verbosity=0)
    assert row_counts() == first
    assert sorted(User.objects.values_list("username", "password")) == passwords
