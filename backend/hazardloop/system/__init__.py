"""Service health, the schema-version guard and the worker's health-check job."""
