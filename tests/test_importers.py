"""Table import: parsing, row problems, limits, one-transaction commit, round trips."""

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from study import importers
from study.models import Attribute, Card, Comparison, Deck, Fact, ReviewLog
from tests.conftest import ROOT, answer

ARTICLE = (ROOT / "fixtures" / "source-article.txt").read_text(encoding="utf-8")
ARTICLE_TABLE = ARTICLE[ARTICLE.index("Upper Motor Neurons | Lower Motor Neurons |") :]
NAMES = [
    "Location",
    "Axon course",
    "Nervous system",
    "Regulation",
    "Cell body size",
    "Commands",
    "Diseases",
    "Classification",
    "Synapses",
    "Degeneration",
]
SMALL = "Attribute | Left side (L) | Right side (R) |\nTone | Increased | Decreased |\n"
SOURCE = "Purves et al., Neuroscience, 2nd ed."


def named(table: importers.Table, names=NAMES) -> importers.Table:
    for row, name in zip(table.rows, names, strict=True):
        row.name = name
    importers.validate(table)
    return table


def counts() -> tuple[int, ...]:
    models = (Comparison, Attribute, Fact, Card, Deck)
    return tuple(model.objects.count() for model in models)


def commit(table, **extra):
    return importers.commit_table(
        table=table, title=extra.pop("title", "Imported"), source=SOURCE, owner=None, **extra
    )


# --- parsing the source article -------------------------------------------------------


def test_article_table_gives_ten_rows_asking_for_names():
    table = importers.parse(ARTICLE_TABLE)
    assert len(table.rows) == 10
    assert not table.has_names
    asked = ["Name this attribute (e.g. “Location of cell body”)."]
    assert all(row.problems == asked for row in table.rows)


def test_article_header_gives_side_names_and_labels():
    table = importers.parse(ARTICLE_TABLE)
    assert (table.left_name, table.left_label) == ("Upper Motor Neurons", "UMN")
    assert (table.right_name, table.right_label) == ("Lower Motor Neurons", "LMN")


def test_committing_the_article_creates_ten_attributes_and_their_cards(db):
    table = named(importers.parse(ARTICLE_TABLE))
    result = commit(table, title="Article table")
    comparison = result.comparison
    assert comparison.attributes.count() == 10
    assert comparison.cards.filter(retired=False).count() == 30  # 2 recall + 1 contrast a row
    assert set(result.deck.cards.values_list("pk", flat=True)) == set(
        comparison.cards.values_list("pk", flat=True)
    )
    assert set(
        Fact.objects.filter(attribute__comparison=comparison).values_list("source", flat=True)
    ) == {SOURCE}


def test_three_column_table_takes_names_from_the_first_column():
    table = importers.parse("Attribute | UMN | LMN\nTone | Up | Down\n")
    assert table.has_names
    assert table.rows[0].name == "Tone"
    assert table.ok


def test_trailing_and_leading_pipes_are_optional():
    with_pipes = importers.parse("| A | B |\n| x | y |\n")
    without = importers.parse("A | B\nx | y\n")
    assert [(r.left, r.right) for r in with_pipes.rows] == [("x", "y")]
    assert [(r.left, r.right) for r in without.rows] == [("x", "y")]


def test_markdown_separator_line_is_skipped():
    table = importers.parse("Attribute | A | B |\n|---|---|---|\nTone | x | y |\n")
    assert len(table.rows) == 1


def test_escaped_pipe_stays_inside_its_cell():
    table = importers.parse("Attribute | A | B |\nTone | x \\| z | y |\n")
    assert table.rows[0].left == "x | z"
    assert table.ok


def test_csv_is_detected_and_parsed():
    table = importers.parse('Attribute,UMN,LMN\nTone,"Up, spastic",Down\n')
    assert (table.rows[0].name, table.rows[0].left) == ("Tone", "Up, spastic")


# --- malformed input: a message, and nothing written ------------------------------------


def test_ragged_row_is_marked():
    table = importers.parse("A | B |\nonly one cell |\n")
    assert "Ragged row: 1 cells where the header has 2." in table.rows[0].problems


def test_row_with_too_many_cells_keeps_the_extra_text_and_is_marked():
    table = importers.parse("Attribute | A | B |\nTone | x | y | z |\n")
    row = table.rows[0]
    assert row.extra == "z"
    assert any("more cells than the header" in p for p in row.problems)


