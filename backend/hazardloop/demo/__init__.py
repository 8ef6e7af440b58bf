"""The demo district (杭州市拱墅区): a deterministic, idempotent seed for trying the system out."""
