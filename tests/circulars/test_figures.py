"""Every 通报 figure against hand-built data: the numbers are counted by hand here, then read back from
the figures, the printable page and the XLSX annex."""

from __future__ import annotations

import datetime as dt
import io
from types import SimpleNamespace
from urllib.parse import unquote

import pytest

WEEK = {"period_kind": "week", "start": "2026-11-25"}  # Monday 23 to Sunday 29 November 2026


@pytest.fixture
def street_a(db, parties, make_site, make_inspection, make_finding, record_event):
    """A week in street A, each hazard placed to test one rule (Beijing time; the week is 23–29 Nov).

    Grid A1: shop1 — one inspection (I1) finds h1 and h2, both due this week and closed on time; h5 重大,
    listed for 挂牌督办 this week. shop3 — I4 on 1 Oct found h8, I5 this week finds h9 (two inspections
    within 90 days). shop4 — I6 on 1 July (outside 90 days), I7 this week.
    Grid A2: shop2 — I2 finds h3 (due, closed on time), I3 finds h4 (due, still rectifying: overdue);
    h6 重大 listed on 10 Nov (still supervised now, but not listed this week); h7 overdue since 20 Nov.
    shop5 — I8 finds h12, I9 sees it again (two inspections, one hazard).
    Street B: one hazard due and closed this week (outside the scope).
    """
    d = parties.district
    shop1, shop3, shop4 = make_site(d.grid_a1), make_site(d.grid_a1), make_site(d.grid_a1)
    shop2, shop5 = make_site(d.grid_a2), make_site(d.grid_a2)
    i1 = make_inspection(shop1, "2026-11-23 09:00")
    h1 = make_finding(shop1, found="2026-11-23 09:00", deadline="2026-11-24", closed="2026-11-24 10:00", inspection=i1)
    h2 = make_finding(shop1, found="2026-11-23 09:00", deadline="2026-11-25", closed="2026-11-25 18:00", inspection=i1)
    h5 = make_finding(shop1, found="2026-11-25 09:00", deadline="2026-12-15", level="major")
    record_event(h5, "list_supervision", "2026-11-25 15:00")
    i2, i3 = make_inspection(shop2, "2026-11-23 10:00"), make_inspection(shop2, "2026-11-24 10:00")
    h3 = make_finding(shop2, found="2026-11-23 10:00", deadline="2026-11-26", closed="2026-11-26 09:00", inspection=i2)
    h4 = make_finding(shop2, found="2026-11-24 10:00", deadline="2026-11-27", status="rectifying", inspection=i3)
    h6 = make_finding(shop2, found="2026-11-05 09:00", deadline="2026-12-31", status="rectifying", level="major")
    record_event(h6, "list_supervision", "2026-11-10 09:00")
    h7 = make_finding(shop2, found="2026-11-10 09:00", deadline="2026-11-20", status="rectifying")
    i4, i5 = make_inspection(shop3, "2026-10-01 10:00"), make_inspection(shop3, "2026-11-26 10:00")
    make_finding(shop3, found="2026-10-01 10:00", deadline="2026-10-10", closed="2026-10-09 10:00", inspection=i4)
    make_finding(shop3, found="2026-11-26 10:00", inspection=i5)
    i6, i7 = make_inspection(shop4, "2026-07-01 10:00"), make_inspection(shop4, "2026-11-27 10:00")
    make_finding(shop4, found="2026-07-01 10:00", deadline="2026-07-10", closed="2026-07-05 10:00", inspection=i6)
    make_finding(shop4, found="2026-11-27 10:00", inspection=i7)
    i8, i9 = make_inspection(shop5, "2026-11-28 10:00"), make_inspection(shop5, "2026-11-29 10:00")
    h12 = make_finding(shop5, found="2026-11-28 10:00", inspection=i8)
    record_event(h12, "observed_again", "2026-11-29 10:00", inspection=i9)
    elsewhere = make_site(d.grid_b1)
    make_finding(elsewhere, found="2026-11-23 09:00", deadline="2026-11-24", closed="2026-11-24 09:00")
    db.session.commit()
    return SimpleNamespace(shop1=shop1, shop2=shop2, shop3=shop3, shop4=shop4, shop5=shop5,
                           h1=h1, h2=h2, h3=h3, h4=h4, h5=h5, h6=h6, h7=h7, h12=h12)


