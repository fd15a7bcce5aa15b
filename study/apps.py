from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "study"
    verbose_name = "Motor neuron study"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import accounts, signals  # noqa: F401
