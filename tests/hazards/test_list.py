"""The hazard list's fast path: rows read as columns and dumped without marshmallow must equal HazardSchema."""

from __future__ import annotations

import datetime as dt

import marshmallow as ma
import pytest
from sqlalchemy import update

from hazardloop.apitools import row_dumper
from hazardloop.extensions import db
from hazardloop.hazards import queries, services
from hazardloop.hazards.models import Hazard
from hazardloop.hazards.schemas import HazardSchema
from tests.support.workflow import fire, found_hazards, ok


def test_the_list_reads_exactly_the_fields_of_hazard_schema():
    names = {getattr(c, "key", None) or c.name for c in queries.LIST_COLUMNS} | {"overdue"}
    assert names == set(HazardSchema().dump_fields)


def test_each_list_item_equals_the_schema_dump_of_the_same_hazard(app, checklists, shop, people, make_photo):
    first, second = found_hazards(people, shop, make_photo)
    ok(fire(people["worker"], first, "assign"))
    ok(fire(people["owner"], first, "acknowledge"))
    # One running hazard already past its deadline: the list computes "overdue" itself.
    db.session.execute(update(Hazard).where(Hazard.id == first)
                       .values(deadline_at=dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.UTC)))
    db.session.commit()

    listed = people["supervisor"].get("/api/v1/hazards?sort=id").get_json()["items"]
    assert [h["id"] for h in listed] == [first, second]
    db.session.expire_all()
    for item in listed:
        hazard = db.session.get(Hazard, item["id"])
        hazard.overdue = services.is_overdue(hazard)
        assert item == HazardSchema().dump(hazard)
    assert listed[0]["overdue"] is True and listed[0]["deadline_at"] == "2026-01-05T09:00:00+08:00"
    assert listed[1]["overdue"] is False and listed[1]["deadline_at"] is None


def test_row_dumper_refuses_fields_it_would_dump_differently(app):
    class WithNested(ma.Schema):
        id = ma.fields.Integer()
        site = ma.fields.Nested(HazardSchema)

    class Renamed(ma.Schema):
        id = ma.fields.Integer(data_key="hazardId")

    with app.app_context():
        for schema in (WithNested, Renamed):
            with pytest.raises(TypeError):
                row_dumper(schema)
