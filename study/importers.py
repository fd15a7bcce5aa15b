"""Comparison tables in and out: pipe tables and CSV -> rows with problems -> one transaction.

The formats are the ones people paste. A pipe table has a header line `Left | Right |`
(optionally `Attribute | Left | Right |`) and one row per line; leading and trailing pipes
are optional. CSV has the same columns. A side may be written `Upper motor neuron (UMN)`
to give its short label. Nothing here writes to the database except `commit_table`,
which re-validates every row itself, so no caller can write a table the preview would
refuse.

Export writes the same formats (always with the attribute column), so export -> import
gives the same attribute names, texts, side names and labels.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from .accounts import FORMULA_STARTS
from .models import Attribute, Comparison, Deck, Fact, Group, Side

MAX_ROWS = 200
MAX_CELL = 2000
MAX_BYTES = 1024 * 1024  # 1 MB of UTF-8, pasted or uploaded
MAX_NAME = 120  # Attribute.name
MAX_SIDE_NAME = 100  # Comparison.left_name
MAX_LABEL = 20  # Comparison.left_label
ROW_GROUPS = [(value, label) for value, label in Group.choices if value != Group.VIGNETTES]
DEFAULT_GROUP = Group.ANATOMY
_SEPARATOR_LINE = re.compile(r"^[\s|:]*-{3,}[\s|:\-]*$")  # a Markdown `---|---` line
_LABELLED = re.compile(r"^(?P<name>.+?)\s*\((?P<label>[^()]{1,20})\)$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")  # allows tab, newlines, form feed
_ROW_DECK_SLUG = re.compile(r"^row-\d+-\d+$")  # private row-study decks (stats.study_row_deck)


class TableError(ValueError):
    """The input as a whole cannot be read as a table (the message says why)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    """One table row as it will be stored; `extra` holds cells beyond the header's columns."""

    name: str
    left: str
    right: str
    group: str = DEFAULT_GROUP
    extra: str = ""
    ragged: str = ""  # found while parsing: the row's cell count differs from the header's
    problems: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return attribute_key(self.name)


@dataclass
class Table:
    left_name: str
    right_name: str
    left_label: str
    right_label: str
    rows: list[Row]
    has_names: bool  # three columns: the first one names the attribute

    @property
    def ok(self) -> bool:
        return not any(row.problems for row in self.rows)


def attribute_key(name: str) -> str:
    """The stable part of an attribute's card keys: re-importing a renamed-case row keeps it."""
    return slugify(name)[:60].strip("-")


# --- reading ------------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """Uploaded bytes -> text; refuses large, binary and non-UTF-8 input with a message."""
    if len(data) > MAX_BYTES:
        raise TableError(f"The file is larger than 1 MB ({len(data):,} bytes); split the table.")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise TableError("The file is UTF-16 text, not UTF-8. Save it as “CSV UTF-8” and retry.")
    if b"\x00" in data:
        raise TableError("This looks like a binary file, not a text table. Upload a .csv or .txt.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            f"The file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
            "Save it as “CSV UTF-8” or plain UTF-8 text and upload it again."
        ) from exc
    return text


def check_text(text: str) -> None:
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise TableError("The pasted table is larger than 1 MB; split it into smaller tables.")
    if _CONTROL.search(text) or "\ufffd" in text:
        raise TableError(
            "The text contains binary or unreadable characters (control codes); "
            "paste or upload plain text."
        )


