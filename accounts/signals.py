"""Signals of the account layer, which the layers above subscribe to without being imported.

``stakeholders_changed`` is sent by the stakeholders app inside the transaction that changed
the role or standing (departure, removal, erasure) of people at some accounts, with
``account_ids``. The value app re-derives those accounts' stored ladders on it, in the same
transaction: level 4 depends on whether the Owner who confirmed had left by then. Stakeholders
sit below value and never import it; value subscribes here.
"""

from django.dispatch import Signal

stakeholders_changed = Signal()

# Sent by the stakeholders app inside the transaction that erased a person's identifying data
# on request, with ``stakeholder_id``, ``needles`` (the name and e-mail erased) and
# ``replacement``: every app that copied them scrubs its copies (value: the confirmations sent
# to the person, the claims naming them and those claims' history).
stakeholder_erased = Signal()

# Sent by ``accounts.creation.accounts_create`` inside the transaction that created accounts,
# whichever path created them (form, CSV import, accounts API, usage batches), with
# ``workspace`` and ``account_ids``. Subscribers (segmentation) act on new accounts there, and
# their writes commit or roll back with the accounts.
accounts_created = Signal()
