"""Outgoing channels behind one interface: SMTP e-mail, 企业微信/钉钉 group robots, and an SMS gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import smtplib
import socket
import time
import urllib.parse
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any, ClassVar, Protocol

from flask import current_app

from hazardloop.notifications.sms import SENDERS, SmsRefused, SmsUnreachable, fake_refusals, send_template_sms


class DeliveryFailed(Exception):
    """The channel refused or could not take the message; the job retries."""


class DeliveryRefused(DeliveryFailed):
    """The receiving side answered and will not take this message as it is (a bad template, quota, an invalid
    number): recorded on the delivery for staff instead of being retried blindly. ``code`` is the provider's."""

    def __init__(self, text: str, *, code: str = "", message: str = "") -> None:
        super().__init__(text)
        self.code, self.message = code, message


class Channel(Protocol):
    name: str

    def send(self, address: str, *, title: str, body: str, key: str, kind: str = "notice",
             values: Mapping[str, str] | None = None) -> None:
        """Send one message; ``key`` identifies it so a receiver can drop a resend. Raises DeliveryFailed.

        ``kind`` and ``values`` (number, deadline, title …) fill an SMS provider's approved template.
        """


class EmailChannel:
    """SMTP e-mail (SMTP_HOST/SMTP_PORT/SMTP_FROM, optional STARTTLS and login)."""

    name = "email"

    def send(self, address: str, *, title: str, body: str, key: str, kind: str = "notice",
             values: Mapping[str, str] | None = None) -> None:
        config = current_app.config
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = config["SMTP_FROM"], address, title
        domain = config["SMTP_FROM"].rpartition("@")[2] or "hazardloop.local"
        message["Message-ID"] = f"<{key}@{domain}>"  # stable, so a resent mail is recognisable
        message.set_content(body)
        try:
            with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
                if config["SMTP_STARTTLS"]:
                    smtp.starttls()
                if config["SMTP_USERNAME"]:
                    smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"] or "")
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryFailed(f"SMTP: {exc}") from exc


class AddressRefused(DeliveryRefused):
    """An outgoing address that may not be used (SSRF): a wrong scheme, a host not allowed, a private address."""

    def __init__(self, text: str) -> None:
        super().__init__(text, code="address_refused", message=text)


def robot_address_problem(address: str) -> str | None:
    """Why a 企业微信/钉钉 robot address may not be used (a Chinese sentence), or None when it may.

    Only https on a host in ROBOT_HOSTS (the robots' official hosts by default); an entry written
    with its scheme, e.g. ``http://10.0.0.5:8080``, allows exactly that origin (an intranet relay).
    """
    allowed = current_app.config["ROBOT_HOSTS"]
    refusal = f"机器人地址必须是以 https:// 开头、位于 {'、'.join(h for h in allowed if '://' not in h)} 的地址。"
    try:
        parts = urllib.parse.urlsplit(address.partition("#")[0].strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        return refusal
    if not host or parts.username is not None or parts.password is not None:
        return refusal
    if parts.scheme == "https" and host in allowed and port in (None, 443):
        return None
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port is not None else "")
    return None if origin in allowed else refusal


