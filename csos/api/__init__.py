"""The API core every app's endpoints build on: token auth, the workspace scope, problem details,
throttles, idempotency and the bulk-ingest machinery."""
