"""Signing in to the console, and the administrators' pages for accounts and tokens, in plain
Python (the nameko entrypoints in ``console.service`` are one-line calls into this).

A person signs in with a user name and password, or through the organization's identity
provider (OpenID Connect, with authlib, when ``OIDC_ISSUER`` is set). Either way the console
opens a session (``shared.accounts``) and hands its secret to the browser only as a cookie:
``HttpOnly`` (no script reads it), ``SameSite=Strict`` (no other site's page sends it),
``Secure`` when the console is reached over HTTPS, ``Path=/``. The pass-through
(``console.proxy``) turns the cookie into the ``Authorization`` header the services check, so
a session is checked by every service the way a token is.

Every request that changes something and rides on the cookie must also carry ``X-CSRF-Token``:
a value derived from the session's secret (HMAC-SHA256), which the page reads from
``GET /auth/session`` and which another site can neither read nor guess. A request whose
``Origin`` is another site's is refused as well. Scripts keep using API tokens in the
``Authorization`` header, with no cookie, and need neither.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from urllib.parse import urlencode

import requests
from werkzeug.wrappers import Request, Response

from shared.accounts import Accounts, SignInPolicy
from shared.auth import DEFAULT_TOKEN_DAYS, Identity, TokenRegistry, require_role
from shared.errors import FieldworkError, Forbidden, InvalidInput, Unauthenticated
from shared.http import error_response, json_response, read_json
from shared.store import settings_from_environ

log = logging.getLogger(__name__)

COOKIE = "fieldwork_session"
OIDC_COOKIE = "fieldwork_signin"  # ties the provider's answer to the browser that asked
CSRF_HEADER = "X-CSRF-Token"
OIDC_WAIT = 600  # seconds a person has to come back from the identity provider
ADMINISTRATORS = ("administrator",)


def answer(status: int, data: dict, headers: dict | None = None) -> Response:
    """A JSON answer of the console's own, never cached."""
    return json_response(status, data, {"Cache-Control": "no-store", **(headers or {})})


