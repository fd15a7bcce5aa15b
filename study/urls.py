from django.urls import path

from .views import insight
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
    # learner insight: statistics, memory map, settings, parameter optimization
    path("stats/", insight.stats_page, name="stats"),
    path("stats/rows/<int:attribute_id>/study/", insight.study_row, name="study_row"),
    path("settings/", insight.settings_page, name="settings"),
    path("settings/optimize/", insight.optimize, name="optimize"),
]
