"""Checkpoint Warehouse: validated monthly extracts, dbt models and the monthly publication."""
