"""Thin function views: parse, call the model / queue / scheduling code, render."""

from __future__ import annotations

import secrets
from functools import lru_cache

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.db.models import Count, FilteredRelation, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import catalog, progress, queue, scheduling
from ..forms import SignupForm
from ..models import Card, Comparison, Deck, Rating, ReviewState

TOKEN_SALT = "study.review"
TOKEN_MAX_AGE = 60 * 60 * 24  # an answer form older than a day is stale


# --- pages ------------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("study:home")
    form = SignupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend="study.backends.ProfileModelBackend")
        messages.success(request, "Welcome! Pick a deck to start studying.")
        return redirect("study:home")
    return render(request, "registration/signup.html", {"form": form}, status=_form_status(form))


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    profile = request.user.study_profile
    now = timezone.now()
    day = profile.study_day(now)
    done = queue.done_today(user=request.user, profile=profile, now=now)
    decks = (
        Deck.objects.visible_to(request.user)
        .annotate(mine=FilteredRelation("cards__review_states", condition=_mine(request.user)))
        .annotate(
            card_count=Count("cards", filter=Q(cards__retired=False), distinct=True),
            new_count=Count("cards", filter=Q(cards__retired=False, mine__isnull=True)),
            due_count=Count(
                "cards", filter=Q(cards__retired=False, mine__due__lt=day.end, mine__isnull=False)
            ),
        )
    )
    new_left = max(0, profile.new_per_day - done.new)
    for deck in decks:
        deck.new_today = min(deck.new_count, new_left)
    # Assigned decks come first, with the learner's own progress toward each target.
    assigned = progress.learner_assignments(user=request.user, now=now)
    return render(request, "study/home.html", {"decks": decks, "done": done, "assigned": assigned})


def _mine(user) -> Q:
    return Q(cards__review_states__user=user)


@require_GET
def deck_detail(request: HttpRequest, slug: str) -> HttpResponse:
    deck = get_object_or_404(Deck.objects.visible_to(request.user), slug=slug)
    profile = request.user.study_profile
    now = timezone.now()
    counts = queue.plan(user=request.user, profile=profile, deck=deck, now=now).counts
    cards = deck.cards.active().select_related("attribute")
    return render(request, "study/deck.html", {"deck": deck, "cards": cards, "counts": counts})


@require_GET
def comparison_detail(request: HttpRequest, slug: str) -> HttpResponse:
    comparison = get_object_or_404(Comparison.objects.visible_to(request.user), slug=slug)
    return render(
        request,
        "study/comparison.html",
        {
            "comparison": comparison,
            "rows": comparison.rows(),
            "vignettes": comparison.vignettes.all(),
        },
    )


# --- the study loop -----------------------------------------------------------


def _deck_for(request: HttpRequest, slug: str) -> Deck:
    deck = catalog.for_user(request.user).deck(slug)
    if deck is None or not deck.is_visible_to(request.user):
        raise Http404("No such deck.")
    return deck


@lru_cache(maxsize=1024)
def _deck_urls(script_prefix: str, slug: str) -> dict[str, str]:
    return {
        name: escape(reverse(f"study:{name}", args=[slug]))
        for name in ("deck", "answer", "review", "undo")
    }


def _study_urls(deck: Deck) -> dict[str, str]:
    """The study page's URLs for this deck, reversed and escaped once per process (reversing
    them on every render was a third of the page's template time)."""
    return _deck_urls(get_script_prefix(), deck.slug)


def _sign(payload: dict) -> str:
    return signing.dumps(payload, salt=TOKEN_SALT, compress=False)


def _study_context(
    request: HttpRequest, deck: Deck, *, show_card: Card | None = None, error: str = ""
) -> dict:
    """Everything the study page shows: progress line and the next card's front."""
    user, profile, now = request.user, request.user.study_profile, timezone.now()
    today = queue.plan(user=user, profile=profile, deck=deck, now=now)
    context = {
        "deck": deck,
        "urls": _study_urls(deck),
        "counts": today.counts,
        "done": today.done,
        "error": error,
        "stage": "front",
    }
    if show_card is not None:
        card = show_card
    elif today.next_card_id is not None:
        card = catalog.for_user(user).cards(deck)[today.next_card_id]
    else:
        context["stage"] = "done"
        context["next_due"] = today.next_due
        return context
    context |= {
        "card": card,
        "token": _sign(
            {
                "d": deck.pk,
                "c": card.pk,
                "v": today.version_for(card.pk),
                "n": secrets.token_urlsafe(12),
                "s": int(now.timestamp() * 1000),
            }
        ),
    }
    return context


