"""SMS through the two large Chinese cloud providers' documented HTTP APIs: 阿里云短信服务 and 腾讯云短信.

Both send only pre-approved templates (模板) with named parameters, signed with the account's key:
Alibaba Cloud's Dysmsapi ``SendSms`` (API 2017-05-25) with the V3 signature ``ACS3-HMAC-SHA256``, and
Tencent Cloud's ``SendSms`` (API 2021-01-11) with ``TC3-HMAC-SHA256``. Which notice kind uses which
template, and the template's parameters, come from ``config/sms.yaml``; the provider, keys and sign name
from the environment. A provider's refusal (wrong template, quota, blacklisted number) raises
``SmsRefused`` with the provider's own code and message, which the delivery list shows to staff.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import current_app

ROOT = Path(__file__).resolve().parents[3]
TIMEOUT_SECONDS = 10
# Providers cap one template variable's length; longer values are cut with an ellipsis.
MAX_PARAM_CHARS = 35


class SmsRefused(Exception):
    """The provider answered but did not accept the message; ``str()`` names its code and message,
    ``code`` is the provider's own code (e.g. ``isv.MOBILE_NUMBER_ILLEGAL``) and ``message`` its text."""

    def __init__(self, text: str, *, code: str = "", message: str = "") -> None:
        super().__init__(text)
        self.code, self.message = code, message


class SmsUnreachable(Exception):
    """The provider could not be reached (network, timeout, 5xx): worth retrying later."""


@dataclass(frozen=True)
class Template:
    """A provider's approved template for one notice kind: its id and the parameters it takes, in order."""

    code: str
    params: tuple[str, ...]


@dataclass(frozen=True)
class SmsConfig:
    provider: str
    access_key_id: str
    access_key_secret: str
    sign_name: str
    endpoint: str
    app_id: str = ""  # 腾讯云 SmsSdkAppId
    region: str = "ap-guangzhou"


def config() -> SmsConfig:
    c = current_app.config
    provider = c["SMS_GATEWAY"]
    default_endpoint = {"aliyun": "https://dysmsapi.aliyuncs.com", "tencent": "https://sms.tencentcloudapi.com"}
    return SmsConfig(provider=provider, access_key_id=c.get("SMS_ACCESS_KEY_ID") or "",
                     access_key_secret=c.get("SMS_ACCESS_KEY_SECRET") or "",
                     sign_name=c.get("SMS_SIGN_NAME") or c.get("SMS_SIGNATURE") or "",
                     endpoint=c.get("SMS_ENDPOINT") or default_endpoint.get(provider, ""),
                     app_id=c.get("SMS_TENCENT_APP_ID") or "", region=c.get("SMS_TENCENT_REGION") or "ap-guangzhou")


@cache
def _templates(path: str) -> dict[str, dict[str, Template]]:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out: dict[str, dict[str, Template]] = {}
    for provider, kinds in (data.get("providers") or {}).items():
        out[provider] = {kind: Template(str(t["template"]), tuple(t.get("params") or ()))
                         for kind, t in (kinds or {}).items()}
    return out


def config_path() -> str:
    """The SMS configuration file: SMS_TEMPLATES, else ``config/sms.yaml``."""
    return current_app.config.get("SMS_TEMPLATES") or str(ROOT / "config" / "sms.yaml")


@cache
def _sections(path: str, mtime: float) -> dict[str, Any]:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}


def config_section(name: str) -> Any:
    """One top-level section of the SMS configuration file (re-read when the file changes), or None."""
    path = config_path()
    try:
        mtime = Path(path).stat().st_mtime
    except OSError:
        return None
    return _sections(path, mtime).get(name)


def fake_refusals() -> dict[str, str]:
    """``fake_refusals`` of the SMS configuration: mobile -> the provider code the fake gateway answers with."""
    return {str(k): str(v) for k, v in (config_section("fake_refusals") or {}).items()}


def template_for(provider: str, kind: str) -> Template:
    """The template of a notice kind, else the provider's general ``notice`` template."""
    path = config_path()
    templates = _templates(path).get(provider, {})
    template = templates.get(kind) or templates.get("notice")
    if template is None:
        raise SmsRefused(f"未配置{provider}短信模板（{kind}）：请在 {path} 中填写已审核通过的模板编号。",
                         code="template_missing")
    return template


def params_for(template: Template, values: dict[str, str]) -> dict[str, str]:
    out = {}
    for name in template.params:
        value = str(values.get(name) or "").strip()
        out[name] = value if len(value) <= MAX_PARAM_CHARS else value[:MAX_PARAM_CHARS - 1] + "…"
    return out


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The provider answers directly; a redirect is not followed (the signed request stays where it was sent)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _http(request: urllib.request.Request) -> dict[str, Any]:
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        body = exc.read()
        if exc.code >= 500:
            raise SmsUnreachable(f"短信服务暂不可用（HTTP {exc.code}）") from exc
        try:
            return json.loads(body or b"{}")
        except ValueError as bad:
            raise SmsRefused(f"短信服务拒绝（HTTP {exc.code}）") from bad
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise SmsUnreachable(f"无法连接短信服务：{exc}") from exc


def _percent(value: str) -> str:
    """RFC 3986 encoding as both providers' signatures expect (space as %20, ~ kept)."""
    return urllib.parse.quote(value, safe="-_.~")


# --- 阿里云 Dysmsapi SendSms, V3 signature ---------------------------------------------------------

