"""Signals the health engine sends; higher layers (playbooks) subscribe, health imports none.

``snapshots_recomputed(sender, workspace, week)``: every chunk of a recompute of ``week`` has
written its snapshots; sent after the transaction that finished the last chunk commits, and
only when ``week`` is the week the recompute started in: re-scoring a past week fires nothing.
"""

from django.dispatch import Signal

snapshots_recomputed = Signal()
