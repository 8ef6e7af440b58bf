"""整改通知书 and 复查意见书: printable page, PDF with Chinese text, 三标 references and scope."""

from __future__ import annotations

import io
import re

import pytest
from pypdf import PdfReader

from tests.conftest import assert_problem
from tests.support.workflow import fire, found_hazards, ok


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdf_text(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return _flat("".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages))


@pytest.fixture
def order(checklists, shop, people, make_photo):
    """A hazard assigned by the grid worker: its detail, with the 整改通知书 in ``documents``."""
    hazard_id, _ = found_hazards(people, shop, make_photo)
    return ok(fire(people["worker"], hazard_id, "assign"))


def test_the_order_pdf_renders_chinese_with_number_site_and_articles(order, shop, people):
    document = order["documents"][0]
    text = pdf_text(people["supervisor"].get(f"/api/v1/documents/{document['id']}.pdf"))
    assert _flat(document["number"]) in text
    assert re.fullmatch(r"责改〔\d{4}〕第\d{4}号", document["number"])
    assert shop.name in text
    assert "责令限期整改" in text and "整改通知书" in text
    for violated in order["item"]["enforcement"]["violated"]:
        assert _flat(violated["article"]) in text
    assert _flat(order["item"]["standard"]["clause"]) in text
    assert "检查人员签名" in text and "被检查单位签收" in text
    assert "第六十五条" in text  # the legal wording of the order


def test_the_order_page_is_printable_html_with_the_three_standards(order, shop, people, app):
    document = order["documents"][0]
    response = people["owner"].get(f"/api/v1/documents/{document['id']}")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "@page" in page and "A4" in page
    for text in (document["number"], shop.name, shop.address, app.config["ISSUING_BODY"], order["number"],
                 order["item"]["standard"]["document"], order["item"]["enforcement"]["violated"][0]["law"],
                 "企业标准", "隐患标准", "执法标准", "检查人员签名", "被检查单位签收"):
        assert text in page, text
    # The deadline in local time: 2026-12-03T23:59:59+08:00 → 2026年12月3日
    year, month, day = (int(x) for x in order["deadline_at"][:10].split("-"))
    assert f"{year}年{month}月{day}日" in page


def test_an_official_document_never_prints_an_unverified_basis(checklists, shop, people, make_photo, db):
    from hazardloop.hazards.models import Hazard

    hazard_id, _ = found_hazards(people, shop, make_photo)
    hazard = db.session.get(Hazard, hazard_id)
    items = [item for section in hazard.checklist_version.content["sections"] for item in section["items"]]
    unverified = [i for i in items if not i.get("basis_verified")]
    verified = [i for i in items if i.get("basis_verified")]
    assert unverified and verified, "the shipped checklist should have items of each kind"
    doubtful = unverified[0]
    hazard.item_code = doubtful["code"]
    db.session.commit()
    assigned = ok(fire(people["worker"], hazard_id, "assign"))
    flagged = assigned["documents"][0]["id"]
    page = people["worker"].get(f"/api/v1/documents/{flagged}").get_data(as_text=True)
    text = pdf_text(people["worker"].get(f"/api/v1/documents/{flagged}.pdf"))
    for printed in (page, _flat(page), text):
        assert "法律依据待核实" not in printed and "条号推断" not in printed and "待核实" not in printed
        # the verified general duty of a 消防 site (消防法 第十六条第一款第（五）项) stands in for it
        assert "第十六条第一款第（五）项" in printed and "及时消除火灾隐患" in printed
    for article in doubtful["enforcement"]["violated"]:
        assert f"《{article['law']}》{article['article']}" not in page
    assert "执法标准" not in page and "企业标准" not in page
    # staff still see the unverified detail on the hazard page
    detail = people["worker"].get(f"/api/v1/hazards/{hazard_id}").get_json()
    assert detail["item"]["basis_verified"] is False
    assert detail["item"]["enforcement"]["violated"] == doubtful["enforcement"]["violated"]

    other_id = found_hazards(people, shop, make_photo, n=1)[0]
    other = db.session.get(Hazard, other_id)
    other.item_code = verified[0]["code"]
    db.session.commit()
    clean = ok(fire(people["worker"], other_id, "assign"))["documents"][0]["id"]
    page = people["worker"].get(f"/api/v1/documents/{clean}").get_data(as_text=True)
    assert "执法标准" in page
    for article in verified[0]["enforcement"]["violated"]:
        assert f"《{article['law']}》{article['article']}" in page