def aliyun_sign(*, method: str, query: dict[str, str], headers: dict[str, str], body: bytes, key_id: str,
                secret: str) -> str:
    """The ``Authorization`` header value of Alibaba Cloud's ACS3-HMAC-SHA256 (V3) signature over exactly
    ``headers`` (the sender signs host and every x-acs- header)."""
    canonical_query = "&".join(f"{_percent(k)}={_percent(v)}" for k, v in sorted(query.items()))
    signed = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(signed)
    canonical_headers = "".join(f"{name}:{signed[name]}\n" for name in names)
    signed_headers = ";".join(names)
    canonical = "\n".join([method, "/", canonical_query, canonical_headers, signed_headers,
                           hashlib.sha256(body).hexdigest()])
    string_to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    signature = hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"ACS3-HMAC-SHA256 Credential={key_id},SignedHeaders={signed_headers},Signature={signature}"


def send_aliyun(cfg: SmsConfig, mobile: str, template: Template, params: dict[str, str], key: str) -> str:
    """Send one templated SMS; returns the provider's BizId. Raises SmsRefused or SmsUnreachable."""
    url = urllib.parse.urlsplit(cfg.endpoint)
    query = {"PhoneNumbers": mobile, "SignName": cfg.sign_name, "TemplateCode": template.code,
             "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")), "OutId": key[:64]}
    body = b""
    headers = {"host": url.netloc, "x-acs-action": "SendSms", "x-acs-version": "2017-05-25",
               "x-acs-date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
               "x-acs-signature-nonce": secrets.token_hex(16),
               "x-acs-content-sha256": hashlib.sha256(body).hexdigest()}
    headers["Authorization"] = aliyun_sign(method="POST", query=query, headers=headers, body=body,
                                           key_id=cfg.access_key_id, secret=cfg.access_key_secret)
    target = f"{url.scheme}://{url.netloc}/?" + "&".join(f"{_percent(k)}={_percent(v)}" for k, v in query.items())
    answer = _http(urllib.request.Request(target, data=body, headers=headers, method="POST"))
    if answer.get("Code") != "OK":
        raise SmsRefused(f"阿里云短信拒绝：{answer.get('Code')} {answer.get('Message')}",
                         code=str(answer.get("Code") or ""), message=str(answer.get("Message") or ""))
    return str(answer.get("BizId") or "")


# --- 腾讯云 SMS SendSms, TC3-HMAC-SHA256 -----------------------------------------------------------

def tencent_sign(*, host: str, body: bytes, timestamp: int, key_id: str, secret: str,
                 service: str = "sms", content_type: str = "application/json; charset=utf-8") -> str:
    """The ``Authorization`` header value of Tencent Cloud's TC3-HMAC-SHA256 signature (POST, JSON body)."""
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
                           hashlib.sha256(body).hexdigest()])
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                                hashlib.sha256(canonical.encode()).hexdigest()])

    def mac(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing = mac(mac(mac(("TC3" + secret).encode(), date), service), "tc3_request")
    signature = hmac.new(signing, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


def send_tencent(cfg: SmsConfig, mobile: str, template: Template, params: dict[str, str], key: str) -> str:
    """Send one templated SMS; returns the provider's SerialNo. Raises SmsRefused or SmsUnreachable."""
    url = urllib.parse.urlsplit(cfg.endpoint)
    body = json.dumps({"PhoneNumberSet": [f"+86{mobile}"], "SmsSdkAppId": cfg.app_id, "SignName": cfg.sign_name,
                       "TemplateId": template.code, "TemplateParamSet": [params[p] for p in template.params],
                       "SessionContext": key[:512]}, ensure_ascii=False).encode()
    timestamp = int(dt.datetime.now(dt.UTC).timestamp())
    content_type = "application/json; charset=utf-8"
    headers = {"Content-Type": content_type, "Host": url.netloc, "X-TC-Action": "SendSms",
               "X-TC-Version": "2021-01-11", "X-TC-Timestamp": str(timestamp), "X-TC-Region": cfg.region,
               "Authorization": tencent_sign(host=url.netloc, body=body, timestamp=timestamp,
                                             key_id=cfg.access_key_id, secret=cfg.access_key_secret)}
    answer = _http(urllib.request.Request(f"{url.scheme}://{url.netloc}/", data=body, headers=headers,
                                          method="POST")).get("Response", {})
    if "Error" in answer:
        error = answer["Error"]
        raise SmsRefused(f"腾讯云短信拒绝：{error.get('Code')} {error.get('Message')}",
                         code=str(error.get("Code") or ""), message=str(error.get("Message") or ""))
    status = (answer.get("SendStatusSet") or [{}])[0]
    if status.get("Code") != "Ok":
        raise SmsRefused(f"腾讯云短信拒绝：{status.get('Code')} {status.get('Message')}",
                         code=str(status.get("Code") or ""), message=str(status.get("Message") or ""))
    return str(status.get("SerialNo") or "")


SENDERS = {"aliyun": send_aliyun, "tencent": send_tencent}


def send_template_sms(mobile: str, *, kind: str, values: dict[str, str], key: str) -> str:
    """Send the notice kind's template to ``mobile`` through the configured provider; the provider's id."""
    cfg = config()
    template = template_for(cfg.provider, kind)
    return SENDERS[cfg.provider](cfg, mobile, template, params_for(template, values), key)
