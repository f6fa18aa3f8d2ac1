"""Dependencies the routes share: the service state and the bearer token of write endpoints."""

from __future__ import annotations

import secrets

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from overhead.api.service import ServiceState

_bearer = HTTPBearer(auto_error=False, description="the token given to `overhead serve --token` "
                                                   "(or OVERHEAD_API_TOKEN)")


def service(request: Request) -> ServiceState:
    return request.app.state.service


def require_token(credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
                  state: ServiceState = Depends(service)) -> None:
    """Write endpoints: 403 when the service has no token configured, 401 without the right one."""
    expected = state.settings.token
    if not expected:
        raise HTTPException(403, "write endpoints are disabled: start the service with --token (or set "
                                 "OVERHEAD_API_TOKEN) and send it as 'Authorization: Bearer TOKEN'")
    if credentials is None or not secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise HTTPException(401, "this endpoint needs 'Authorization: Bearer TOKEN' with the service's token",
                            headers={"WWW-Authenticate": "Bearer"})
