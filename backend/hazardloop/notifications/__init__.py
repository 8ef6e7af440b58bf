"""In-app inbox, per-user channel preferences and the outgoing channels (e-mail, robots, SMS)."""
