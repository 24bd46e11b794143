"""The analyst warehouse: a consistent, read-only copy of the build database."""
