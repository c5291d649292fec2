"""The OpenAPI description at /api/v1/openapi.json, assembled from what route modules declare."""
from __future__ import annotations

from flask import jsonify

from gateway.api import bp

PATHS: dict[str, dict] = {}


def document(path: str, method: str, summary: str, *, params: list[dict] | None = None,
             body: dict | None = None, responses: dict | None = None, role: str = "viewer") -> None:
    """Describe one operation (`path` in OpenAPI form, e.g. `/reports/{id}`)."""
    operation = {"summary": summary, "description": f"Requires role `{role}` or higher.",
                 "security": [{"bearer": []}],
                 "responses": responses or {"200": {"description": "OK"}}}
    if params:
        operation["parameters"] = params
    if body:
        operation["requestBody"] = {"required": True, "content": body}
    PATHS.setdefault(path, {})[method.lower()] = operation


def query(name: str, description: str, schema: dict | None = None) -> dict:
    """A query parameter description."""
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema or {"type": "string"}}


@bp.get("/openapi.json")
def openapi_json():
    """The API's OpenAPI 3.1 document."""
    return jsonify({
        "openapi": "3.1.0",
        "info": {"title": "Murya gateway API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {
                "type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}}}},
        },
        "paths": dict(sorted(PATHS.items())),
    })