def _render_study(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    template = "study/study.html#study" if request.htmx else "study/study.html"
    return render(request, template, context, status=status)


@require_GET
def study(request: HttpRequest, slug: str) -> HttpResponse:
    deck = _deck_for(request, slug)
    show_card = None
    if card_id := request.GET.get("card", ""):
        show_card = _card_in_deck(request, deck, card_id)
    return _render_study(request, _study_context(request, deck, show_card=show_card))


def _card_in_deck(request: HttpRequest, deck: Deck, card_id: str) -> Card:
    # isdecimal, not isdigit: int("²") raises; and a 5000-digit id is not an id either.
    card = None
    if card_id.isdecimal() and len(card_id) <= 18:
        card = catalog.for_user(request.user).cards(deck).get(int(card_id))
    if card is None:
        raise Http404("No such card in this deck.")
    return card


def _load_token(request: HttpRequest, deck: Deck, raw: str) -> dict | None:
    try:
        payload = signing.loads(raw, salt=TOKEN_SALT, max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("d") != deck.pk:
        return None
    return payload


@require_GET
def answer(request: HttpRequest, slug: str) -> HttpResponse:
    deck = _deck_for(request, slug)
    payload = _load_token(request, deck, request.GET.get("t", ""))
    if payload is None:
        context = _study_context(
            request, deck, error="That card form had expired, so here is the next card."
        )
        return _render_study(request, context, status=400)
    card = _card_in_deck(request, deck, str(payload["c"]))
    profile, now = request.user.study_profile, timezone.now()
    today = queue.plan(user=request.user, profile=profile, deck=deck, now=now, card_id=card.pk)
    state = today.state_for(card.pk)
    if state is not None:
        payload["st"] = state.to_form()  # the review computes from it without a read
    context = {
        "deck": deck,
        "urls": _study_urls(deck),
        "card": card,
        "state": state,
        "stage": "answer",
    }
    if card.is_identify:
        choice = request.GET.get("choice", "")
        if choice not in card.choices:
            error = "Pick one of the choices."
            context = _study_context(request, deck, show_card=card, error=error)
            return _render_study(request, context, status=400)
        payload["w"] = int(choice != card.answer)
        context |= {"choice": choice, "correct": choice == card.answer}
    outcomes = scheduling.preview(
        profile=profile, user_id=request.user.pk, card_id=card.pk, state=state, now=now
    )
    wrong = payload.get("w") == 1
    context |= {
        "token": _sign(payload),
        "buttons": [
            {"rating": rating, "label": Rating(rating).label, "interval": outcomes[rating].label}
            for rating in ([Rating.AGAIN] if wrong else Rating.values)
            if not (card.is_identify and not wrong and rating == Rating.AGAIN)
        ],
        "counts": today.counts,
    }
    return _render_study(request, context)


def _shown_state(request: HttpRequest, payload: dict) -> ReviewState | None:
    """The state the answer form showed, as it signed it. None (the review then reads the
    row) for a new card's form, and for a form signed by a release that carried no state,
    or carried it in another shape."""
    try:
        return ReviewState.from_form(payload["st"], user_id=request.user.pk, card_id=payload["c"])
    except (KeyError, TypeError, ValueError):
        return None


@require_POST
def review(request: HttpRequest, slug: str) -> HttpResponse:
    deck = _deck_for(request, slug)
    payload = _load_token(request, deck, request.POST.get("t", ""))
    if payload is None:
        error = "That answer form was invalid or had expired; nothing was recorded."
        return _render_study(request, _study_context(request, deck, error=error), status=400)
    raw_rating = request.POST.get("rating", "")
    rating = int(raw_rating) if raw_rating in {"1", "2", "3", "4"} else 0
    if payload.get("w") == 1:
        rating = Rating.AGAIN  # a wrong choice on an identify card is graded Again
    now = timezone.now()
    try:
        scheduling.review(
            user=request.user,
            profile=request.user.study_profile,
            card_id=payload["c"],
            rating=rating,
            expected_version=payload["v"],
            token=payload["n"],
            now=now,
            duration_ms=int(now.timestamp() * 1000) - int(payload.get("s", 0)),
            shown=_shown_state(request, payload),
        )
    except scheduling.DuplicateReview:
        pass  # answered already: show the same next card as the first submit did
    except scheduling.ReviewError as exc:
        return _render_study(
            request, _study_context(request, deck, error=exc.message), status=exc.status
        )
    if request.htmx:
        return _render_study(request, _study_context(request, deck))
    return redirect("study:study", slug=deck.slug)


@require_POST
def undo(request: HttpRequest, slug: str) -> HttpResponse:
    deck = _deck_for(request, slug)
    undone = scheduling.undo_last(user=request.user, card_ids=deck.cards.values("pk"))
    if undone is None:
        context = _study_context(request, deck, error="Nothing to undo in this deck.")
        return _render_study(request, context, status=409 if request.htmx else 200)
    if request.htmx:
        # A card retired since it was answered is not shown again: the next card is.
        card = catalog.for_user(request.user).cards(deck).get(undone.card_id)
        context = _study_context(request, deck, show_card=card)
        context["undone"] = True
        return _render_study(request, context)
    return redirect(reverse("study:study", args=[deck.slug]) + f"?card={undone.card_id}")


def _form_status(form) -> int:
    return 400 if form.is_bound and form.errors else 200