# Counted by hand from the fixture's story:
EXPECTED = {
    "found": 8,          # h1 h2 h3 h4 h5 h9 (shop3) h11 (shop4) h12 — found 23–29 Nov in street A
    "rectified": 3,      # h1 h2 h3 are closed
    "closed_rate": 0.375,  # 3/8
    "major": 1,          # h5 (h6 is 重大 but found on 5 Nov)
    "supervised": 1,     # h5 listed on 25 Nov; h6 is supervised now but was listed on 10 Nov
    "due": 4,            # deadlines 24, 25, 26, 27 Nov: h1 h2 h3 h4
    "on_time": 3,        # h1 h2 h3 closed before their deadlines
    "on_time_rate": 0.75,
    "late": 1,           # h4
    "late_open": 1,      # h4 is still rectifying
    "overdue": 2,        # h4 and h7 (overdue since 20 Nov, found before the week)
    "repeat_sites": 3,   # shop2 (I2, I3), shop3 (I4 on 1 Oct, I5), shop5 (I8, I9 on one hazard)
}


def _draft(login, parties, **extra):
    office = login(parties.office)
    response = office.post("/api/v1/circulars/drafts", json={"scope_kind": "street",
                                                              "region_id": parties.district.street_a.id, **WEEK})
    assert response.status_code == 201, response.get_json()
    return office, response.get_json()


def test_each_figure_equals_the_count_by_hand(parties, street_a):
    from hazardloop.circulars.figures import compute
    from hazardloop.circulars.services import period_bounds

    start, end, _ = period_bounds("week", dt.date(2026, 11, 25))
    content = compute(parties.office, region_id=parties.district.street_a.id, department_id=None,
                      start=start, end=end)
    assert {key: content[key] if not isinstance(content[key], list) else len(content[key])
            for key in EXPECTED} == EXPECTED
    assert {h["id"] for h in content["supervised"]} == {street_a.h5.id}
    assert {h["id"] for h in content["overdue"]} == {street_a.h4.id, street_a.h7.id}
    offenders = {o["site_id"]: (o["inspections"], o["hazards"]) for o in content["repeat_offenders"]}
    assert offenders == {street_a.shop2.id: (2, 2), street_a.shop3.id: (2, 2), street_a.shop5.id: (2, 1)}


def test_several_findings_of_one_inspection_are_not_a_repeat(parties, street_a):
    from hazardloop.circulars.figures import compute
    from hazardloop.circulars.services import period_bounds

    start, end, _ = period_bounds("week", dt.date(2026, 11, 25))
    content = compute(parties.office, region_id=parties.district.street_a.id, department_id=None,
                      start=start, end=end)
    named = {o["site_id"] for o in content["repeat_offenders"]}
    assert street_a.shop1.id not in named  # h1 and h2 came from the one inspection I1
    assert street_a.shop4.id not in named  # its first inspection (1 July) is older than 90 days


def test_the_repeat_window_comes_from_configuration(app, parties, street_a, monkeypatch):
    from hazardloop.circulars.figures import compute
    from hazardloop.circulars.services import period_bounds

    monkeypatch.setitem(app.config, "CIRCULAR_REPEAT_WINDOW_DAYS", 30)
    start, end, _ = period_bounds("week", dt.date(2026, 11, 25))
    content = compute(parties.office, region_id=parties.district.street_a.id, department_id=None,
                      start=start, end=end)
    # shop3's first inspection (1 Oct) is now outside the window
    assert {o["site_id"] for o in content["repeat_offenders"]} == {street_a.shop2.id, street_a.shop5.id}
    assert content["repeat_window_days"] == 30


def test_the_page_prints_every_figure_with_its_denominator(parties, street_a, login):
    office, circular = _draft(login, parties)
    assert {key: circular["totals"][key] for key in EXPECTED} == EXPECTED
    by_key = {f["key"]: f for f in circular["figures"]}
    assert by_key["on_time_rate"]["text"] == "75.0%（3/4）"
    assert (by_key["on_time_rate"]["numerator"], by_key["on_time_rate"]["denominator"]) == (3, 4)
    assert by_key["late"]["denominator_label"] == "本期到期" and by_key["late"]["denominator"] == 4
    assert "90 天" in by_key["repeat_sites"]["definition"]
    page = office.get(f"/api/v1/circulars/{circular['id']}.html").get_data(as_text=True)
    assert "按期整改率 <strong>75.0%（3/4）</strong>" in page
    assert "未按期整改 <strong>1 项</strong>（其中仍逾期未整改 1 项）" in page
    assert "本期到期隐患 <strong>4 项</strong>" in page and "按期整改 <strong>3 项</strong>" in page
    assert "共排查发现隐患 <strong>8 项</strong>" in page and "闭环率 <strong>37.5%（3/8）</strong>" in page
    assert "累计逾期未整改隐患 <strong>2 项</strong>" in page
    assert "本期挂牌督办 <strong>1 项</strong>" in page and "屡查屡犯单位 <strong>3 家</strong>" in page
    assert street_a.h5.number in page  # 重大 and listed this week
    assert street_a.h6.number not in page  # found earlier, listed earlier, not overdue: not this week's news
    for shop in (street_a.shop2, street_a.shop3, street_a.shop5):
        assert shop.name in page
    assert "附：指标口径" in page and "同一次检查查出多项隐患只算一次" in page


