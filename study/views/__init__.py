"""Views, one module per area: study loop (study.py), classrooms, insight (stats/settings)."""
