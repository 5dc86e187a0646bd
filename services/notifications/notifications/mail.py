"""How a notification leaves: the message (``email_of``) and the transports.

``MAIL_URL`` says where mail goes:

- unset or ``file:`` (the default): nowhere; each message is written to ``<data>/mail/`` as an
  ``.eml`` file. No mail leaves a development machine unless a server is configured.
- ``smtp://host:port``: plain SMTP (a mail catcher such as Mailpit, a relay on the same host).
- ``smtp+starttls://user@host:587``: STARTTLS required (the connection is refused without it),
  then authentication; the password from ``MAIL_PASSWORD_FILE`` (a compose secret) or ``MAIL_PASSWORD``;
  the server's certificate checked against the system's CAs, or ``MAIL_CA_FILE`` (a private CA).
- ``smtps://user@host:465``: TLS from the first byte, then authentication.

A transport answers with the server's answer, or raises ``Deferred`` (worth trying again: the
server unreachable, a 4xx answer, a refused login) or ``Refused`` (a 5xx answer: it never will).
"""
from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from urllib.parse import unquote, urlsplit

from notifications.domain import Notification


class Deferred(Exception):
    """Not now; perhaps later."""


class Refused(Exception):
    """Never: the server refused the message for good."""


def email_of(notification: Notification, sender: str) -> EmailMessage:
    """The message, the same bytes on every attempt: its Message-ID is the notification's id (a
    server or a reader that met it once knows it again), its date the moment it was recorded."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((one_line(notification.recipient), notification.email))
    message["Subject"] = one_line(notification.subject)
    message["Date"] = format_datetime(notification.recorded_at)
    message["Message-ID"] = f"<{notification.id}@fieldwork>"
    message["X-Fieldwork-Notification"] = str(notification.id)
    message["X-Fieldwork-Notice"] = notification.notice
    message.set_content(notification.text)
    message.add_alternative(notification.html, subtype="html")
    for attachment in notification.attachments:
        media, _, params = attachment["content_type"].partition(";")
        maintype, subtype = media.strip().split("/", 1)
        extra = dict(p.strip().split("=", 1) for p in params.split(";") if "=" in p)
        if maintype == "text":  # what notifications attach: a meeting's .ics
            message.add_attachment(attachment["content"], subtype=subtype, filename=attachment["filename"],
                                   params=extra)
        else:
            message.add_attachment(attachment["content"].encode(), maintype=maintype, subtype=subtype,
                                   filename=attachment["filename"])
    return message


def wire_bytes(message: EmailMessage) -> bytes:
    """The message as SMTP carries it: lines ended by CRLF (smtplib sends bytes as they are, and
    a server reads a message of bare LFs as one line too long)."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def one_line(text: str) -> str:
    """A header's text on one line: a line break a user typed (a meeting's title, a contact's
    name) would otherwise break the header, or end it."""
    return " ".join(text.split())


class FileTransport:
    """Writes each message to a folder: mail for a developer to read, never sent."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def describe(self) -> str:
        return f"written to {self.folder} (MAIL_URL not set: no mail leaves this machine)"

    def send_all(self, messages: list[tuple[str, EmailMessage]]) -> dict[str, str | Exception]:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            return {key: Deferred(f"{type(error).__name__}: {error}") for key, _ in messages}
        answers: dict[str, str | Exception] = {}
        for key, message in messages:
            path = self.folder / f"{key}.eml"
            try:
                path.write_bytes(wire_bytes(message))
                answers[key] = f"written to {path}"
            except OSError as error:
                answers[key] = Deferred(f"{type(error).__name__}: {error}")
        return answers


class SMTPTransport:
    """SMTP through the standard library's smtplib: one connection for a round of messages."""

    def __init__(self, url: str, password: str = "", timeout: float = 30.0, ca_file: str = "") -> None:
        parts = urlsplit(url)
        self.scheme = parts.scheme
        if self.scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError(f"MAIL_URL: unknown scheme {parts.scheme!r} (smtp, smtp+starttls, smtps or file)")
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or {"smtp": 25, "smtp+starttls": 587, "smtps": 465}[self.scheme]
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "") or password
        self.timeout = timeout
        self.ca_file = ca_file or None  # a private CA's certificate (else the system's CAs)

    def describe(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}" + (f" as {self.user}" if self.user else "")

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context(cafile=self.ca_file)
        if self.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        smtp.ehlo()
        if self.scheme == "smtp+starttls":
            if not smtp.has_extn("starttls"):
                smtp.close()
                raise Deferred("the server does not offer STARTTLS, which MAIL_URL requires")
            smtp.starttls(context=context)
            smtp.ehlo()
        if self.user:
            smtp.login(self.user, self.password)
        return smtp

    def send_all(self, messages: list[tuple[str, EmailMessage]]) -> dict[str, str | Exception]:
        """Each message's answer (or its Deferred, its Refused)."""
        answers: dict[str, str | Exception] = {}
        try:
            smtp = self._connect()
        except Deferred as deferred:
            return {key: deferred for key, _ in messages}
        except smtplib.SMTPAuthenticationError as error:
            return {key: Deferred(f"login refused: {error.smtp_code} {_text(error.smtp_error)}") for key, _ in messages}
        except (OSError, smtplib.SMTPException) as error:
            return {key: Deferred(_why(error)) for key, _ in messages}
        try:
            for key, message in messages:
                answers[key] = self._send(smtp, message)
                if isinstance(answers[key], Deferred) and "connection" in str(answers[key]).lower():
                    break  # the connection is gone: the rest wait for the next round
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
        for key, _ in messages:
            answers.setdefault(key, Deferred("not tried: the connection was lost in this round"))
        return answers

    @staticmethod
    def _send(smtp: smtplib.SMTP, message: EmailMessage) -> str | Exception:
        try:
            sender = message["From"]
            recipient = message["To"].addresses[0].addr_spec
            code, answer = smtp.mail(_addr(sender))
            if code != 250:
                smtp.rset()
                return _by_code(code, answer)
            code, answer = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                return _by_code(code, answer)
            code, answer = smtp.data(wire_bytes(message))
            if code != 250:
                return _by_code(code, answer)
            return f"{code} {_text(answer)}"
        except smtplib.SMTPResponseException as error:
            return _by_code(error.smtp_code, error.smtp_error)
        except (OSError, smtplib.SMTPException) as error:
            return Deferred(_why(error))


def _addr(header: str) -> str:
    return parseaddr(header)[1] or header


def _text(answer: bytes | str) -> str:
    return answer.decode("utf-8", "replace") if isinstance(answer, bytes) else str(answer)


def _by_code(code: int, answer: bytes | str) -> Exception:
    text = f"{code} {_text(answer)}"
    return Refused(text) if 500 <= code < 600 else Deferred(text)


def _why(error: BaseException) -> str:
    if isinstance(error, socket.timeout):
        return "the mail server did not answer in time"
    return f"{type(error).__name__}: {error}"


def transport_from(url: str, data_dir: str, password: str = "", ca_file: str = "") -> FileTransport | SMTPTransport:
    url = (url or "").strip()
    if not url or url.startswith("file:"):
        folder = url[len("file:"):].lstrip("/") if url.startswith("file:") and len(url) > 5 else ""
        return FileTransport(Path(folder) if folder else Path(data_dir) / "mail")
    return SMTPTransport(url, password, ca_file=ca_file)


def password_from(env: dict) -> str:
    path = (env.get("MAIL_PASSWORD_FILE") or "").strip()
    if path:
        return Path(path).read_text().strip()
    return env.get("MAIL_PASSWORD") or ""

