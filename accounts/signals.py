"""Signals of the account layer, which the layers above subscribe to without being imported.

``stakeholders_changed`` is sent by the stakeholders app inside the transaction that changed
the role or standing (departure, removal, erasure) of people at some accounts, with
``account_ids``. The value app re-derives those accounts' stored ladders on it, in the same
transaction: level 4 depends on whether the Owner who confirmed had left by then. Value and
stakeholders sit on one layer and import neither; both may import this one.
"""

from django.dispatch import Signal

stakeholders_changed = Signal()

# Sent by the stakeholders app inside the transaction that erased a person's identifying data
# on request, with ``stakeholder_id``, ``needles`` (the name and e-mail erased) and
# ``replacement``: every app that copied them scrubs its copies (value: the confirmations sent
# to the person, the claims naming them and those claims' history).
stakeholder_erased = Signal()

# Sent inside the transaction that created accounts, with ``workspace`` and ``account_ids``,
# from every path that creates them (the form and API, the CSV import, bulk ingestion, usage
# that names an unknown account). A bulk upsert sends the ids of every account it wrote, as it
# cannot tell created from updated ones. Playbooks places them by the segment rules.
accounts_created = Signal()
