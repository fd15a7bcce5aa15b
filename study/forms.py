from django.contrib.auth.forms import UserCreationForm


class SignupForm(UserCreationForm):
    """Sign-up makes a plain learner: never staff, never an instructor."""

    class Meta(UserCreationForm.Meta):
        fields = ("username",)
