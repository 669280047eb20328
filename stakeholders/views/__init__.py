"""Pages of the stakeholders app: people, plans and handoffs, conversations."""
