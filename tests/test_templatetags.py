"""`format_each` (study/templatetags/markup.py): the HTML of a `{% for %}` loop around the
same markup, for the values the dashboard gives it."""

from __future__ import annotations

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.utils.safestring import SafeString

MARKUP = '<td class="s-{status}" title="100%">{label}<b>{subject}</b></td>'

ITEMS = [
    {"status": SafeString("done"), "label": "Done", "subject": SafeString("amy &amp; bo")},
    {"status": "on_track", "label": '<i>"x" & y</i>', "subject": "it's 5 % <b>"},
    {"status": SafeString("behind"), "label": SafeString("<em>Behind</em>"), "subject": ""},
]


def render(source: str, **context) -> str:
    return Template("{% load markup %}" + source).render(Context(context))


def test_format_each_gives_the_html_of_a_for_loop_around_the_same_markup():
    loop = render(
        '{% for i in items %}<td class="s-{{ i.status }}" title="100%">{{ i.label }}'
        "<b>{{ i.subject }}</b></td>{% endfor %}",
        items=ITEMS,
    )
    assert render("{{ items|format_each:'" + MARKUP + "' }}", items=ITEMS) == loop
    # What that HTML is: unsafe values escaped, safe ones and the markup's own % as written.
    assert "&lt;i&gt;&quot;x&quot; &amp; y&lt;/i&gt;" in loop
    assert "it&#x27;s 5 % &lt;b&gt;" in loop
    assert "<b>amy &amp; bo</b>" in loop and "<em>Behind</em>" in loop
    assert loop.count('title="100%"') == 3


def test_format_each_of_no_items_is_empty():
    assert render("[{{ items|format_each:'<td>{label}</td>' }}]", items=[]) == "[]"


def test_format_each_refuses_markup_that_is_not_a_literal_of_the_template():
    with pytest.raises(TemplateSyntaxError, match="must be a string literal"):
        render("{{ items|format_each:markup }}", items=ITEMS, markup="<td>{label}</td>")
