from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

DEMO_PASSWORD = "motorneuron"
INSTRUCTORS = "Instructors"
DEMO_LEARNERS = ["learner", "amira", "ben", "chen", "dana", "eli"]


class Command(BaseCommand):
    help = "Create the demo accounts (password 'motorneuron'). Idempotent."

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
