from django.urls import path

from .views import study as views

app_name = "study"
urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("decks/<slug:slug>/", views.deck_detail, name="deck"),
    path("comparisons/<slug:slug>/", views.comparison_detail, name="comparison"),
    path("study/<slug:slug>/", views.study, name="study"),
    path("study/<slug:slug>/answer/", views.answer, name="answer"),
    path("study/<slug:slug>/review/", views.review, name="review"),
    path("study/<slug:slug>/undo/", views.undo, name="undo"),
]
