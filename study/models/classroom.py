"""Classrooms: an instructor's class, who is enrolled, and which decks are assigned when.

Progress is never stored here: it derives from ReviewState / ReviewLog.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from .content import Deck

# No 0/O, 1/I/L: codes are read aloud in lecture halls and typed on phones.
JOIN_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
JOIN_CODE_LENGTH = 8

# The auth group whose members may create classrooms and decks (admins may too).
INSTRUCTORS = "Instructors"


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class ClassroomQuerySet(models.QuerySet):
    def for_instructor(self, user) -> ClassroomQuerySet:
        """Classrooms this user may manage: their own, or all for admins."""
        if user.is_staff:
            return self.all()
        return self.filter(owner=user.pk)

    def for_learner(self, user) -> ClassroomQuerySet:
        return self.filter(enrollments__user=user.pk)

    def active(self) -> ClassroomQuerySet:
        return self.filter(archived=False)


class Classroom(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="owned_classrooms"
    )
    name = models.CharField(max_length=120)
    join_code = models.CharField(max_length=16, unique=True, default=new_join_code)
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClassroomQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name

    def regenerate_join_code(self) -> None:
        self.join_code = new_join_code()
        self.save(update_fields=["join_code"])


class Enrollment(models.Model):
    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="enrollments")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="enrollments"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["classroom", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "user"], name="one_enrollment_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.classroom}"


class Assignment(models.Model):
    """A deck assigned to a classroom with a due date and a memory target."""

    classroom = models.ForeignKey(Classroom, on_delete=models.CASCADE, related_name="assignments")
    deck = models.ForeignKey(Deck, on_delete=models.PROTECT, related_name="assignments")
    due_date = models.DateField()
    target_recall = models.FloatField(
        default=0.8, help_text="Predicted recall every card should have on the due date"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["classroom", "deck"], name="one_assignment_per_deck"),
            models.CheckConstraint(
                condition=Q(target_recall__gt=0) & Q(target_recall__lte=1),
                name="target_recall_is_probability",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deck} for {self.classroom} by {self.due_date}"
