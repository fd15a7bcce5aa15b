from django.core.management.base import BaseCommand

from study.models import Comparison


class Command(BaseCommand):
    help = "Regenerate every comparison's cards from its facts and vignettes (in place, by key)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--comparison", help="Only this comparison slug")

    def handle(self, *args, comparison: str | None = None, **options) -> None:
        comparisons = Comparison.objects.all()
        if comparison:
            comparisons = comparisons.filter(slug=comparison)
        for item in comparisons:
            counts = item.generate_cards()
            summary = ", ".join(f"{value} {name}" for name, value in counts.items())
            self.stdout.write(f"{item.slug}: {summary}")