def test_supervision_is_counted_by_listing_in_the_period_not_by_the_current_flag(parties, street_a, login):
    _, circular = _draft(login, parties)
    assert [h["id"] for h in circular["supervised"]] == [street_a.h5.id]
    assert street_a.h6.supervised  # still supervised, listed on 10 Nov: not this week's figure
    assert circular["totals"]["supervised"] == 1


def test_the_best_and_the_worst_grid_are_different_grids(parties, street_a, login):
    office, circular = _draft(login, parties)
    best, worst = circular["best_grids"], circular["worst_grids"]
    # A1: h1, h2 due and on time (2/2); A2: h3 on time, h4 not (1/2)
    assert [(g["grid"], g["due"], g["on_time"], g["on_time_rate"]) for g in best] == [("A1网格", 2, 2, 1.0)]
    assert [(g["grid"], g["due"], g["on_time"], g["on_time_rate"]) for g in worst] == [("A2网格", 2, 1, 0.5)]
    assert circular["ranking_note"] is None
    page = office.get(f"/api/v1/circulars/{circular['id']}.html").get_data(as_text=True)
    assert "100.0%（2/2）" in page and "50.0%（1/2）" in page


def test_one_grid_with_hazards_due_is_not_ranked(db, parties, make_site, make_finding, login):
    shop = make_site(parties.district.grid_a1)
    make_finding(shop, found="2026-11-23 09:00", deadline="2026-11-24", closed="2026-11-24 10:00")
    make_finding(shop, found="2026-11-23 09:00", deadline="2026-11-25", status="rectifying")
    make_finding(make_site(parties.district.grid_a2), found="2026-11-23 09:00")  # found, nothing due
    db.session.commit()
    office, circular = _draft(login, parties)
    assert circular["best_grids"] == circular["worst_grids"] == []
    assert circular["ranking_note"] == "数据不足，不作排名"
    assert "数据不足，不作排名" in office.get(f"/api/v1/circulars/{circular['id']}.html").get_data(as_text=True)
    assert circular["totals"]["on_time_rate"] == 0.5


def test_grids_with_equal_rates_are_not_ranked(db, parties, make_site, make_finding, login):
    for grid in (parties.district.grid_a1, parties.district.grid_a2):
        make_finding(make_site(grid), found="2026-11-23 09:00", deadline="2026-11-24", closed="2026-11-24 10:00")
    db.session.commit()
    _, circular = _draft(login, parties)
    assert circular["ranking_note"] == "各网格按期整改率相同，不作排名"
    assert circular["best_grids"] == circular["worst_grids"] == []


def test_nothing_due_prints_a_dash_not_a_hundred_percent(db, parties, make_site, make_finding, login):
    make_finding(make_site(parties.district.grid_a1), found="2026-11-23 09:00")
    db.session.commit()
    office, circular = _draft(login, parties)
    assert circular["totals"]["due"] == 0 and circular["totals"]["on_time_rate"] is None
    assert "按期整改率 <strong>—（0/0）</strong>" in office.get(
        f"/api/v1/circulars/{circular['id']}.html").get_data(as_text=True)