def test_the_general_duty_of_a_non_fire_hazard_is_the_work_safety_law() -> None:
    from pathlib import Path

    from hazardloop.checklists.format import normalise_text
    from hazardloop.hazards.documents import GENERAL_DUTY_FIRE, GENERAL_DUTY_SAFETY, official_basis

    assert official_basis({"basis_verified": False}, "hazchem")["general"] == GENERAL_DUTY_SAFETY
    assert official_basis(None, "nine_small")["general"] == GENERAL_DUTY_FIRE
    assert official_basis({"basis_verified": False}, "fire")["violated"] == []
    # both general duties are quoted word for word from the reference texts
    laws = Path(__file__).parents[3] / "shared" / "reference" / "laws"
    assert normalise_text(GENERAL_DUTY_SAFETY["text"]) in normalise_text(
        (laws / "安全生产法2021.md").read_text("utf-8"))
    assert normalise_text(GENERAL_DUTY_FIRE["text"]) in normalise_text(
        (laws / "消防法(2021-04-29).md").read_text("utf-8"))


def test_the_verification_opinion_shows_the_result_and_before_after_photos(checklists, shop, people,
                                                                          make_photo):
    hazard_id, _ = found_hazards(people, shop, make_photo)
    worker, owner = people["worker"], people["owner"]
    ok(fire(worker, hazard_id, "assign"))
    ok(fire(owner, hazard_id, "acknowledge"))
    after = make_photo(people["users"]["owner"])
    report = {"measures": "清理疏散通道", "cost": 120, "responsible_person": "王建国", "photo_ids": [after.id]}
    ok(fire(owner, hazard_id, "submit_rectification", **report))
    ok(fire(worker, hazard_id, "verify_fail", note="灭火器压力不足", deadline="2099-01-31"))
    ok(fire(owner, hazard_id, "submit_rectification", **report))
    closed = ok(fire(worker, hazard_id, "verify_pass", note="复查合格"))
    failed_doc, passed_doc = [d for d in closed["documents"] if d["kind"] == "verification"]

    page = worker.get(f"/api/v1/documents/{passed_doc['id']}").get_data(as_text=True)
    assert "整改复查意见书" in page and "通过" in page and "复查合格" in page and "王建国" in page
    assert "整改前" in page and "整改后" in page
    assert page.count('src="data:image/jpeg;base64,') == 2  # the finding photo beside the rectified one

    text = pdf_text(worker.get(f"/api/v1/documents/{passed_doc['id']}.pdf"))
    assert _flat(passed_doc["number"]) in text and "复查结论通过" in text and "予以销号" in text
    text = pdf_text(worker.get(f"/api/v1/documents/{failed_doc['id']}.pdf"))
    assert "不通过" in text and "灭火器压力不足" in text


def test_documents_outside_my_scope_are_not_found(order, people):
    document_id = order["documents"][0]["id"]
    assert_problem(people["outsider"].get(f"/api/v1/documents/{document_id}"), 404)
    assert_problem(people["outsider"].get(f"/api/v1/documents/{document_id}.pdf"), 404)
    assert_problem(people["supervisor"].get(f"/api/v1/documents/{document_id + 1000}.pdf"), 404)


def test_documents_are_in_the_openapi_description(app):
    spec = app.test_client().get("/api/openapi.json").get_json()
    page = spec["paths"]["/api/v1/documents/{document_id}"]["get"]["responses"]
    assert "text/html" in page["200"]["content"] and "404" in page
    pdf = spec["paths"]["/api/v1/documents/{document_id}.pdf"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"] and "404" in pdf
