"""Dependencies the routes share: the service state, the bearer token of write endpoints, and the client
identity that owns jobs."""

from __future__ import annotations

import hashlib
import secrets

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from overhead.api.service import ServiceState

_bearer = HTTPBearer(
    auto_error=False,
    description="the token given to `overhead serve --token` (or OVERHEAD_API_TOKEN), or a client key (--client-key)",
)


def service(request: Request) -> ServiceState:
    return request.app.state.service


def _matches(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def require_token(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer), state: ServiceState = Depends(service)
) -> None:
    """Write endpoints: 403 when the service has no token configured, 401 without the right one."""
    expected = state.settings.token
    if not expected:
        raise HTTPException(
            403,
            "write endpoints are disabled: start the service with --token (or set "
            "OVERHEAD_API_TOKEN) and send it as 'Authorization: Bearer TOKEN'",
        )
    if credentials is None or not _matches(credentials.credentials, expected):
        raise HTTPException(
            401,
            "this endpoint needs 'Authorization: Bearer TOKEN' with the service's token",
            headers={"WWW-Authenticate": "Bearer"},
        )


def job_owner(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer), state: ServiceState = Depends(service)
) -> str:
    """Jobs: the service token or one of the client keys; the owner is a digest of it (the key is not kept)."""
    keys = [k for k in (state.settings.token, *state.settings.client_keys) if k]
    if not keys:
        raise HTTPException(
            403,
            "jobs are disabled: start the service with --token (or --client-key) and send it "
            "as 'Authorization: Bearer TOKEN'",
        )
    if credentials is None or not any(_matches(credentials.credentials, k) for k in keys):
        raise HTTPException(
            401,
            "jobs need 'Authorization: Bearer KEY' with the service's token or a client key",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return hashlib.sha256(credentials.credentials.encode()).hexdigest()[:32]
