"""Fit FSRS parameters to learners' own review logs (for admins and cron)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from study import optimizer
from study.models import ReviewLog, StudyProfile


class Command(BaseCommand):
    help = "Optimize the FSRS parameters of one learner (--user) or of every learner (--all)."

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--user", help="Username of the learner to optimize")
        who.add_argument("--all", action="store_true", help="Every learner with reviews")
        parser.add_argument(
            "--reschedule",
            action="store_true",
            help="Also replay each card's history under the new parameters",
        )

    def handle(self, *args, **options) -> None:
        profiles = StudyProfile.objects.select_related("user").order_by("user__username")
        if options["user"]:
            username = options["user"]
            if not get_user_model().objects.filter(username=username).exists():
                raise CommandError(f"No user called “{username}”.")
            profiles = profiles.filter(user__username=username)
        else:
            learners = ReviewLog.objects.values("user_id").distinct()
            profiles = profiles.filter(user_id__in=learners)
        profiles = list(profiles)
        show_progress = options["all"]
        counts: dict[str, int] = {}
        for done, profile in enumerate(profiles, start=1):
            result = optimizer.optimize(
                user=profile.user, profile=profile, reschedule=options["reschedule"]
            )
            counts[result.status] = counts.get(result.status, 0) + 1
            if show_progress:
                self.stderr.write(_bar(done, len(profiles)), ending="\r")
                self.stderr.flush()
            if options["verbosity"] >= 2 or not show_progress:
                self.stdout.write(f"{profile.user.username}: {_line(result)}")
        if show_progress:
            self.stderr.write("")
        summary = ", ".join(f"{n} {status.replace('_', ' ')}" for status, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"Optimized {len(profiles)} learner(s): {summary or 'nothing to do'}."
            )
        )


def _bar(done: int, total: int, width: int = 30) -> str:
    filled = round(width * done / total) if total else width
    return f"[{'#' * filled}{'.' * (width - filled)}] {done}/{total}"


def _line(result: optimizer.Result) -> str:
    if result.old is None or result.new is None:
        return result.message
    return (
        f"{result.message} (log loss {result.old.log_loss:.4f} -> {result.new.log_loss:.4f}, "
        f"RMSE {result.old.rmse_percent} -> {result.new.rmse_percent})"
    )