def test_the_xlsx_annex_says_the_same_numbers_with_real_percentages(parties, street_a, login):
    from openpyxl import load_workbook

    office, circular = _draft(login, parties)
    response = office.get(f"/api/v1/circulars/{circular['id']}.xlsx")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["总体情况", "逾期未整改", "重大隐患", "本期挂牌督办", "屡查屡犯", "网格排名"]
    summary = book["总体情况"]
    assert [c.value for c in summary[4]][:5] == ["指标", "数值", "分子", "分母", "分母口径"]
    assert summary.freeze_panes == "A5" and summary.column_dimensions["F"].width == 80
    rows = {r[0].value: r for r in summary.iter_rows(min_row=5, max_row=4 + len(EXPECTED))}
    rate = rows["按期整改率"]
    assert (rate[1].value, rate[1].number_format, rate[2].value, rate[3].value) == (0.75, "0.0%", 3, 4)
    assert rows["闭环率"][1].value == 0.375 and rows["闭环率"][1].number_format == "0.0%"
    assert rows["本期到期"][1].value == 4 and rows["按期整改"][1].value == 3 and rows["未按期整改"][1].value == 1
    assert rows["挂牌督办"][1].value == 1 and rows["屡查屡犯单位"][1].value == 3
    assert rows["逾期未整改（累计）"][1].value == 2 and rows["发现隐患"][1].value == 8
    for name in book.sheetnames[1:]:
        sheet = book[name]
        assert sheet.freeze_panes == "A2" and sheet["A1"].font.bold and sheet.column_dimensions["A"].width
    ranking = list(book["网格排名"].iter_rows(min_row=2, values_only=True))
    assert ranking == [("较好", "A1网格", 2, 2, 1.0), ("较差", "A2网格", 2, 1, 0.5)]
    assert book["网格排名"]["E2"].number_format == "0.0%"
    repeat = {r[0]: r[1:] for r in book["屡查屡犯"].iter_rows(min_row=2, values_only=True)}
    assert repeat == {street_a.shop2.name: (2, 2), street_a.shop3.name: (2, 2), street_a.shop5.name: (2, 1)}
    assert [r[0] for r in book["本期挂牌督办"].iter_rows(min_row=2, values_only=True)] == [street_a.h5.number]


def test_text_that_looks_like_a_formula_stays_text_in_the_annex(db, parties, street_a, login):
    from openpyxl import load_workbook

    street_a.h4.description = "=HYPERLINK(\"http://example.com\",\"点我\")"
    db.session.commit()
    office, circular = _draft(login, parties)
    book = load_workbook(io.BytesIO(office.get(f"/api/v1/circulars/{circular['id']}.xlsx").data))
    descriptions = [r[2] for r in book["逾期未整改"].iter_rows(min_row=2, values_only=True)]
    assert "'=HYPERLINK(\"http://example.com\",\"点我\")" in descriptions


def test_issuer_signature_and_copies_come_from_configuration(app, parties, street_a, login, monkeypatch):
    monkeypatch.setitem(app.config, "CIRCULAR_ISSUER", "测试区安全生产委员会办公室")
    monkeypatch.setitem(app.config, "CIRCULAR_SIGNATURE", "测试区安委办（印）")
    monkeypatch.setitem(app.config, "CIRCULAR_CC", "区应急管理局，各街道安委办")
    office, circular = _draft(login, parties)
    url = f"/api/v1/circulars/{circular['id']}"
    page = office.get(f"{url}.html").get_data(as_text=True)
    assert '<p class="issuer" data-testid="issuer">测试区安全生产委员会办公室</p>' in page
    assert "测试区安委办（印）" in page and "（发布时填写日期）" in page
    assert "抄送：区应急管理局，各街道安委办。" in page
    assert office.post(f"{url}/publish", json={"version": 1}).status_code == 200
    published = office.get(f"{url}.html").get_data(as_text=True)
    from hazardloop.database import local_zone, utcnow

    assert utcnow().astimezone(local_zone()).strftime("%Y年%m月%d日") in published


def test_the_defaults_name_the_district_office(parties, street_a, login):
    office, circular = _draft(login, parties)
    page = office.get(f"/api/v1/circulars/{circular['id']}.html").get_data(as_text=True)
    assert "区安全生产委员会办公室" in page and "抄送：区安委会各成员单位，各街道（园区）安委办。" in page


def test_the_files_have_chinese_names(parties, street_a, login):
    office, circular = _draft(login, parties)
    url = f"/api/v1/circulars/{circular['id']}"
    assert circular["file_names"]["pdf"] == "A街道安全隐患排查治理周通报（2026年第48周）（草稿）.pdf"
    xlsx = office.get(f"{url}.xlsx").headers["Content-Disposition"]
    assert xlsx.startswith("attachment; filename=")
    assert unquote(xlsx.split("filename*=UTF-8''")[1]) == "A街道安全隐患排查治理周通报（2026年第48周）（草稿）.xlsx"
    xlsx.encode("latin-1")  # a header a real WSGI server can send
    office.post(f"{url}/publish", json={"version": 1})
    pdf = office.get(f"{url}.pdf").headers["Content-Disposition"]
    assert pdf.startswith("inline; filename=")
    assert unquote(pdf.split("filename*=UTF-8''")[1]) == "A街道安全隐患排查治理周通报（2026年第48周）.pdf"