def detect_format(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    return "pipe" if "|" in first else "csv"


def parse(text: str, fmt: str = "auto") -> Table:
    """Text -> Table with per-row problems. Raises TableError for a table that cannot be read."""
    check_text(text)
    if fmt == "auto":
        fmt = detect_format(text)
    records = _pipe_records(text) if fmt == "pipe" else _csv_records(text)
    if not records:
        raise TableError("The table is empty: paste a header line and at least one row.")
    header, body = records[0], records[1:]
    if len(header) not in (2, 3):
        raise TableError(
            f"The header has {len(header)} columns; write “Left | Right |” (2 columns) or "
            "“Attribute | Left | Right |” (3 columns)."
        )
    if not body:
        raise TableError("The table has a header but no rows.")
    if len(body) > MAX_ROWS:
        raise TableError(f"The table has more than {MAX_ROWS} rows; split it into smaller tables.")
    has_names = len(header) == 3
    left_name, left_label = side_name(header[-2], "left")
    right_name, right_label = side_name(header[-1], "right")
    rows = [_row(cells, has_names) for cells in body]
    table = Table(left_name, right_name, left_label, right_label, rows, has_names)
    validate(table)
    return table


def side_name(cell: str, side: str) -> tuple[str, str]:
    """`Upper motor neuron (UMN)` -> (name, label); without a label, initials of long names."""
    cell = " ".join(cell.split())
    if not cell:
        raise TableError(f"The header's {side} column has no name: write e.g. “UMN | LMN |”.")
    match = _LABELLED.match(cell)
    name, label = (match["name"], match["label"].strip()) if match else (cell, "")
    if len(name) > MAX_SIDE_NAME:
        raise TableError(
            f"The header's {side} column name is longer than {MAX_SIDE_NAME} characters."
        )
    if not label:
        words = re.findall(r"\w+", name)
        label = name if len(name) <= 12 or len(words) < 2 else "".join(w[0] for w in words)
        label = label.upper() if label != name else label
    return name, label[:MAX_LABEL]


def _row(cells: list[str], has_names: bool) -> Row:
    columns = 3 if has_names else 2
    ragged = f"Ragged row: {len(cells)} cells where the header has {columns}."
    padded = cells + [""] * (columns - len(cells))
    return Row(
        name=padded[0] if has_names else "",
        left=padded[columns - 2],
        right=padded[columns - 1],
        extra=" | ".join(padded[columns:]),
        ragged=ragged if len(cells) != columns else "",
    )


def _pipe_records(text: str) -> list[list[str]]:
    records = []
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or (records and _SEPARATOR_LINE.match(stripped)):
            continue
        records.append(split_pipe_line(stripped))
        if len(records) > MAX_ROWS + 1:
            break  # enough to say "too many rows" without reading a huge paste
    return records


def split_pipe_line(line: str) -> list[str]:
    """`a | b \\| c |` -> ["a", "b | c"]; leading and trailing pipes are optional."""
    cells, current, chars = [], [], iter(line)
    for ch in chars:
        if ch == "\\":
            following = next(chars, "")
            current.append({"|": "|", "\\": "\\", "n": "\n"}.get(following, ch + following))
        elif ch == "|":
            cells.append("".join(current))
            current = []
        else:
            current.append(ch)
    cells.append("".join(current))
    # An unescaped pipe at either end leaves an empty outer cell: drop it.
    if len(cells) > 1 and not cells[-1].strip():
        cells = cells[:-1]
    if len(cells) > 1 and line.startswith("|") and not cells[0].strip():
        cells = cells[1:]
    return [cell.strip() for cell in cells]


def _csv_records(text: str) -> list[list[str]]:
    records = []
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            records.append([_unguard(cell.strip()) for cell in cells])
            if len(records) > MAX_ROWS + 1:
                break
    except csv.Error as exc:
        raise TableError(f"The CSV cannot be read near line {reader.line_num}: {exc}.") from exc
    return records


def _needs_guard(cell: str) -> bool:
    return cell.startswith(FORMULA_STARTS) or (cell.startswith("'") and _needs_guard(cell[1:]))


def _guard(cell: str) -> str:
    return "'" + cell if _needs_guard(cell) else cell


def _unguard(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and _needs_guard(cell[1:]) else cell


# --- checking -----------------------------------------------------------------------------


def validate(table: Table) -> bool:
    """Add every row's problems (keeps problems found while parsing). True if none."""
    seen: dict[str, int] = {}
    for number, row in enumerate(table.rows, start=1):
        row.problems = ([row.ragged] if row.ragged else []) + row_problems(row)
        key = row.key
        if key and key in seen:
            row.problems.append(
                f"Duplicate attribute: “{row.name}” is the same as row {seen[key]}."
            )
        elif key:
            seen[key] = number
    if len(table.rows) > MAX_ROWS:
        table.rows[MAX_ROWS].problems.append(f"More than {MAX_ROWS} rows: split the table.")
    return table.ok


def row_problems(row: Row) -> list[str]:
    problems = []
    if not row.name.strip():
        problems.append("Name this attribute (e.g. “Location of cell body”).")
    elif len(row.name) > MAX_NAME:
        problems.append(f"The attribute name is longer than {MAX_NAME} characters.")
    elif not row.key:
        problems.append("The attribute name needs at least one letter or digit.")
    for side, text in (("left", row.left), ("right", row.right)):
        if not text.strip():
            problems.append(f"The {side} cell is empty.")
        elif len(text) > MAX_CELL:
            problems.append(
                f"The {side} cell has {len(text):,} characters; the limit is {MAX_CELL:,}."
            )
    if row.extra.strip():
        problems.append("This row has more cells than the header: move or delete the extra text.")
    if row.group not in dict(ROW_GROUPS):
        problems.append("Pick one of the listed groups.")
    return problems


# --- writing ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    comparison: Comparison
    deck: Deck
    created: bool
    cards: dict[str, int]


def unique_slug(model, text: str, *, fallback: str, max_length: int = 50) -> str:
    base = slugify(text)[: max_length - 4].strip("-") or fallback
    if _ROW_DECK_SLUG.match(base):
        base = f"deck-{base}"[: max_length - 4]
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def commit_table(
    *,
    table: Table,
    title: str,
    source: str,
    owner,
    comparison: Comparison | None = None,
) -> ImportResult:
    """Write comparison, attributes, facts, cards and a deck, or nothing (ValueError).

    Updating an existing comparison keeps attribute keys, so cards keep their primary keys
    and review history; rows no longer in the table are deleted, which retires their cards.
    A fact whose text did not change keeps its own source; new or changed text gets `source`.
    """
    if not validate(table) or not table.rows:
        raise ValueError("The table still has problems; nothing was imported.")
    if not source.strip() or not title.strip():
        raise ValueError("A comparison needs a name and a source.")
    created = comparison is None
    if comparison is None:
        comparison = Comparison(slug=unique_slug(Comparison, title, fallback="comparison"))
        comparison.owner = owner
    else:
        comparison = Comparison.objects.select_for_update().get(pk=comparison.pk)
    comparison.title = title.strip()
    comparison.source = source.strip()
    comparison.left_name, comparison.right_name = table.left_name, table.right_name
    comparison.left_label, comparison.right_label = table.left_label, table.right_label
    comparison.save()

    existing = {a.key: a for a in comparison.attributes.prefetch_related("facts")}
    for order, row in enumerate(table.rows, start=1):
        attribute = existing.pop(row.key, None) or Attribute(comparison=comparison, key=row.key)
        if attribute.name != row.name:
            attribute.question = _question(row.name)
        attribute.name, attribute.order, attribute.group = row.name, order, row.group
        attribute.save()
        facts = {f.side: f for f in attribute.facts.all()} if attribute.pk else {}
        for side, text in ((Side.LEFT, row.left.strip()), (Side.RIGHT, row.right.strip())):
            fact = facts.get(side) or Fact(attribute=attribute, side=side)
            if fact.text != text or not fact.source:
                fact.text, fact.source = text, source.strip()
                fact.save()
    for attribute in existing.values():
        attribute.delete()  # its facts go; its cards stay (retired) for the review logs

    deck = comparison.decks.filter(owner=comparison.owner).exclude(groups=[]).first()
    if deck is None:
        deck = Deck.objects.create(
            slug=unique_slug(Deck, title, fallback="deck"),
            name=title.strip(),
            description=f"Every card of “{title.strip()}”.",
            comparison=comparison,
            groups=[value for value, _ in Group.choices],
            owner=comparison.owner,
            order=500,
        )
    counts = comparison.generate_cards()  # also re-syncs the group decks
    return ImportResult(comparison=comparison, deck=deck, created=created, cards=counts)


def _question(name: str) -> str:
    # "Location of cell body" -> "location of cell body", but "EMG findings" stays.
    if len(name) > 1 and name[0].isupper() and name[1].islower():
        return name[0].lower() + name[1:]
    return name


# --- export -------------------------------------------------------------------------------


def table_of(comparison: Comparison) -> Table:
    rows = [
        Row(
            name=attribute.name,
            left=attribute.left.text if attribute.left else "",
            right=attribute.right.text if attribute.right else "",
            group=attribute.group,
        )
        for attribute in comparison.rows()
    ]
    return Table(
        comparison.left_name,
        comparison.right_name,
        comparison.left_label,
        comparison.right_label,
        rows,
        has_names=True,
    )


def _header(table: Table) -> list[str]:
    return [
        "Attribute",
        f"{table.left_name} ({table.left_label})",
        f"{table.right_name} ({table.right_label})",
    ]


def to_csv(comparison: Comparison) -> str:
    table = table_of(comparison)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_header(table))
    for row in table.rows:
        writer.writerow([_guard(row.name), _guard(row.left), _guard(row.right)])
    return out.getvalue()


def escape_pipe_cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r\n", "\n").replace("\n", "\\n")


def to_pipe_table(comparison: Comparison) -> str:
    table = table_of(comparison)
    lines = [" | ".join(_header(table)) + " |"]
    for row in table.rows:
        cells = (row.name, row.left, row.right)
        lines.append(" | ".join(escape_pipe_cell(cell) for cell in cells) + " |")
    return "\n".join(lines) + "\n"
