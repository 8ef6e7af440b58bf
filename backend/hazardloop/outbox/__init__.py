"""Outbox: background work written in the same transaction as the change, relayed to RQ."""
