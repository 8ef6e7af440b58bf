"""A serving node on PostgreSQL says which settings it made up for itself, that the other nodes cannot share."""

from __future__ import annotations

from hazardloop.cluster import node_local_settings

PG = {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://db/city"}


def test_generated_secrets_are_named_where_a_cluster_is_possible():
    warnings = node_local_settings(PG, environ={})
    assert [w.split(" ", 1)[0] for w in warnings] == ["SECRET_KEY", "VAPID_PRIVATE_KEY_FILE"]
    assert all("每个节点" in w for w in warnings)


def test_shared_settings_or_a_single_sqlite_box_say_nothing():
    assert node_local_settings(PG, environ={"SECRET_KEY": "s", "VAPID_PRIVATE_KEY_FILE": "/etc/hl/vapid.pem"}) == []
    assert node_local_settings({"SQLALCHEMY_DATABASE_URI": "sqlite:///x.db"}, environ={}) == []