def test_empty_cell_is_marked():
    table = importers.parse("Attribute | A | B |\nTone |  | y |\n")
    assert "The left cell is empty." in table.rows[0].problems


def test_too_long_cell_is_marked():
    table = importers.parse(f"Attribute | A | B |\nTone | {'x' * 2001} | y |\n")
    assert any("limit is 2,000" in p for p in table.rows[0].problems)


def test_cell_of_exactly_the_limit_is_accepted():
    table = importers.parse(f"Attribute | A | B |\nTone | {'x' * 2000} | y |\n")
    assert table.ok


def test_duplicate_attributes_are_marked_even_when_spelled_differently():
    table = importers.parse("Attribute | A | B |\nMuscle tone | x | y |\nmuscle-tone | u | v |\n")
    assert table.rows[1].problems == ["Duplicate attribute: “muscle-tone” is the same as row 1."]


def test_more_than_two_hundred_rows_is_refused():
    lines = "\n".join(f"Row {n} | a | b |" for n in range(201))
    with pytest.raises(importers.TableError, match="more than 200 rows"):
        importers.parse("Attribute | A | B |\n" + lines)


def test_two_hundred_rows_are_accepted():
    lines = "\n".join(f"Row {n} | a | b |" for n in range(200))
    assert len(importers.parse("Attribute | A | B |\n" + lines).rows) == 200


def test_paste_over_one_megabyte_is_refused():
    with pytest.raises(importers.TableError, match="larger than 1 MB"):
        importers.parse("A | B |\n" + "x | y |\n" * 150_000)


def test_non_utf8_bytes_are_refused():
    with pytest.raises(importers.TableError, match="not UTF-8"):
        importers.decode("Attribute;Tonus\nSpastik;Schlaff\n".encode("utf-16"))


def test_latin1_bytes_are_refused():
    with pytest.raises(importers.TableError, match="not UTF-8"):
        importers.decode("A | B |\nSpastizit\u00e4t | schlaff |\n".encode("latin-1"))


def test_binary_upload_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(importers.TableError, match="binary"):
        importers.decode(png)


def test_control_characters_in_pasted_text_are_refused():
    with pytest.raises(importers.TableError, match="binary or unreadable"):
        importers.parse("A | B |\nx\x07 | y |\n")


def test_header_with_four_columns_is_refused():
    with pytest.raises(importers.TableError, match="header has 4 columns"):
        importers.parse("A | B | C | D |\n1 | 2 | 3 | 4 |\n")


def test_empty_input_is_refused():
    with pytest.raises(importers.TableError, match="empty"):
        importers.parse("   \n\n")


def test_commit_refuses_a_table_with_problems_and_writes_nothing(db):
    table = importers.parse(ARTICLE_TABLE)  # names missing
    before = counts()
    with pytest.raises(ValueError, match="still has problems"):
        commit(table)
    assert counts() == before


def test_commit_refuses_an_empty_source(db):
    table = importers.parse(SMALL)
    with pytest.raises(ValueError, match="source"):
        importers.commit_table(table=table, title="T", source="  ", owner=None)
    assert counts() == (0, 0, 0, 0, 0)


cell = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from(
    ["", " ", "x" * 2001, "|", "\\|", "Tone", "tone", "a,b", '"q"', "=1+1"]
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=5), min_size=0, max_size=8),
    fmt=st.sampled_from(["pipe", "csv"]),
)
def test_random_tables_either_import_whole_or_write_nothing(db, rows, fmt):
    lines = ["Attribute | A | B |" if fmt == "pipe" else "Attribute,A,B"]
    lines += [(" | " if fmt == "pipe" else ",").join(cells) for cells in rows]
    before = counts()
    with transaction.atomic():
        try:
            table = importers.parse("\n".join(lines), fmt)
            result = commit(table, title="Random")
        except (importers.TableError, ValueError) as exc:
            assert str(exc)  # a message a person can read
            assert counts() == before  # commit_table's own transaction rolled back
        else:
            assert result.comparison.attributes.count() == len(table.rows)
        transaction.set_rollback(True)  # the next example starts from the same database


# --- round trips and re-import ----------------------------------------------------------


def contents(comparison: Comparison) -> list[tuple[str, str, str]]:
    return [(r.name, r.left.text, r.right.text) for r in comparison.rows()]


TRICKY = (
    "Attribute | Upper motor neuron (UMN) | Lower motor neuron (LMN) |\n"
    "Tone | Increased \\| spastic | Decreased, flaccid |\n"
    'Reflexes | =brisk, "quoted" | -absent \\\\ none |\n'
    "<b>HTML</b> | 'single' | line\\nbreak |\n"
)


