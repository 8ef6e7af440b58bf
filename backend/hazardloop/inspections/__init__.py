"""Inspections (检查记录) made on phones, possibly offline, and the hazards they find."""
