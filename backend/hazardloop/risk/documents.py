"""风险分级管控清单 (XLSX rows per site or region) and 岗位风险告知卡 (a PDF card per risk point)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, select

from hazardloop.extensions import db
from hazardloop.risk import rules as R
from hazardloop.risk.detail import name_of
from hazardloop.risk.models import RiskAssessment, RiskPoint
from hazardloop.sites.models import Site

# --- 风险分级管控清单 (XLSX rows) -------------------------------------------------------------------------

INVENTORY_HEADERS = ["场所", "风险点", "类型", "危险源", "可能导致的事故类型", "评价依据", "风险等级",
                     "控制措施（类别·管控层级）", "对应检查条目", "管控责任人", "评估人", "评估时间", "应重新评估日期"]
INVENTORY_WIDTHS = [24, 20, 8, 30, 16, 24, 14, 60, 24, 12, 12, 18, 14]
_MEASURE_KINDS = {"engineering": "工程技术", "management": "管理", "training": "培训教育", "ppe": "个体防护",
                  "emergency": "应急处置"}
_LEVEL_WORDS = {"red": "重大风险（红）", "orange": "较大风险（橙）", "yellow": "一般风险（黄）", "blue": "低风险（蓝）"}


def inventory_rows(site_filter: ColumnElement[bool]) -> Iterable[list[Any]]:
    """One row per active risk point of the matching sites, highest level first within each site."""
    from hazardloop.console.exports import excel_time

    rows = db.session.execute(
        select(Site.name, RiskPoint, RiskAssessment)
        .join(RiskPoint, RiskPoint.site_id == Site.id)
        .outerjoin(RiskAssessment, RiskAssessment.id == RiskPoint.accepted_assessment_id)
        .where(site_filter, RiskPoint.active.is_(True)).order_by(Site.name, Site.id, RiskPoint.id)).all()
    order = {level.value: i for i, level in enumerate(reversed(R.ORDER))}
    rows = sorted(rows, key=lambda r: (r[0], r[1].site_id, order.get(r[1].level or "", 9)))
    for site_name, point, accepted in rows:
        measures = "\n".join(f"{_MEASURE_KINDS.get(m.get('kind'), m.get('kind'))}·{m.get('tier')}：{m.get('text')}"
                             for m in point.measures)
        items = "、".join(code for m in point.measures for code in m.get("check_items") or [])
        yield [site_name, point.name, point.kind, point.hazard_source, "、".join(point.accident_types),
               point.basis or "尚未评估", _LEVEL_WORDS.get(point.level or "", "未评估"), measures, items,
               point.responsible or "", name_of(accepted.assessed_by_id) if accepted else "模板默认",
               excel_time(accepted.assessed_at) if accepted else None,
               excel_time(point.reassess_due_at).date() if point.reassess_due_at else None]


# --- 岗位风险告知卡 (PDF) ------------------------------------------------------------------------------

_DEFAULT_EMERGENCY = "<li>立即停止作业，撤离人员，报告负责人并拨打119/120。</li>"
_CARD_COLOURS = {"red": "#d62828", "orange": "#f77f00", "yellow": "#e9c46a", "blue": "#3a86ff"}


def risk_card_pdf(point: RiskPoint) -> bytes:
    """岗位风险告知卡: one A5 card per risk point to post at the place — level, 危险源, 事故类型, 控制措施 and
    应急处置, the responsible person, and the site's QR code (the same address as the site's poster)."""
    import base64
    import html

    import qrcode
    import qrcode.image.svg
    from flask import current_app
    from weasyprint import HTML

    from hazardloop.evidence.watermark import find_font
    from hazardloop.sites.posters import site_url

    e = html.escape
    site = point.site
    level = point.level or ""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(site_url(site))
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string()
    qr = "data:image/svg+xml;base64," + base64.b64encode(svg).decode()
    measures = "".join(f"<li><b>{e(_MEASURE_KINDS.get(m.get('kind'), str(m.get('kind'))))}</b>"
                       f"（{e(str(m.get('tier')))}）{e(str(m.get('text')))}</li>"
                       for m in point.measures if m.get("kind") != "emergency")
    emergency = "".join(f"<li>{e(str(m.get('text')))}</li>" for m in point.measures if m.get("kind") == "emergency")
    font = find_font(current_app.config["PHOTO_FONT_PATH"])
    css = f"""@font-face {{ font-family: "CardCJK"; src: url("file://{font}"); }}
    @page {{ size: A5; margin: 8mm; }} body {{ font-family: "CardCJK", sans-serif; font-size: 10.5pt; margin: 0; }}
    h1 {{ font-size: 20pt; text-align: center; margin: 0 0 3mm; }}
    .level {{ background: {_CARD_COLOURS.get(level, '#999')}; color: #fff; text-align: center; font-size: 15pt;
              padding: 2mm; margin-bottom: 3mm; }}
    table {{ width: 100%; border-collapse: collapse; }} td, th {{ border: .3mm solid #333; padding: 1.5mm; }}
    th {{ width: 24mm; background: #eee; text-align: left; }} ul {{ margin: 0; padding-left: 5mm; }}
    .qr {{ width: 28mm; height: 28mm; }} .foot {{ margin-top: 3mm; display: flex; gap: 4mm; align-items: center; }}"""
    body = f"""<h1>岗位风险告知卡</h1>
    <div class="level">{e(_LEVEL_WORDS.get(level, '未评估'))}</div>
    <table>
      <tr><th>单位</th><td>{e(site.name)}</td></tr>
      <tr><th>风险点</th><td>{e(point.name)}（{e(point.kind)}）</td></tr>
      <tr><th>危险源</th><td>{e(point.hazard_source)}</td></tr>
      <tr><th>可能导致的事故</th><td>{e('、'.join(point.accident_types))}</td></tr>
      <tr><th>评价依据</th><td>{e(point.basis or '尚未评估')}</td></tr>
      <tr><th>控制措施</th><td><ul>{measures or '<li>—</li>'}</ul></td></tr>
      <tr><th>应急处置</th><td><ul>{emergency or _DEFAULT_EMERGENCY}</ul></td></tr>
      <tr><th>管控责任人</th><td>{e(point.responsible or '（请填写）')}</td></tr>
    </table>
    <div class="foot"><img class="qr" src="{qr}" alt="场所二维码">
      <div>扫码查看本单位风险点与隐患整改情况，发现隐患可扫码举报。</div></div>"""
    document = f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{css}</style></head>' \
               f"<body>{body}</body></html>"
    return HTML(string=document, base_url=None).write_pdf()