@pytest.mark.parametrize(
    "exporter,fmt", [(importers.to_csv, "csv"), (importers.to_pipe_table, "pipe")]
)
def test_export_then_import_gives_the_same_content(db, exporter, fmt):
    original = commit(importers.parse(TRICKY), title="Tricky").comparison
    again = importers.parse(exporter(original), fmt)
    assert again.ok
    copy = commit(again, title="Tricky copy").comparison
    assert contents(copy) == contents(original)
    assert contents(original)[1] == ("Reflexes", '=brisk, "quoted"', "-absent \\ none")
    assert (copy.left_name, copy.left_label, copy.right_name, copy.right_label) == (
        "Upper motor neuron",
        "UMN",
        "Lower motor neuron",
        "LMN",
    )


def test_csv_export_guards_formulas_for_spreadsheets(db):
    comparison = commit(importers.parse(TRICKY), title="Tricky").comparison
    assert "'=brisk" in importers.to_csv(comparison)


@pytest.fixture
def imported(db):
    return commit(named(importers.parse(ARTICLE_TABLE)), title="Article").comparison


def test_reimport_keeps_card_primary_keys_and_review_logs(imported, learner):
    now = timezone.now()
    card = imported.cards.get(key=f"{imported.slug}:location:recall:left")
    answer(learner, card, 3, now)
    keys_before = dict(imported.cards.values_list("key", "pk"))
    edited = importers.parse(importers.to_pipe_table(imported), "pipe")
    edited.rows[0].left = "Cell bodies in the motor cortex and brainstem."
    result = commit(edited, title="Article", comparison=imported)
    assert not result.created
    assert dict(imported.cards.values_list("key", "pk")) == keys_before
    card.refresh_from_db()
    assert card.back == "Cell bodies in the motor cortex and brainstem."
    assert ReviewLog.objects.filter(user=learner, card=card).count() == 1
    assert result.cards["updated"] >= 1 and result.cards["created"] == 0


def test_reimport_changes_the_fact_text_in_place(imported):
    fact = Fact.objects.get(attribute__comparison=imported, attribute__key="location", side="left")
    edited = importers.parse(importers.to_csv(imported), "csv")
    edited.rows[0].left = "Motor cortex and brainstem."
    commit(edited, title="Article", comparison=imported)
    fact.refresh_from_db()
    assert fact.text == "Motor cortex and brainstem."
    card = Card.objects.get(key=f"{imported.slug}:location:recall:left")
    assert card.back == "Motor cortex and brainstem."


def test_removed_rows_retire_their_cards_but_keep_them(imported):
    edited = importers.parse(importers.to_csv(imported), "csv")
    edited.rows = edited.rows[1:]
    total = Card.objects.count()
    result = commit(edited, title="Article", comparison=imported)
    assert result.cards["retired"] == 3
    assert Card.objects.count() == total
    assert Card.objects.get(key=f"{imported.slug}:location:contrast").retired
    assert not result.deck.cards.filter(key=f"{imported.slug}:location:contrast").exists()
    assert imported.attributes.count() == 9


def test_reimport_does_not_create_a_second_deck(imported):
    decks = Deck.objects.count()
    commit(importers.parse(importers.to_csv(imported), "csv"), title="Article", comparison=imported)
    assert Deck.objects.count() == decks


def test_unchanged_facts_keep_their_own_source(imported):
    fact = Fact.objects.get(attribute__comparison=imported, attribute__key="location", side="left")
    Fact.objects.filter(pk=fact.pk).update(source="Kandel, Principles")
    importers.commit_table(
        table=importers.parse(importers.to_csv(imported), "csv"),
        title="Article",
        source="A new citation",
        owner=None,
        comparison=imported,
    )
    fact.refresh_from_db()
    assert fact.source == "Kandel, Principles"


def test_imported_comparison_slug_is_made_unique(db):
    first = commit(importers.parse(TRICKY), title="Motor table").comparison
    second = commit(importers.parse(TRICKY), title="Motor table").comparison
    assert (first.slug, second.slug) == ("motor-table", "motor-table-2")


def test_instructor_import_is_owned_by_the_instructor(db, instructor):
    result = importers.commit_table(
        table=importers.parse(TRICKY), title="Mine", source=SOURCE, owner=instructor
    )
    assert result.comparison.owner == instructor
    assert result.deck.owner == instructor
