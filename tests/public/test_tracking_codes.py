"""查询码 to read aloud and type: short, no look-alikes, any case, hyphens optional; old codes still work."""

from __future__ import annotations

import math
import re
import secrets

from tests.conftest import assert_problem
from tests.support.public_reports import submitted

READABLE = re.compile(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{5}")


def test_codes_have_no_look_alikes_and_at_least_60_random_bits():
    from hazardloop.public.models import TRACKING_ALPHABET, TRACKING_LENGTH, new_tracking_code

    assert not set("0O1IL") & set(TRACKING_ALPHABET) and len(set(TRACKING_ALPHABET)) == len(TRACKING_ALPHABET)
    assert TRACKING_LENGTH * math.log2(len(TRACKING_ALPHABET)) >= 60
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert set("".join(codes)) <= set(TRACKING_ALPHABET)


def test_the_receipt_shows_grouped_code_the_reporter_may_type_in_any_case_with_or_without_hyphens(visitor, shop):
    code = submitted(visitor, site_token=shop.qr_token)
    assert READABLE.fullmatch(code), code
    for typed in (code, code.lower(), code.replace("-", ""), code.replace("-", " ").lower(), f"  {code}  "):
        progress = visitor.get(f"/api/v1/public/reports/{typed}")
        assert progress.status_code == 200, (typed, progress.get_json())
        assert progress.get_json()["tracking_code"] == code
        assert progress.get_json()["status_label"] == "已提交"


def test_codes_issued_before_the_readable_ones_keep_working_exactly_as_issued(visitor, shop, db):
    from hazardloop.public.models import PublicReport

    submitted(visitor, site_token=shop.qr_token)
    old = secrets.token_urlsafe(18)  # the earlier format: case-sensitive, URL-safe
    db.session.query(PublicReport).one().tracking_code = old
    db.session.commit()
    progress = visitor.get(f"/api/v1/public/reports/{old}")
    assert progress.status_code == 200 and progress.get_json()["tracking_code"] == old
    if old.swapcase() != old:
        assert_problem(visitor.get(f"/api/v1/public/reports/{old.swapcase()}"), 404, "not_found")


def test_wrong_codes_from_one_address_are_throttled_with_retry_after(app, visitor, shop, monkeypatch):
    monkeypatch.setitem(app.config, "PUBLIC_TRACKING_MISS_LIMIT", "3 per hour")
    code = submitted(visitor, site_token=shop.qr_token)
    assert visitor.get(f"/api/v1/public/reports/{code}").status_code == 200  # right codes never count
    for _ in range(3):
        assert_problem(visitor.get("/api/v1/public/reports/ABCD-EFGH-JKMNP"), 404, "not_found")
    limited = visitor.get(f"/api/v1/public/reports/{code}")
    body = assert_problem(limited, 429, "lookup_rate_limited")
    assert int(limited.headers["Retry-After"]) > 0 and "秒后再试" in body["detail"]
    other = visitor.client.get(f"/api/v1/public/reports/{code}", environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert other.status_code == 200  # another address is not held back
