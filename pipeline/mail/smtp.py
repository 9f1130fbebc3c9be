"""One SMTP session over ``smtplib``: plain, STARTTLS or implicit TLS, with a login; every
failure mapped onto the error tree (a 4xx is worth another try, a 5xx for one recipient is that
recipient's refusal, a password or TLS problem stops the run)."""

from __future__ import annotations

import smtplib
import ssl

from ..core.errors import CallFailure, ServiceError, TransientError
from ..core.retry import connection_failed
from .config import SmtpServer

SERVICE = "SMTP"


class RecipientRefused(CallFailure):
    """The server refused one recipient's message (5xx): the others still get theirs."""


class RecipientDeferred(TransientError):
    """A 4xx for one recipient: retried, and when it stays, that recipient waits for a rerun."""


def _reply(code: int, text: bytes | str) -> str:
    return f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"


def _failure(server: SmtpServer, code: int, text: bytes | str, what: str) -> Exception:
    reply = _reply(code, text)
    if 400 <= code < 500:
        return TransientError(f"{what}: {reply}")
    return ServiceError(SERVICE, server.display, f"{what}: {reply}")


class Connection:
    """One SMTP session, opened when first needed and again after a failure (a retry after a
    4xx starts from a clean session)."""

    def __init__(self, server: SmtpServer, timeout: float) -> None:
        self.server = server
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        if self._smtp is not None:
            return
        s = self.server
        context = ssl.create_default_context()
        try:
            if s.tls == "implicit":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=self.timeout, context=context
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            self._smtp = smtp
            smtp.ehlo()
            if s.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ServiceError(
                        SERVICE, s.display, "the server offers no STARTTLS",
                        "a password is never sent unencrypted: use smtps:// or another server",
                    )  # fmt: skip
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                smtp.login(s.user, s.password.get_secret_value() if s.password else "")
        except BaseException as exc:
            self.close()
            raise self._opening_error(exc) from exc

    def _opening_error(self, exc: BaseException) -> BaseException:
        s = self.server
        if isinstance(exc, ServiceError | KeyboardInterrupt):
            return exc
        if isinstance(exc, ssl.SSLError):
            reason = exc.reason or str(exc)
            if isinstance(exc, ssl.SSLCertVerificationError):
                reason = f"certificate verify failed: {exc.verify_message}"
            hint = "check the host name and its certificate; a private CA goes in SSL_CERT_FILE"
            return ServiceError(SERVICE, s.display, f"TLS failed ({reason})", hint)
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            reply = _reply(exc.smtp_code, exc.smtp_error)
            problem = f"the server refused the user or password ({reply})"
            return ServiceError(SERVICE, s.display, problem, "check DIGEST_SMTP_URL")
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            return ServiceError(SERVICE, s.display, f"login not possible ({exc})")
        if isinstance(exc, smtplib.SMTPResponseException):
            return _failure(s, exc.smtp_code, exc.smtp_error, "opening the session")
        if isinstance(exc, OSError | smtplib.SMTPException):
            return connection_failed(exc)
        return exc

    def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Send one message; the server accepted it when this returns."""
        self.open()
        assert self._smtp is not None
        try:
            self._smtp.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            code, text = next(iter(exc.recipients.values()))
            raise self._refusal(code, text) from exc
        except smtplib.SMTPDataError as exc:
            self.close()
            raise self._refusal(exc.smtp_code, exc.smtp_error) from exc
        except smtplib.SMTPSenderRefused as exc:
            self.close()
            raise _failure(self.server, exc.smtp_code, exc.smtp_error, "sender refused") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise connection_failed(exc) from exc

    @staticmethod
    def _refusal(code: int, text: bytes | str) -> Exception:
        reply = _reply(code, text)
        if 400 <= code < 500:
            return RecipientDeferred(reply)
        return RecipientRefused(reply)

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()
