"""Helpers shared by test modules in several folders (no fixtures, no tests): one home each, imported, never copied."""
