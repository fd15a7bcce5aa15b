from .classroom import Assignment, Classroom, Enrollment
from .content import Attribute, Card, CardKind, Comparison, Deck, Fact, Group, Side, Vignette
from .review import (
    Rating,
    ReviewKind,
    ReviewLog,
    ReviewState,
    State,
    StudyDay,
    StudyProfile,
)

__all__ = [
    "Assignment",
    "Classroom",
    "Enrollment",
    "Attribute",
    "Card",
    "CardKind",
    "Comparison",
    "Deck",
    "Fact",
    "Group",
    "Rating",
    "ReviewKind",
    "ReviewLog",
    "ReviewState",
    "Side",
    "State",
    "StudyDay",
    "StudyProfile",
    "Vignette",
]
