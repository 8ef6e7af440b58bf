"""Outgoing channels behind one interface: SMTP e-mail, 企业微信/钉钉 group robots, and an SMS gateway."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Any, ClassVar, Protocol

from flask import current_app


class DeliveryFailed(Exception):
    """The channel refused or could not take the message; the job retries."""


class Channel(Protocol):
    name: str

    def send(self, address: str, *, title: str, body: str, key: str) -> None:
        """Send one message; ``key`` identifies it so a receiver can drop a resend. Raises DeliveryFailed."""


class EmailChannel:
    """SMTP e-mail (SMTP_HOST/SMTP_PORT/SMTP_FROM, optional STARTTLS and login)."""

    name = "email"

    def send(self, address: str, *, title: str, body: str, key: str) -> None:
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


def post_json(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    data = json.dumps(body, ensure_ascii=False).encode()
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
    except OSError as exc:  # URLError, HTTPError, timeouts
        raise DeliveryFailed(f"{url}: {exc}") from exc
    try:
        return json.loads(raw or b"{}")  # type: ignore[no-any-return]
    except ValueError:
        return {}


class WeComRobot:
    """企业微信群机器人: POST markdown to the robot's webhook URL; errcode 0 means accepted."""

    name = "wecom"

    def send(self, address: str, *, title: str, body: str, key: str) -> None:
        answer = post_json(address, {"msgtype": "markdown", "markdown": {"content": f"**{title}**\n{body}"}})
        if answer.get("errcode", 0) != 0:
            raise DeliveryFailed(f"企业微信: {answer}")


class DingTalkRobot:
    """钉钉群机器人. An address ``URL#SEC…`` carries the robot's 加签 secret: timestamp and sign are added."""

    name = "dingtalk"

    def send(self, address: str, *, title: str, body: str, key: str) -> None:
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
    """Keeps messages in memory (tests and development); a carrier gateway implements SmsGateway."""

    sent: ClassVar[list[dict[str, str]]] = []

    def send_sms(self, mobile: str, text: str, *, key: str) -> None:
        self.sent.append({"mobile": mobile, "text": text, "key": key})


SMS_GATEWAYS: dict[str, type] = {"fake": FakeSmsGateway}


class SmsChannel:
    name = "sms"

    def send(self, address: str, *, title: str, body: str, key: str) -> None:
        gateway: SmsGateway = SMS_GATEWAYS[current_app.config["SMS_GATEWAY"]]()
        gateway.send_sms(address, f"【{current_app.config['SMS_SIGNATURE']}】{title}", key=key)


CHANNELS: dict[str, Channel] = {c.name: c for c in (EmailChannel(), WeComRobot(), DingTalkRobot(), SmsChannel())}