def _is_public(ip: str) -> bool:
    address = ipaddress.ip_address(ip.partition("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    try:
        return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise AddressRefused(f"无法解析主机名 {host}。") from exc


def _check_addresses(host: str, infos: list[tuple[Any, ...]]) -> None:
    if not all(_is_public(info[4][0]) for info in infos):
        raise AddressRefused(f"主机 {host} 指向本机、内网或保留地址，不能作为推送地址。")


def webhook_url_problem(url: str) -> str | None:
    """Why a webhook subscriber URL may not be used (a Chinese sentence), or None when it may.

    http(s) only; the host must resolve to public addresses only, unless WEBHOOK_ALLOW_PRIVATE.
    """
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return "推送地址不是有效的网址。"
    if parts.scheme not in {"http", "https"} or not host:
        return "推送地址必须以 http:// 或 https:// 开头。"
    if current_app.config["WEBHOOK_ALLOW_PRIVATE"]:
        return None
    try:
        _check_addresses(host, _resolve(host, port or (443 if parts.scheme == "https" else 80)))
    except AddressRefused as exc:
        return str(exc)
    return None


class _CheckedConnection:
    """Connects only to addresses the check allows, re-resolved at connect time (no DNS rebinding in between)."""

    allow_private = False

    def _create_checked(self, address: tuple[str, int], timeout: Any = None, source_address: Any = None,
                        **kwargs: Any) -> socket.socket:
        host, port = address
        infos = _resolve(host, port)
        if not self.allow_private:
            _check_addresses(host, infos)
        error: OSError | None = None
        for family, kind, proto, _, sockaddr in infos:
            sock = socket.socket(family, kind, proto)
            try:
                if timeout is not None:
                    sock.settimeout(timeout)
                sock.connect(sockaddr)
                return sock
            except OSError as exc:
                sock.close()
                error = exc
        raise error or OSError(f"无法连接 {host}")


class _CheckedHTTP(_CheckedConnection, http.client.HTTPConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = self._create_checked  # type: ignore[assignment]


class _CheckedHTTPS(_CheckedConnection, http.client.HTTPSConnection):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = self._create_checked  # type: ignore[assignment]


def post(url: str, data: bytes, headers: dict[str, str], *, allow_private: bool) -> bytes:
    """POST to an http(s) URL, following no redirect; any other scheme is refused. Raises DeliveryFailed.

    With ``allow_private`` False the connection is refused unless every address of the host is public.
    """
    parts = urllib.parse.urlsplit(url)
    shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}"  # no token from the query
    try:
        host, port = parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # a port out of range
        raise AddressRefused(f"{shown}: 不是有效的网址。") from exc
    if parts.scheme not in {"http", "https"} or not host:
        raise AddressRefused(f"{shown}: 只能推送到 http(s) 地址。")
    connection_class = _CheckedHTTPS if parts.scheme == "https" else _CheckedHTTP
    # An explicit port: http.client would otherwise read the end of an IPv6 address as one.
    connection = connection_class(host, port, timeout=10)
    connection.allow_private = allow_private
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    try:
        connection.request("POST", target, body=data, headers=headers)
        response = connection.getresponse()
        raw = response.read()
    except AddressRefused:
        raise
    except (OSError, http.client.HTTPException) as exc:  # refused, timeouts, TLS, a broken answer
        raise DeliveryFailed(f"{shown}: {exc}") from exc
    finally:
        connection.close()
    if response.status >= 300:  # a redirect is never followed: it could point anywhere
        raise DeliveryFailed(f"{shown}: HTTP {response.status}")
    return raw


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    """POST JSON to a robot address, checked against ROBOT_HOSTS first; the answer's JSON ({} if none)."""
    if problem := robot_address_problem(url):
        raise AddressRefused(problem)
    data = json.dumps(body, ensure_ascii=False).encode()
    raw = post(url, data, {"Content-Type": "application/json; charset=utf-8", **(headers or {})},
               allow_private=True)  # the allow-list is the operator's explicit choice, an intranet relay too
    try:
        return json.loads(raw or b"{}")  # type: ignore[no-any-return]
    except ValueError:
        return {}


class WeComRobot:
    """企业微信群机器人: POST markdown to the robot's webhook URL; errcode 0 means accepted."""

    name = "wecom"

    def send(self, address: str, *, title: str, body: str, key: str, kind: str = "notice",
             values: Mapping[str, str] | None = None) -> None:
        answer = post_json(address, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}"}})
        if answer.get("errcode", 0) != 0:
            raise DeliveryFailed(f"企业微信: {answer}")


class DingTalkRobot:
    """钉钉群机器人. An address ``URL#SEC…`` carries the robot's 加签 secret: timestamp and sign are added."""

    name = "dingtalk"

    def send(self, address: str, *, title: str, body: str, key: str, kind: str = "notice",
             values: Mapping[str, str] | None = None) -> None:
        url, _, secret = address.partition("#")
        if secret:
            timestamp = str(int(time.time() * 1000))
            digest = hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
            sign = urllib.parse.quote_plus(base64.b64encode(digest))
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={sign}"
        answer = post_json(url, {"msgtype": "markdown", "markdown": {"title": title, "text": f"### {title}\n{body}"}})
        if answer.get("errcode", 0) != 0:
            raise DeliveryFailed(f"钉钉: {answer}")


class SmsGateway(Protocol):
    def send_sms(self, mobile: str, text: str, *, key: str) -> None: ...


class FakeSmsGateway:
    """Keeps messages in memory (tests and development); a carrier gateway implements SmsGateway.

    Like a provider it may refuse: ``fake_refusals`` in the SMS configuration file maps a mobile to the
    provider code it answers with (to try the delivery list and its 重试 on a development server).
    """

    sent: ClassVar[list[dict[str, str]]] = []

    def send_sms(self, mobile: str, text: str, *, key: str) -> None:
        if code := fake_refusals().get(mobile):
            raise SmsRefused(f"短信服务拒绝（模拟）：{code}", code=code, message="simulated refusal")
        self.sent.append({"mobile": mobile, "text": text, "key": key})
        # Not delivered: said in the server log, where development (and the browser tests) read it.
        logging.getLogger(__name__).warning("SMS stand-in (not delivered) to %s: %s", mobile, text)


SMS_GATEWAYS: dict[str, type] = {"fake": FakeSmsGateway}


class SmsChannel:
    name = "sms"

    def send(self, address: str, *, title: str, body: str, key: str, kind: str = "notice",
             values: Mapping[str, str] | None = None) -> str | None:
        """Send; the provider's message id. Raises DeliveryRefused (the provider said no, with its code) or
        DeliveryFailed (unreachable: worth retrying)."""
        provider = current_app.config["SMS_GATEWAY"]
        try:
            if provider in SENDERS:  # 阿里云 / 腾讯云: an approved template with parameters, signed by the provider
                return send_template_sms(address, kind=kind, values={"title": title, **(values or {})}, key=key)
            gateway: SmsGateway = SMS_GATEWAYS[provider]()
            gateway.send_sms(address, f"【{current_app.config['SMS_SIGNATURE']}】{title}", key=key)
        except SmsRefused as exc:
            raise DeliveryRefused(str(exc), code=exc.code, message=exc.message) from exc
        except SmsUnreachable as exc:
            raise DeliveryFailed(str(exc)) from exc
        return None


CHANNELS: dict[str, Channel] = {c.name: c for c in (EmailChannel(), WeComRobot(), DingTalkRobot(), SmsChannel())}
