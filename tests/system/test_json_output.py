"""JSON answers: the same JSON Flask's own provider writes (keys sorted, dates by Flask's rule), with Chinese
text as UTF-8 rather than \\u escapes (hazardloop/json_provider.py)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

from flask import jsonify
from flask.json.provider import DefaultJSONProvider


def test_an_answer_carries_chinese_as_utf8_and_is_otherwise_the_standard_json(district, make_user, login):
    supervisor = make_user("supervisor", region=district.street_a)
    answer = login(supervisor).get("/api/v1/auth/session")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    body = answer.get_data()
    text = body.decode("utf-8")
    assert district.street_a.name in text  # the street's name as the phone shows it, not escaped
    assert "\\u" not in text
    data = json.loads(body)
    # Byte for byte what the standard library writes with sorted keys and compact separators.
    assert body == (json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n").encode()


def test_values_json_has_no_type_for_are_written_by_flasks_own_rules(app):
    value = {
        "found_on": dt.date(2026, 12, 5),
        "found_at": dt.datetime(2026, 12, 5, 8, 30, tzinfo=dt.UTC),
        "client_uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "amount": Decimal("12.50"),
    }
    with app.test_request_context():
        ours = jsonify(value).get_data()
        # orjson refuses integers beyond 64 bits; the standard library writes that answer.
        huge = jsonify({"beyond_64_bits": 2**70}).get_data()
    flask_default = DefaultJSONProvider(app).dumps(value, separators=(",", ":"))
    assert json.loads(ours) == json.loads(flask_default)
    assert json.loads(ours)["found_on"] == "Sat, 05 Dec 2026 00:00:00 GMT"  # Flask's http_date, as before
    assert json.loads(huge) == {"beyond_64_bits": 2**70}
