"""Security headers on every answer.

Content-Security-Policy: scripts only from this site's own files (no inline script,
no eval); styles from this site and inline style attributes (the report figures are
SVG drawn with style attributes); images from this site and data: URIs (the QR code
of the two-step set-up); no framing by any site. HSTS only on HTTPS requests (behind a
TLS proxy set PROXY_FIX so that the app sees them as such). Pages with patient data
are not stored by the browser or a proxy.
"""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def init_app(app: Flask) -> None:
    hsts = f"max-age={int(app.config['HSTS_SECONDS'])}; includeSubDomains"

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", hsts)
        if request.endpoint != "static":
            response.headers.setdefault("Cache-Control", "no-store")
        return response
