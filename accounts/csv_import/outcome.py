"""What the clean rows of a checked file would do: churns, unchanged rows, and the warnings
(renewals already past, likely duplicates of existing accounts) shown before a commit."""

import re
from collections.abc import Mapping
from datetime import date

import pandas as pd
from rapidfuzz import fuzz, process

from accounts.csv_import.fields import (
    CHURNED,
    DOMAIN,
    EXTERNAL_ID,
    NAME,
    PARENT_EXTERNAL_ID,
    RENEWAL_DATE,
    STATUS,
)


def status_changes(rows: pd.DataFrame, existing: pd.DataFrame) -> tuple[int, int]:
    """How many existing accounts clean ``rows`` would churn, and how many they would reactivate."""
    if STATUS not in rows or rows.empty:
        return 0, 0
    was = rows[EXTERNAL_ID].map(
        existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)[STATUS]
    )
    given = rows[STATUS]
    churns = (given == CHURNED) & was.notna() & (was != CHURNED)
    reactivations = (was == CHURNED) & given.notna() & (given != CHURNED)
    return int(churns.sum()), int(reactivations.sum())


def unchanged_rows(rows: pd.DataFrame, existing: pd.DataFrame) -> pd.Series:
    """Per clean row, whether it changes nothing: its account exists and already holds every
    value the row gives. ``existing`` compares on whichever of the file's columns it has."""
    known = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    ids = rows[EXTERNAL_ID]
    unchanged = ids.isin(known.index)
    for key in rows.columns.intersection(known.columns).drop(EXTERNAL_ID, errors="ignore"):
        given = rows[key]
        unchanged &= given.isna() | (given == ids.map(known[key]))
    return unchanged


def past_renewals(rows: pd.DataFrame, *, today: date) -> list[dict]:
    """A warning, not an error, per clean row whose renewal date is before ``today``.

    A CRM often keeps the first term's end: imported as it is, the renewal looks long missed.
    """
    if RENEWAL_DATE not in rows:
        return []
    dates = rows[RENEWAL_DATE]
    past = dates.map(lambda renewal: renewal is not None and renewal < today)
    return [
        {
            "row": int(row),
            "field": RENEWAL_DATE,
            "message": f"The renewal date {renewal:%Y-%m-%d} has passed; check the contract's "
            "current term.",
        }
        for row, renewal in dates[past].items()
    ]


# Words a company's name may carry or drop from one CRM to the next.
LEGAL_SUFFIXES = frozenset(
    {"inc", "incorporated", "corp", "corporation", "co", "company", "llc", "ltd", "limited"}
    | {"plc", "gmbh", "ag", "ab", "sa", "sas", "bv"}
)
DUPLICATE_NAME_SCORE = 90  # rapidfuzz token_sort_ratio, 0-100, of the names without suffixes
# Above this many name pairs the names are compared exactly (once suffixes are dropped), not
# fuzzily: a workspace of 100,000 accounts must not make a check of 100,000 rows quadratic.
MAX_FUZZY_PAIRS = 5_000_000


def likely_duplicates(rows: pd.DataFrame, existing: pd.DataFrame) -> list[dict]:
    """A warning per new row that looks like an account the workspace already has under another
    external ID (the same company exported by another CRM): the same domain, or a name that
    matches closely once legal suffixes and punctuation are dropped. Each names in ``match``
    the external ID of that account, which the row may be linked to instead of created."""
    known = existing[~existing[EXTERNAL_ID].isin(rows[EXTERNAL_ID])]
    new = rows[~rows[EXTERNAL_ID].isin(existing[EXTERNAL_ID])]
    if known.empty or new.empty:
        return []
    by_domain = known[known[DOMAIN] != ""].drop_duplicates(DOMAIN).set_index(DOMAIN)
    keys = known[NAME].map(_name_key).tolist()
    fuzzy = len(new) * len(keys) <= MAX_FUZZY_PAIRS
    by_key = dict(zip(keys, range(len(keys)), strict=True))
    warnings = []
    for row, record in zip(new.index, new.to_dict("records"), strict=True):
        domain = record.get(DOMAIN)
        if domain and domain in by_domain.index:
            match, why = by_domain.loc[domain], f"the same domain, {domain}"
        else:
            key = _name_key(record[NAME])
            if fuzzy:
                found = process.extractOne(
                    key, keys, scorer=fuzz.token_sort_ratio, score_cutoff=DUPLICATE_NAME_SCORE
                )
                position = found[2] if found else None
            else:
                position = by_key.get(key)
            if position is None:
                continue
            match, why = known.iloc[position], "a name this close"
        warnings.append(
            {
                "row": int(row),
                "field": NAME,
                "message": f"Likely a duplicate of {match[NAME]!r} (external ID "
                f"{match[EXTERNAL_ID]}), which has {why}.",
                "match": match[EXTERNAL_ID],
            }
        )
    return warnings


def _name_key(name: str) -> str:
    words = re.sub(r"[^\w\s]", " ", name.lower()).split()
    return " ".join(word for word in words if word not in LEGAL_SUFFIXES)


def with_aliases(existing: pd.DataFrame, aliases: Mapping[str, str]) -> pd.DataFrame:
    """The existing accounts, plus a copy of each aliased account under its alias: a row that
    names an account by another system's ID is checked and compared against that account.

    ``aliases`` maps an alias to the external ID of the account it stands for.
    """
    if not aliases:
        return existing
    by_id = existing.drop_duplicates(EXTERNAL_ID).set_index(EXTERNAL_ID)
    known = {alias: account for alias, account in aliases.items() if account in by_id.index}
    copies = by_id.loc[list(known.values())].reset_index()
    copies[EXTERNAL_ID] = list(known)
    return pd.concat([existing, copies], ignore_index=True)


def canonical_rows(
    rows: pd.DataFrame, *, aliases: Mapping[str, str], links: Mapping[int, str]
) -> tuple[pd.DataFrame, list[dict]]:
    """The rows under the external IDs of the accounts they write: an alias becomes the ID of
    its account, and a row the committer linked (``links``: spreadsheet row -> external ID)
    takes the ID of the account chosen for it; a parent column naming either is read the same
    way. Also an error per row that would write an account an earlier row writes.
    """
    rows = rows.copy()
    linked = [row for row in links if row in rows.index]
    # What each ID a row may give stands for: an alias its account, a linked row's own ID the
    # account chosen for it (a parent column may name it too).
    account_of = {**aliases, **{rows.at[row, EXTERNAL_ID]: links[row] for row in linked}}
    for key in (EXTERNAL_ID, PARENT_EXTERNAL_ID):
        if key in rows:
            # Cell by cell: a blank parent stays None, not NaN.
            rows[key] = pd.Series(
                [account_of.get(given, given) for given in rows[key]],
                index=rows.index,
                dtype=object,
            )
    ids = rows[EXTERNAL_ID]
    first_row = ids.index.to_series(index=ids.index).groupby(ids.values).transform("min")
    repeat = first_row != ids.index
    errors = [
        {
            "row": int(row),
            "field": EXTERNAL_ID,
            "message": f"Row {first} already writes the account {account}; skip one of the two.",
        }
        for row, first, account in zip(
            ids.index[repeat], first_row[repeat], ids[repeat], strict=True
        )
    ]
    return rows, errors
