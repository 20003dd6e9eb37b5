"""The data dictionary: every column described once, and the README and docs/data-dictionary.md made from it."""

from __future__ import annotations

from pathlib import Path

from finsync.warehouse.dictionary import data_dictionary, tables, views, with_generated_sections

ROOT = Path(__file__).resolve().parents[2]


def test_every_table_column_and_view_column_has_a_description() -> None:
    described = (*tables(), *views())
    assert {d.name for d in described} >= {"ym.invoice_items", "younium.invoices", "analytics.revenue_by_month"}
    blank = [f"{d.name}.{name}" for d in described for name, _kind, doc in d.columns if not doc.strip()]
    assert not blank, f"columns without a description: {blank}"
    assert all(d.doc.strip() and d.columns for d in described)


def test_personal_columns_say_they_are_left_out_under_pii_drop() -> None:
    items = next(d for d in tables() if d.name == "ym.invoice_items")
    docs = dict((name, doc) for name, _kind, doc in items.columns)
    assert 'pii = "drop"' in docs["email_address"] and 'pii = "drop"' in docs["payment_card_number"]
    assert "pii" not in docs["line_total"]


def test_the_readme_and_the_data_dictionary_are_generated_from_the_declarations() -> None:
    readme = (ROOT / "README.md").read_text()
    assert with_generated_sections(readme) == readme, "README is stale: run python -m finsync.warehouse.dictionary"
    assert (ROOT / "docs" / "data-dictionary.md").read_text() == data_dictionary(), (
        "docs/data-dictionary.md is stale: run python -m finsync.warehouse.dictionary"
    )
    assert "| ym.tenant | client_id | merge |" in readme and "**analytics.receivables_aging**" in readme
