"""A table a leader page shows and exports: one build feeds both the page and its CSV, so the
download always holds the figures on screen."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Cell:
    """``value`` goes to the CSV; ``text`` is what the page shows (the value when empty);
    ``href`` drills to the accounts behind the figure."""

    value: object
    text: str = ""
    href: str | None = None

    def __str__(self) -> str:
        if self.text:
            return self.text
        return "—" if self.value is None or self.value == "" else str(self.value)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    caption: str
    headers: Sequence[str]
    rows: list[list[Cell]] = field(default_factory=list)
    numeric_from: int = 1  # columns from this one on are figures, aligned right
    note: str = ""

    def csv_rows(self) -> list[list[object]]:
        return [["" if cell.value is None else cell.value for cell in row] for row in self.rows]
