"""批量导入 of sites: the check lists every problem by row and column, applying is idempotent and resumable."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import assert_problem
from tests.support.site_files import HEADER, code, shop, site_count, xlsx


@pytest.fixture
def importer(app: Any, db: Any, district: Any, make_user: Any, login: Any) -> Any:
    """A street A supervisor's client, and a function to upload a file and run the worker's part."""
    from hazardloop.imports.models import ImportJob
    from hazardloop.outbox.models import OutboxMessage
    from hazardloop.outbox.services import run_message

    supervisor = make_user("supervisor", region=district.street_a)
    client = login(supervisor)

    def run_jobs() -> None:
        for message_id in db.session.scalars(select(OutboxMessage.id).where(
                OutboxMessage.status == "pending", OutboxMessage.kind.like("imports.%")).order_by(OutboxMessage.id)):
            run_message(message_id)

    def upload(data: bytes, name: str = "场所.xlsx") -> dict[str, Any]:
        response = client.post("/api/v1/imports", data={"file": (io.BytesIO(data), name)},
                               content_type="multipart/form-data")
        assert response.status_code == 201, response.get_data(as_text=True)
        run_jobs()
        return client.get(f"/api/v1/imports/{response.get_json()['id']}").get_json()

    def confirm(job: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"/api/v1/imports/{job['id']}/confirm")
        assert response.status_code == 202, response.get_data(as_text=True)
        run_jobs()
        return client.get(f"/api/v1/imports/{job['id']}").get_json()

    class Importer:
        pass

    it = Importer()
    it.client, it.user, it.upload, it.confirm, it.run_jobs = client, supervisor, upload, confirm, run_jobs
    it.job_model = ImportJob
    return it


def download(client: Any, path: str) -> tuple[Any, bytes]:
    """GET a file and close the response, as a WSGI server does (it closes the streamed temporary file)."""
    response = client.get(path)
    data = response.data
    response.close()
    return response, data


def test_the_template_downloads_with_its_chinese_name_and_lists_the_allowed_values(importer: Any) -> None:
    response, data = download(importer.client, "/api/v1/imports/templates/sites.xlsx")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.encode("latin-1")  # a WSGI server can send it
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "场所导入模板.xlsx"
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["场所", "填写说明"]
    assert [c.value for c in book["场所"][1]] == HEADER
    help_text = [row[0] for row in book["填写说明"].iter_rows(values_only=True)]
    assert "小商店" in help_text and "消防安全" in help_text
    assert "A街道/A社区/A1网格" in help_text and "B街道/B社区/B1网格" not in help_text  # only my grids


def test_the_check_lists_every_problem_by_row_and_column_and_writes_nothing(importer: Any, db: Any) -> None:
    bad_check = code(7)[:-1] + ("0" if code(7)[-1] != "0" else "1")
    rows = [
        shop(1),
        shop(2, code=bad_check),                       # row 3: check character
        shop(3, name=""),                              # row 4: name missing
        shop(4, category="宇宙飞船"),                    # row 5
        shop(5, grid="B1网格"),                         # row 6: outside my street
        shop(6, code=code(1)),                          # row 7: same code as row 2
        shop(7, mobile="12345"),                        # row 8
        shop(8, notes="=HYPERLINK(\"http://x\",\"y\")"),  # row 9: a formula
        shop(9, lng=200, lat=30),                       # row 10
    ]
    job = importer.upload(xlsx(rows))
    assert job["status"] == "checked"
    assert job["can_confirm"] is False
    found = {(p["row"], p["column"]) for p in job["problems"]}
    assert found == {(3, "统一社会信用代码"), (4, "场所名称"), (5, "场所类别"), (6, "所属网格"),
                     (7, "统一社会信用代码"), (8, "联系电话"), (9, "备注"), (10, "经度")}
    messages = {p["row"]: p["message"] for p in job["problems"]}
    assert "校验位错误" in messages[3]
    assert "与第 2 行" in messages[7]
    assert "公式" in messages[9]
    assert job["planned"]["created"] == 1 and job["planned"]["invalid"] == 8
    assert site_count(db) == 0
    assert_problem(importer.client.post(f"/api/v1/imports/{job['id']}/confirm"), 409, "import_has_problems")


def test_merged_cells_are_named_with_their_range(importer: Any) -> None:
    job = importer.upload(xlsx([shop(1), shop(2)], merge="A2:A3"))
    assert {(p["row"], p["message"]) for p in job["problems"]} >= {(2, "含合并单元格（A2:A3），请取消合并后重新上传")}


def test_a_fixed_file_imports_and_importing_it_again_changes_nothing(importer: Any, db: Any) -> None:
    from hazardloop.hazards.models import AuditEvent
    from hazardloop.sites.models import Site

    rows = [shop(n) for n in range(1, 6)] + [shop(6, code="", domains="消防安全、城市运行")]
    job = importer.confirm(importer.upload(xlsx(rows)))
    assert job["status"] == "done" and job["applied"]["created"] == 6
    assert site_count(db) == 6
    site = db.session.scalar(select(Site).where(Site.name == "导入便利店6"))
    assert site.credit_code is None and site.domains == ["fire", "urban_operation"]
    assert db.session.scalar(select(Site).where(Site.name == "导入便利店1")).domains == ["fire", "nine_small"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.kind == "sites_imported"))
    assert event.actor_id == importer.user.id and event.payload["created"] == 6

    again = importer.upload(xlsx(rows))
    assert again["planned"] == {**again["planned"], "created": 0, "updated": 0, "unchanged": 6, "invalid": 0}
    again = importer.confirm(again)
    assert again["applied"]["unchanged"] == 6 and site_count(db) == 6

    changed = importer.confirm(importer.upload(xlsx([shop(1, contact="李店主")])))
    assert changed["applied"]["updated"] == 1
    db.session.expire_all()
    assert db.session.scalar(select(Site).where(Site.name == "导入便利店1")).contact_name == "李店主"

    result, data = download(importer.client, f"/api/v1/imports/{again['id']}/result.xlsx")
    assert result.status_code == 200
    sheet = load_workbook(io.BytesIO(data)).active
    assert [r[2] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["未变"] * 6


def test_a_gbk_csv_from_excel_is_read(importer: Any, db: Any) -> None:
    lines = [",".join(HEADER), ",".join(str(v) for v in shop(1))]
    job = importer.upload(("\r\n".join(lines) + "\r\n").encode("gbk"), "场所.csv")
    assert job["status"] == "checked" and job["problem_count"] == 0 and job["planned"]["created"] == 1
    assert importer.confirm(job)["applied"]["created"] == 1
    from hazardloop.sites.models import Site

    assert db.session.scalar(select(Site.address)) == "导入路1号"


@pytest.mark.parametrize(("data", "name", "says"), [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "old.xlsx", "旧版 Excel"),
    (b"PK\x03\x04 this is not really a zip", "broken.xlsx", "无法读取该 Excel 文件"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.csv", "无法识别的文件"),
    ("名称,地址\n便利店,某路1号\n".encode(), "cols.csv", "缺少必填列：所属网格、场所类别"),
    (",".join(HEADER).encode() + b"\n", "empty.csv", "没有数据行"),
])
def test_a_file_that_is_not_a_usable_table_fails_with_a_sentence(importer: Any, db: Any, data: bytes, name: str,
                                                                   says: str) -> None:
    job = importer.upload(data, name)
    assert job["status"] == "failed" and says in job["error"]
    assert site_count(db) == 0


def test_a_file_over_the_row_limit_is_refused_whole(importer: Any, app: Any, db: Any,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 3)
    job = importer.upload(xlsx([shop(n) for n in range(1, 5)]))
    assert job["status"] == "failed" and "超过 3 行" in job["error"] and site_count(db) == 0


def test_wrong_uploads_are_refused_at_once(importer: Any) -> None:
    assert_problem(importer.client.post("/api/v1/imports", data={}, content_type="multipart/form-data"), 422)
    response = importer.client.post("/api/v1/imports", data={"file": (io.BytesIO(b"x"), "a.xls")},
                                    content_type="multipart/form-data")
    assert_problem(response, 422)


def test_an_import_stopped_mid_way_resumes_without_doubling(importer: Any, app: Any, db: Any,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker killed in its second batch, after the first one committed: the next run applies only the rest."""
    from hazardloop.imports import services

    monkeypatch.setitem(app.config, "IMPORT_BATCH_ROWS", 2)
    job = importer.upload(xlsx([shop(n) for n in range(1, 6)]))
    real = services._write_sites
    batches: list[int] = []

    def dies_in_second_batch(*args: Any, **kwargs: Any) -> Any:
        batches.append(len(batches))
        if len(batches) > 1:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_write_sites", dies_in_second_batch)
    confirmed = importer.client.post(f"/api/v1/imports/{job['id']}/confirm")
    assert confirmed.status_code == 202, (job, confirmed.get_json())
    with pytest.raises(SystemExit):
        importer.run_jobs()
    db.session.rollback()
    assert site_count(db) == 2
    monkeypatch.setattr(services, "_write_sites", real)
    importer.run_jobs()  # the relay hands the still-pending message to a worker again
    done = importer.client.get(f"/api/v1/imports/{job['id']}").get_json()
    assert done["status"] == "done" and done["applied"]["created"] == 5 and site_count(db) == 5


