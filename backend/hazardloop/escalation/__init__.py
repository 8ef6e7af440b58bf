"""Deadline reminders and the escalation ladder (逾期升级), swept from the database."""
