"""场所二维码海报: the printable QR poster of a site (PNG and PDF) and the A4 sheet of a grid's codes."""

from __future__ import annotations

import base64
import dataclasses
import functools
import html
import io
from typing import Any

import qrcode
import qrcode.image.svg
from flask import Response, current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy import select

from hazardloop import policy
from hazardloop.accounts.auth import current_user
from hazardloop.accounts.models import RoleGrant, User
from hazardloop.apitools import blueprint
from hazardloop.downloads import content_disposition
from hazardloop.errors import NotFound
from hazardloop.evidence.watermark import find_font
from hazardloop.extensions import db
from hazardloop.policy import Action
from hazardloop.regions.models import Region
from hazardloop.sites.models import Site
from hazardloop.sites.services import get_site
from hazardloop.taxonomy import RegionLevel, Role

CALL_TO_ACTION = "扫码巡查 / 扫码查看整改"
# The PNG: A5 portrait at 200 dpi, the QR code in a fixed square so its modules can be located.
PNG_SIZE = (1166, 1654)
QR_TOP = 300
QR_BOX = 860
INK = (0, 0, 0)
ACCENT = (176, 0, 32)

blp = blueprint("posters", __name__, "", "场所二维码海报（打印张贴）")


@dataclasses.dataclass(frozen=True)
class Poster:
    """What one poster shows: the URL in the code and the words around it."""

    url: str
    site_name: str
    address: str
    grid_label: str
    inspectors: tuple[tuple[str, str], ...]  # (name, mobile) of the grid's 网格员

    @property
    def inspector_line(self) -> str:
        if not self.inspectors:
            return "网格员：待指派"
        return "网格员：" + "；".join(f"{name} {mobile}" for name, mobile in self.inspectors)


def site_url(site: Site) -> str:
    """The URL printed in the site's code: the app opens the site at /s/<token>."""
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/s/{site.qr_token}"


def grid_label(grid: Region) -> str:
    parent = grid.parent
    return f"{parent.name} {grid.name}" if parent is not None else grid.name


def grid_inspectors(grid: Region) -> tuple[tuple[str, str], ...]:
    """The active 网格员 granted this grid, as (name, mobile)."""
    rows = db.session.execute(
        select(User.display_name, User.mobile).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.GRID_WORKER.value, RoleGrant.region_id == grid.id, User.active.is_(True))
        .order_by(User.id)).all()
    return tuple((name, mobile) for name, mobile in rows)


def poster_for(site: Site, inspectors: tuple[tuple[str, str], ...] | None = None) -> Poster:
    return Poster(url=site_url(site), site_name=site.name, address=site.address or "",
                  grid_label=grid_label(site.grid),
                  inspectors=grid_inspectors(site.grid) if inspectors is None else inspectors)


def _qr(url: str) -> qrcode.QRCode:
    # Level M survives a scuffed or rain-stained print; no quiet zone here, the layout leaves one.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return code


def qr_matrix(url: str) -> list[list[bool]]:
    """The code's modules, row by row (True = dark), without the quiet zone."""
    return [list(row) for row in _qr(url).get_matrix()]


def qr_placement(modules: int) -> tuple[int, int, int]:
    """(left, top, module size in px) of a code with this many modules per side on the PNG poster."""
    size = QR_BOX // modules
    return (PNG_SIZE[0] - size * modules) // 2, QR_TOP + (QR_BOX - size * modules) // 2, size


@functools.lru_cache(maxsize=8)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, room: int) -> str:
    if draw.textlength(text, font=font) <= room:
        return text
    while text and draw.textlength(text + "…", font=font) > room:
        text = text[:-1]
    return text + "…"