def csrf_of(secret: str) -> str:
    return hmac.new(secret.encode(), b"fieldwork console csrf", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Provider:
    """The organization's OpenID Connect provider, from ``OIDC_*`` variables (none: no provider)."""

    issuer: str
    client_id: str
    client_secret: str
    name: str

    @classmethod
    def from_environ(cls, env: dict | None = None) -> Provider | None:
        env = os.environ if env is None else env
        issuer = (env.get("OIDC_ISSUER") or "").rstrip("/")
        if not issuer:
            return None
        secret = env.get("OIDC_CLIENT_SECRET") or ""
        if env.get("OIDC_CLIENT_SECRET_FILE"):
            secret = Path(env["OIDC_CLIENT_SECRET_FILE"]).read_text().strip()
        if not env.get("OIDC_CLIENT_ID"):
            raise ValueError("OIDC_ISSUER is set but OIDC_CLIENT_ID is not: both name the console to the provider")
        return cls(issuer, env["OIDC_CLIENT_ID"], secret, env.get("OIDC_PROVIDER_NAME") or "your organization's account")

    def metadata(self) -> dict:
        answer_ = requests.get(f"{self.issuer}/.well-known/openid-configuration", timeout=10)
        answer_.raise_for_status()
        found = answer_.json()
        if found.get("issuer", "").rstrip("/") != self.issuer:
            raise ValueError(f"the provider at {self.issuer} calls itself {found.get('issuer')!r}")
        return found


class Gate:
    """Sign-in, sign-out, the session a request rides on, and the administrators' pages."""

    def __init__(self, registry: TokenRegistry, accounts: Accounts, provider: Provider | None,
                 public_url: str = "") -> None:
        self.registry, self.accounts, self.provider = registry, accounts, provider
        self.public_url = public_url.rstrip("/")
        self._waiting: dict[str, dict] = {}  # OIDC state -> what the callback checks
        self._lock = Lock()

    @classmethod
    def from_environ(cls) -> Gate:
        registry = TokenRegistry(settings_from_environ())
        return cls(registry, Accounts(registry, SignInPolicy.from_environ()), Provider.from_environ(),
                   os.environ.get("CONSOLE_PUBLIC_URL", ""))

    # -- the session a request rides on ----------------------------------------------------------

    def identity(self, request: Request) -> Identity:
        """Who the request is from: its ``Authorization`` header (a script), else its cookie."""
        header = request.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            return self.registry.identify(header[7:].strip())
        return self.registry.identify(request.cookies.get(COOKIE))

    def upstream_authorization(self, request: Request) -> str | None:
        """The ``Authorization`` header to send a service: the request's own, or its session's
        (after the CSRF and origin checks for a request that changes something)."""
        if "Authorization" in request.headers:
            return request.headers["Authorization"]
        secret = request.cookies.get(COOKIE)
        if not secret:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            self.check_csrf(request, secret)
        return f"Bearer {secret}"

    def check_csrf(self, request: Request, secret: str) -> None:
        self.check_origin(request)
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf_of(secret).encode()):
            raise Forbidden("csrf_token_required", "this request did not come from the console's own page "
                            f"(its {CSRF_HEADER} header is missing or wrong): reload the page and try again")

    def check_origin(self, request: Request) -> None:
        origin = request.headers.get("Origin")
        if origin and origin.rstrip("/") not in (request.host_url.rstrip("/"), self.public_url):
            raise Forbidden("same_origin_only", f"a request from {origin} may not act on this console")

    # -- signing in and out ---------------------------------------------------------------------

    def session(self, request: Request) -> Response:
        try:
            who = self.identity(request)
        except Unauthenticated as error:
            return error_response(error)
        return answer(200, self._described(who, request.cookies.get(COOKIE) if who.kind == "session" else None))

    def _described(self, who: Identity, secret: str | None) -> dict:
        data = {"user": who.user, "role": who.role, "committee": who.committee, "groups": list(who.groups),
                "donor_id": who.donor_id, "kind": who.kind, "expires_at": who.expires_at,
                "idle_minutes": self.accounts.policy.idle.total_seconds() / 60}
        try:
            data["full_name"] = self.accounts.get(who.user)["full_name"]
        except FieldworkError:
            data["full_name"] = who.user
        if secret:
            data["csrf_token"] = csrf_of(secret)
        return data

    def sign_in(self, request: Request) -> Response:
        body: dict = {}
        try:
            self.check_origin(request)
            body = self._json(request)
            session = self.accounts.sign_in(str(body.get("user", "")), str(body.get("password", "")))
        except FieldworkError as error:
            log.info("sign-in refused for %r: %s", str(body.get("user", "?"))[:60], error)
            return error_response(error)
        log.info("%s signed in (session %s)", session.user, session.session_id)
        who = self.registry.identify(session.secret)
        return answer(200, self._described(who, session.secret), self._cookie(request, session.secret))

    def sign_out(self, request: Request) -> Response:
        secret = request.cookies.get(COOKIE)
        if secret:
            try:
                self.check_csrf(request, secret)
                who = self.registry.identify(secret)
                self.accounts.sign_out(who.token_id)
                log.info("%s signed out (session %s)", who.user, who.token_id)
            except Forbidden as error:
                return error_response(error)
            except FieldworkError:
                pass  # already ended: signing out again is no error
        return answer(200, {"signed_out": True}, {"Set-Cookie": self._clear(COOKIE)})

    def change_own_password(self, request: Request) -> Response:
        try:
            who = self._person(request)
            body = self._json(request)
            self.accounts.sign_in(who.user, str(body.get("current_password", "")), signed_in_by="password check")
            self.accounts.set_password(who.user, str(body.get("new_password", "")))
            session = self.accounts.sign_in(who.user, str(body.get("new_password", "")))
        except FieldworkError as error:
            return error_response(error)
        return answer(200, self._described(self.registry.identify(session.secret), session.secret),
                      self._cookie(request, session.secret))

    def _cookie(self, request: Request, secret: str) -> dict:
        lasts = int(self.accounts.policy.lasts.total_seconds())
        secure = "; Secure" if self._https(request) else ""
        return {"Set-Cookie": f"{COOKIE}={secret}; Max-Age={lasts}; Path=/; HttpOnly; SameSite=Strict{secure}"}

    @staticmethod
    def _clear(name: str) -> str:
        return f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict"

    def _https(self, request: Request) -> bool:
        return request.scheme == "https" or self.public_url.startswith("https://")

    # -- the identity provider ------------------------------------------------------------------

    def provider_start(self, request: Request) -> Response:
        """Send the browser to the provider, with a fresh state, nonce and PKCE verifier."""
        if self.provider is None:
            return answer(404, {"error": "not_found", "message": "no identity provider is configured (OIDC_ISSUER)"})
        from authlib.integrations.requests_client import OAuth2Session

        try:
            metadata = self.provider.metadata()
        except (requests.RequestException, ValueError) as error:
            log.warning("the identity provider %s does not answer: %s", self.provider.issuer, error)
            return self._back_to_sign_in("the identity provider does not answer; sign in with your password or try later")
        state, nonce, verifier, browser = (secrets.token_urlsafe(24) for _ in range(4))
        client = OAuth2Session(self.provider.client_id, self.provider.client_secret, scope="openid email profile",
                               redirect_uri=self._callback_url(request), code_challenge_method="S256")
        url, _ = client.create_authorization_url(metadata["authorization_endpoint"], state=state, nonce=nonce,
                                                 code_verifier=verifier)
        with self._lock:
            now = time.monotonic()
            self._waiting = {k: v for k, v in self._waiting.items() if now - v["at"] < OIDC_WAIT}
            self._waiting[state] = {"at": now, "nonce": nonce, "verifier": verifier,
                                    "browser": hashlib.sha256(browser.encode()).hexdigest()}
        secure = "; Secure" if self._https(request) else ""
        # Lax, not Strict: the provider's redirect back is a navigation from its site.
        cookie = f"{OIDC_COOKIE}={browser}; Max-Age={OIDC_WAIT}; Path=/auth/; HttpOnly; SameSite=Lax{secure}"
        return Response("", status=302, headers={"Location": url, "Set-Cookie": cookie, "Cache-Control": "no-store"})

    def provider_callback(self, request: Request) -> Response:
        """The provider's answer: check it (state, browser, code, ID token's signature, issuer,
        audience, expiry and nonce), then open the account's session."""
        if self.provider is None:
            return answer(404, {"error": "not_found", "message": "no identity provider is configured"})
        if request.args.get("error"):
            return self._back_to_sign_in(f"the identity provider said: {request.args.get('error_description') or request.args['error']}")
        with self._lock:
            waiting = self._waiting.pop(request.args.get("state", ""), None)
        browser = request.cookies.get(OIDC_COOKIE, "")
        if waiting is None or not hmac.compare_digest(hashlib.sha256(browser.encode()).hexdigest(), waiting["browser"]):
            return self._back_to_sign_in("that sign-in link is not this browser's, or it has expired: sign in again")
        try:
            claims = self._checked_claims(request, waiting)
            session = self.accounts.sign_in_with_provider(self.provider.issuer, claims)
        except FieldworkError as error:
            return self._back_to_sign_in(str(error))
        except Exception as error:  # noqa: BLE001 - the provider's answer did not hold: say so, log why
            log.warning("the identity provider's answer was refused: %s", error)
            return self._back_to_sign_in("the identity provider's answer could not be checked; try again, "
                                         "or sign in with your password")
        log.info("%s signed in through %s (session %s)", session.user, self.provider.issuer, session.session_id)
        return Response("", status=303, headers=[("Location", "/#/"), ("Cache-Control", "no-store"),
                                                 ("Set-Cookie", self._cookie(request, session.secret)["Set-Cookie"]),
                                                 ("Set-Cookie", f"{OIDC_COOKIE}=; Max-Age=0; Path=/auth/; HttpOnly")])

    def _checked_claims(self, request: Request, waiting: dict) -> dict:
        from authlib.integrations.requests_client import OAuth2Session
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.jwk import KeySet
        from joserfc.jws import JWSRegistry

        metadata = self.provider.metadata()
        client = OAuth2Session(self.provider.client_id, self.provider.client_secret,
                               redirect_uri=self._callback_url(request), code_challenge_method="S256")
        token = client.fetch_token(metadata["token_endpoint"], code=request.args.get("code", ""),
                                   code_verifier=waiting["verifier"], timeout=10)
        if "id_token" not in token:
            raise ValueError("the provider sent no ID token")
        keys = requests.get(metadata["jwks_uri"], timeout=10)
        keys.raise_for_status()
        decoded = jwt.decode(token["id_token"], KeySet.import_key_set(keys.json()),
                             registry=JWSRegistry(algorithms=metadata.get("id_token_signing_alg_values_supported")))
        claims = CodeIDToken(decoded.claims, decoded.header, {"iss": {"values": [metadata["issuer"]]}},
                             {"nonce": waiting["nonce"], "client_id": self.provider.client_id,
                              "access_token": token.get("access_token")})
        claims.validate(leeway=60)
        return dict(claims)

    def _callback_url(self, request: Request) -> str:
        return f"{self.public_url or request.host_url.rstrip('/')}/auth/oidc/callback"

    @staticmethod
    def _back_to_sign_in(message: str) -> Response:
        return Response("", status=303, headers={"Location": "/#/signin?" + urlencode({"problem": message}),
                                                 "Cache-Control": "no-store"})

    # -- the administrators' pages ----------------------------------------------------------------

    def users(self, request: Request) -> Response:
        return self._admin(request, lambda who, body: (200, {"users": self.accounts.all()}))

    def add_user(self, request: Request) -> Response:
        def add(who, body):
            unknown = set(body) - {"user", "role", "full_name", "email", "password", "committee", "groups", "donor_id"}
            if unknown:
                raise InvalidInput({name: ["not something an account has"] for name in sorted(unknown)})
            account = self.accounts.add(str(body.get("user", "")), str(body.get("role", "")),
                                        full_name=str(body.get("full_name") or ""), email=body.get("email") or None,
                                        password=body.get("password") or None, committee=body.get("committee") or None,
                                        groups=list(body.get("groups") or []), donor_id=body.get("donor_id") or None,
                                        created_by=who.user)
            log.info("%s added the account %s (%s)", who.user, account["user_name"], account["role"])
            return 201, account
        return self._admin(request, add)

    def account_step(self, request: Request, user: str, step: str) -> Response:
        def act(who, body):
            if step == "change":
                fields = {k: (v or None) if k in ("committee", "donor_id", "email") else v for k, v in body.items()}
                account = self.accounts.change(user, changed_by=who.user, **fields)
            elif step == "set-password":
                account = self.accounts.set_password(user, str(body.get("password", "")))
            elif step in ("unlock", "disable", "enable"):
                if step == "disable" and user == who.user:
                    raise Forbidden("no_disabling_oneself", "you may not disable your own account")
                account = getattr(self.accounts, step)(user)
            else:
                raise InvalidInput({"step": ["one of change, set-password, unlock, disable, enable"]})
            log.info("%s: %s %s", who.user, step, user)
            return 200, account
        return self._admin(request, act)

    def tokens(self, request: Request) -> Response:
        kind = request.args.get("kind") or None
        return self._admin(request, lambda who, body: (200, {"tokens": self.registry.tokens(kind)}))

    def issue_token(self, request: Request) -> Response:
        def issue(who, body):
            days = body.get("expires_in_days", DEFAULT_TOKEN_DAYS)
            token_id, token = self.registry.issue(
                str(body.get("user", "")), str(body.get("role", "")), groups=list(body.get("groups") or []),
                donor_id=body.get("donor_id") or None, committee=body.get("committee") or None,
                issued_by=who.user, expires_in_days=days if isinstance(days, int) else -1)
            log.info("%s issued the token %s to %s", who.user, token_id, body.get("user"))
            return 201, {"token_id": token_id, "token": token,
                         "note": "shown once: give it to its user now; only its hash is kept"}
        return self._admin(request, issue)

    def revoke_token(self, request: Request, token_id: str) -> Response:
        def revoke(who, body):
            self.registry.revoke(token_id)
            log.info("%s revoked %s", who.user, token_id)
            return 200, {"token_id": token_id, "revoked": True}
        return self._admin(request, revoke)

    def _admin(self, request: Request, act) -> Response:
        try:
            who = self.identity(request)
            require_role(who.role, ADMINISTRATORS)
            body = {}
            if request.method == "POST":
                if "Authorization" not in request.headers:
                    self.check_csrf(request, request.cookies.get(COOKIE, ""))
                body = self._json(request)
            status, data = act(who, body)
        except FieldworkError as error:
            return error_response(error)
        return answer(status, data)

    def _person(self, request: Request) -> Identity:
        secret = request.cookies.get(COOKIE)
        if not secret:
            raise Unauthenticated("sign in first")
        self.check_csrf(request, secret)
        return self.registry.identify(secret)

    @staticmethod
    def _json(request: Request) -> dict:
        """The body, a JSON object; JSON only (a page of another site cannot send it without
        the browser asking first)."""
        if request.mimetype != "application/json":
            raise InvalidInput({"body": ["send JSON (Content-Type: application/json)"]})
        return read_json(request)
