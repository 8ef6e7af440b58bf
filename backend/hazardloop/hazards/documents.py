"""整改通知书 and 复查意见书: the numbered documents of a hazard as a printable page and a PDF."""

from __future__ import annotations

import base64
import datetime as dt
import re
from itertools import zip_longest
from typing import Any

from flask import render_template

from hazardloop.database import local_zone
from hazardloop.errors import ApiError, NotFound
from hazardloop.extensions import db
from hazardloop.hazards.models import Hazard, RectificationOrder
from hazardloop.hazards.services import hazard_item
from hazardloop.hazards.states import LEVEL_LABELS, SOURCE_LABELS, HazardLevel, HazardSource
from hazardloop.taxonomy import DOMAIN_LABELS

TITLES = {"order": "责令限期整改指令书（整改通知书）", "verification": "整改复查意见书"}
# The font installed by ./dev (fonts-wqy-zenhei); Noto CJK where an image ships that instead.
FONT_FAMILY = '"WenQuanYi Zen Hei", "Noto Sans CJK SC", "Source Han Sans SC", sans-serif'


class PdfUnavailable(ApiError):
    status = 503
    code = "pdf_unavailable"
    title = "服务暂不可用"


def get_document(document_id: int) -> RectificationOrder:
    """The numbered document; NotFound when it does not exist."""
    document = db.session.get(RectificationOrder, document_id)
    if document is None:
        raise NotFound("文书不存在。")
    return document


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    local = value.astimezone(local_zone())
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def _local_date(value: dt.datetime | None) -> str:
    if value is None:
        return "____年__月__日"
    local = value.astimezone(local_zone())
    return f"{local.year}年{local.month}月{local.day}日"


def _thumbnail(photo_id: str | None) -> str | None:
    """The photo's thumbnail as a data: URI (the PDF renderer fetches nothing), or None if missing."""
    from hazardloop.evidence.models import Photo
    from hazardloop.evidence.services import read_file

    photo = db.session.get(Photo, photo_id) if photo_id else None
    if photo is None:
        return None
    try:
        data, mime, _ = read_file(photo, "thumbnail")
    except NotFound:
        return None
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def photo_pairs(hazard: Hazard) -> list[tuple[str | None, str | None]]:
    """(before, after) thumbnails side by side: linked pairs first, else found vs rectification photos."""
    from hazardloop.evidence.models import SubjectType
    from hazardloop.evidence.services import before_after_pairs

    ids = [(b.id, a.id) for b, a in before_after_pairs(SubjectType.HAZARD.value, hazard.id)]
    if not ids:
        after = list((hazard.rectification or {}).get("photo_ids") or [])
        before = [p for p in hazard.photo_ids if p not in set(after)]
        ids = list(zip_longest(before, after))
    pairs = [(_thumbnail(b), _thumbnail(a)) for b, a in ids]
    return [p for p in pairs if p != (None, None)]


# The general duties an official document cites when the item's own basis is not verified.
# Both checked word for word against shared/reference/laws (消防法 2021, 安全生产法 2021).
GENERAL_DUTY_FIRE = {"law": "中华人民共和国消防法", "article": "第十六条第一款第（五）项",
                     "text": "组织防火检查，及时消除火灾隐患"}
GENERAL_DUTY_SAFETY = {"law": "中华人民共和国安全生产法", "article": "第四十一条第二款",
                       "text": "生产经营单位应当建立健全并落实生产安全事故隐患排查治理制度，"
                               "采取技术、管理措施，及时发现并消除事故隐患"}
_FIRE_DOMAINS = frozenset({"fire", "nine_small"})


def official_basis(item: dict[str, Any] | None, domain: str | None) -> dict[str, Any]:
    """What a 整改通知书/复查意见书 may print as the legal basis.

    The item's own articles only when its basis is verified; otherwise the verified general
    duty of the hazard's domain (消防法 for fire and 九小场所, else 安全生产法). The unverified
    detail stays on the hazard page for staff and is never printed on an official document."""
    if item and item.get("basis_verified"):
        criterion = (item.get("hazard") or {}).get("major_criterion")
        if criterion:
            # The reference file's name carries edition years in brackets: print the title only.
            criterion = {**criterion, "title": re.sub(r"[（(][^)）]*[)）]", "", criterion["standard"])}
        return {
            "verified": True,
            "standard": item.get("standard"),
            "violated": list((item.get("enforcement") or {}).get("violated") or []),
            "penalty": (item.get("enforcement") or {}).get("penalty"),
            "criterion": criterion,
            "general": None,
        }
    general = GENERAL_DUTY_FIRE if domain in _FIRE_DOMAINS else GENERAL_DUTY_SAFETY
    return {"verified": False, "standard": None, "violated": [], "penalty": None, "criterion": None,
            "general": general}


def context(document: RectificationOrder) -> dict[str, Any]:
    """Everything the document template shows, with times in local time and labels in Chinese."""
    hazard = document.hazard
    site = hazard.site
    content = document.content or {}
    item = hazard_item(hazard)
    verified = bool(item and item.get("basis_verified"))
    return {
        "document": document,
        "title": TITLES[document.kind],
        "font_family": FONT_FAMILY,
        "issuing_body": document.issuing_body,
        "issued_at": _local(document.issued_at),
        "issued_date": _local_date(document.issued_at),
        "deadline": _local(document.deadline_at),
        "deadline_date": _local_date(document.deadline_at),
        "site": site,
        "hazards": [{
            "hazard": hazard,
            "level": LEVEL_LABELS[HazardLevel(hazard.level)],
            "source": SOURCE_LABELS[HazardSource(hazard.source)],
            "domain": DOMAIN_LABELS.get(hazard.domain, hazard.domain),  # type: ignore[call-overload]
            "found_at": _local(hazard.found_at),
            "item": item,
            "basis_verified": verified,
            "basis": official_basis(item, hazard.domain),
        }],
        "major": hazard.level == HazardLevel.MAJOR.value,
        "note": content.get("note"),
        "result": content.get("result"),
        "passed": content.get("result") == "通过",
        "rectification": hazard.rectification or {},
        "photo_pairs": photo_pairs(hazard) if document.kind == "verification" else [],
        "rejection_count": hazard.rejection_count,
    }


def render_html(document: RectificationOrder) -> str:
    """The document as a printable HTML page (A4, print CSS)."""
    return render_template(f"documents/{document.kind}.html", **context(document))


def render_pdf(document: RectificationOrder) -> bytes:
    """The same page as a PDF with a Chinese font; PdfUnavailable when WeasyPrint cannot load Pango."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: Debian's Pango libraries are missing
        raise PdfUnavailable("PDF 生成组件未安装，请联系管理员（可先打印网页版）。") from exc
    return HTML(string=render_html(document)).write_pdf()  # type: ignore[no-any-return]