def test_a_site_registered_outside_my_street_is_not_overwritten(importer: Any, db: Any, district: Any,
                                                                make_site: Any) -> None:
    make_site(district.grid_b1, credit_code=code(1), name="B街道的店")
    job = importer.upload(xlsx([shop(1)]))
    assert [(p["row"], p["column"]) for p in job["problems"]] == [(2, "场所名称")]
    assert "管辖范围以外" in job["problems"][0]["message"]


def test_someone_elses_import_is_not_found(importer: Any, make_user: Any, login: Any, district: Any) -> None:
    job = importer.upload(xlsx([shop(1)]))
    other = login(make_user("supervisor", region=district.street_a))
    assert_problem(other.get(f"/api/v1/imports/{job['id']}"), 404)
    assert_problem(other.post(f"/api/v1/imports/{job['id']}/confirm"), 404)
    grid_worker = login(make_user("grid_worker", region=district.grid_a1))
    assert_problem(grid_worker.post("/api/v1/imports", data={"file": (io.BytesIO(xlsx([shop(1)])), "a.xlsx")},
                                    content_type="multipart/form-data"), 404)


def test_the_stored_file_is_removed_once_applied(importer: Any, app: Any) -> None:
    job = importer.confirm(importer.upload(xlsx([shop(1)])))
    model = importer.job_model
    from hazardloop.extensions import db

    stored = db.session.get(model, job["id"]).stored_path
    assert not (Path(app.config["STORAGE_DIR"]) / "imports" / stored).exists()