def render_png(poster: Poster) -> bytes:
    """The poster as a PNG: call to action, the code, site, grid and inspector."""
    font_path = find_font(current_app.config["PHOTO_FONT_PATH"])
    image = Image.new("RGB", PNG_SIZE, "white")
    draw = ImageDraw.Draw(image)
    width = PNG_SIZE[0]
    margin = 60

    def centred(y: int, text: str, size: int, fill: tuple[int, int, int] = INK) -> None:
        font = _font(font_path, size)
        text = _fit(draw, text, font, width - 2 * margin)
        draw.text((width // 2, y), text, font=font, fill=fill, anchor="mt")

    draw.rectangle([20, 20, width - 21, PNG_SIZE[1] - 21], outline=ACCENT, width=8)
    centred(80, "扫码巡查", 96, ACCENT)
    centred(200, "扫码查看整改", 64, INK)
    matrix = qr_matrix(poster.url)
    left, top, size = qr_placement(len(matrix))
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            if dark:
                draw.rectangle([left + c * size, top + r * size, left + (c + 1) * size - 1,
                                top + (r + 1) * size - 1], fill=INK)
    y = QR_TOP + QR_BOX + 50
    centred(y, poster.site_name, 64)
    centred(y + 100, poster.address, 36)
    centred(y + 170, f"所属网格：{poster.grid_label}", 42)
    centred(y + 235, poster.inspector_line, 42)
    centred(PNG_SIZE[1] - 90, "请用手机相机或“隐患排查”应用扫码；二维码更换后旧码失效", 30, (90, 90, 90))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def _qr_svg(url: str) -> str:
    svg = _qr(url).make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string()
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode()


def _page_css(font_path: str) -> str:
    return f"""
    @font-face {{ font-family: "PosterCJK"; src: url("file://{font_path}"); }}
    * {{ box-sizing: border-box; }}
    body {{ margin: 0; font-family: "PosterCJK", sans-serif; color: #000; }}
    .qr {{ display: block; margin: 0 auto; }}
    .cta {{ color: #b00020; font-weight: bold; text-align: center; margin: 0; }}
    p {{ margin: 0; text-align: center; }}
    """


def _html(body: str, css: str) -> str:
    return f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><style>{css}</style></head>' \
           f"<body>{body}</body></html>"


def _pdf(document: str) -> bytes:
    from weasyprint import HTML

    return HTML(string=document, base_url=None).write_pdf()


def render_pdf(poster: Poster) -> bytes:
    """The poster on one A4 page, with real (searchable, copyable) text and a vector code."""
    e = html.escape
    css = _page_css(find_font(current_app.config["PHOTO_FONT_PATH"])) + """
    @page { size: A4; margin: 15mm; }
    .frame { border: 2.5mm solid #b00020; height: 265mm; padding: 12mm 10mm; }
    .cta { font-size: 40pt; } .sub { font-size: 26pt; margin-bottom: 8mm; }
    .qr { width: 120mm; height: 120mm; margin-bottom: 8mm; }
    .name { font-size: 24pt; font-weight: bold; margin-bottom: 3mm; }
    .line { font-size: 15pt; margin-bottom: 2mm; } .small { font-size: 10pt; color: #555; margin-top: 8mm; }
    .url { font-size: 9pt; color: #555; font-family: monospace; }
    """
    body = f"""<div class="frame">
      <p class="cta">扫码巡查</p><p class="sub">扫码查看整改</p>
      <img class="qr" src="{_qr_svg(poster.url)}" alt="{e(poster.url)}">
      <p class="name">{e(poster.site_name)}</p>
      <p class="line">{e(poster.address)}</p>
      <p class="line">所属网格：{e(poster.grid_label)}</p>
      <p class="line">{e(poster.inspector_line)}</p>
      <p class="small">请用手机相机或“隐患排查”应用扫码；二维码更换后旧码失效。</p>
      <p class="url">{e(poster.url)}</p>
    </div>"""
    return _pdf(_html(body, css))


def render_sheet(grid: Region, posters: list[Poster]) -> bytes:
    """An A4 sheet (as many pages as needed) of 3 × 4 codes, for printing a grid's posters in batch."""
    e = html.escape
    css = _page_css(find_font(current_app.config["PHOTO_FONT_PATH"])) + f"""
    @page {{ size: A4; margin: 10mm;
             @top-center {{ content: "{e(grid_label(grid))} · 场所二维码 · {CALL_TO_ACTION}";
                            font-family: "PosterCJK"; font-size: 10pt; }}
             @bottom-center {{ content: counter(page) " / " counter(pages); font-size: 9pt; }} }}
    .grid {{ display: flex; flex-wrap: wrap; }}
    .cell {{ width: 63.3mm; height: 68mm; border: 0.3mm dashed #999; padding: 2mm; overflow: hidden;
             break-inside: avoid; }}
    .qr {{ width: 40mm; height: 40mm; margin: 1mm auto; }}
    .cta {{ font-size: 10pt; }} .name {{ font-size: 10pt; font-weight: bold; }}
    .line {{ font-size: 7.5pt; color: #333; }}
    """
    cells = "".join(
        f"""<div class="cell"><p class="cta">{CALL_TO_ACTION}</p>
        <img class="qr" src="{_qr_svg(p.url)}" alt="{e(p.url)}">
        <p class="name">{e(p.site_name)}</p><p class="line">{e(p.inspector_line)}</p></div>"""
        for p in posters)
    if not posters:
        cells = "<p>该网格暂无场所。</p>"
    return _pdf(_html(f'<div class="grid">{cells}</div>', css))


def _file(data: bytes, mime: str, filename: str) -> Response:
    response = Response(data, mimetype=mime)
    response.headers["Content-Disposition"] = content_disposition(filename, inline=True)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _visible_site(site_id: int) -> Site:
    site = get_site(site_id)
    policy.authorize(current_user(), Action.SITE_VIEW, site)
    return site


_PNG = {"200": {"description": "PNG 海报", "content": {"image/png": {}}}}
_PDF = {"200": {"description": "PDF（A4）", "content": {"application/pdf": {}}}}


@blp.route("/sites/<int:site_id>/poster.png", methods=["GET"])
@blp.doc(responses=_PNG)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def site_poster_png(site_id: int) -> Any:
    """The site's QR poster as a PNG (A5, 200 dpi)."""
    site = _visible_site(site_id)
    return _file(render_png(poster_for(site)), "image/png", f"场所二维码_{site.name}.png")


@blp.route("/sites/<int:site_id>/poster.pdf", methods=["GET"])
@blp.doc(responses=_PDF)
@blp.alt_response(404, description="场所不存在或不在您的范围内")
def site_poster_pdf(site_id: int) -> Any:
    """The site's QR poster as an A4 PDF."""
    site = _visible_site(site_id)
    return _file(render_pdf(poster_for(site)), "application/pdf", f"场所二维码_{site.name}.pdf")


@blp.route("/regions/<int:region_id>/posters.pdf", methods=["GET"])
@blp.doc(responses=_PDF)
@blp.alt_response(404, description="网格不存在或不在您的范围内")
def grid_posters_pdf(region_id: int) -> Any:
    """A4 sheets with the codes of all active sites of a grid that I may see."""
    user = current_user()
    grid = db.session.get(Region, region_id)
    if grid is None or grid.level != RegionLevel.GRID:
        raise NotFound("网格不存在。")
    policy.authorize(user, Action.REGION_VIEW, grid)
    sites = db.session.scalars(
        select(Site).where(Site.grid_id == grid.id, Site.active.is_(True), policy.visible(user, Site))
        .order_by(Site.name, Site.id)).all()
    inspectors = grid_inspectors(grid)
    posters = [poster_for(site, inspectors) for site in sites]
    return _file(render_sheet(grid, posters), "application/pdf", f"场所二维码_{grid.name}.pdf")
