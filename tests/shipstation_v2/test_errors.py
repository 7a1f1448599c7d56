"""V2's error envelope read into the exceptions (and the queue's reasons) V1 gives."""

from __future__ import annotations

from bp_tui.errors import ApiAuthError, ApiError, ApiUnavailable
from bp_tui.shipstation.v2 import errors

UNAUTHORIZED = {
    "errors": [
        {
            "error_code": "unauthorized",
            "error_type": "security",
            "error_source": "shipengine",
            "message": "Access denied.",
        }
    ]
}


def test_a_401_is_an_auth_error_that_says_how_to_make_a_v2_key():
    exc = errors.error_for(401, UNAUTHORIZED, path="GET /v2/labels")
    assert isinstance(exc, ApiAuthError) and exc.status == 401 and exc.code == "unauthorized"
    assert (
        "V2" in exc.message
        and "Settings > Account > API Settings" in exc.hint
        and "V1 keys" in exc.hint
    )


def test_a_403_names_the_plan():
    exc = errors.error_for(
        403,
        {"request_id": "r-1", "errors": [{"error_code": "forbidden", "message": "Nope"}]},
        path="GET /v2/fulfillments",
    )
    assert isinstance(exc, ApiAuthError) and "Nope" in exc.message and "plan" in exc.hint


def test_a_400_carries_code_fields_and_request_id():
    body = {
        "request_id": "4d1c-77",
        "errors": [
            {
                "error_source": "shipstation",
                "error_type": "validation",
                "error_code": "invalid_field_value",
                "message": "Invalid value",
                "field_name": "ship_to.country_code",
            },
            {
                "error_source": "shipstation",
                "error_type": "validation",
                "error_code": "field_value_required",
                "message": "packages[0].weight is required",
                "field_name": "packages[0].weight",
            },
        ],
    }
    exc = errors.error_for(400, body, path="POST /v2/shipments")
    assert type(exc) is ApiError and exc.status == 400 and exc.code == "invalid_field_value"
    assert exc.message == "Invalid value (ship_to.country_code); packages[0].weight is required"
    assert "request id 4d1c-77" in exc.hint and "POST /v2/shipments" in exc.hint


def test_5xx_is_unavailable_and_404_not_found():
    assert isinstance(errors.error_for(503, None, path="GET /v2/labels"), ApiUnavailable)
    gone = errors.error_for(
        404, {"errors": [{"message": "Shipment se-9 was not found"}]}, path="GET /v2/shipments/se-9"
    )
    assert type(gone) is ApiError and gone.status == 404 and "se-9 was not found" in gone.message


def test_the_key_is_never_quoted():
    body = {"errors": [{"message": "bad key k-123-secret"}]}
    assert "k-123-secret" not in str(
        errors.error_for(400, body, path="GET /x", secrets=("k-123-secret",))
    )


def test_item_errors_as_strings_or_objects():
    assert (
        errors.item_errors(["Parameter value is out of range.", "Second."])
        == "Parameter value is out of range.; Second."
    )
    assert (
        errors.item_errors(
            [
                {
                    "error_code": "invalid_field_value",
                    "message": "Invalid country code 'UK'",
                    "field_name": "ship_to.country_code",
                }
            ]
        )
        == "Invalid country code 'UK'"
    )
    assert errors.item_errors(None) == "" and errors.item_errors("plain") == "plain"


def test_a_taken_external_id_is_recognised_in_either_shape():
    assert errors.is_conflict([{"error_code": "identifier_conflict", "message": "x"}])
    assert errors.is_conflict(["A shipment with external_shipment_id 'k' already exists"])
    assert not errors.is_conflict(["Invalid country code 'UK'"])
    assert not errors.is_conflict(None)


def test_throttled_by_status_or_by_code():
    assert errors.is_throttled(429, None)
    assert errors.is_throttled(400, {"errors": [{"error_code": "rate_limit_exceeded"}]})
    assert not errors.is_throttled(400, UNAUTHORIZED)
