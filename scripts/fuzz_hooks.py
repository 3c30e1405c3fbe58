"""Schemathesis extension for `make fuzz` (loaded through SCHEMATHESIS_HOOKS).

`valid_data_parsed` replaces the built-in `positive_data_acceptance`. That check refuses every 400
and 422 to a request the schema admits, but Rapport answers 400/422 to well-formed requests that a
rule of the domain refuses (a referenced row that does not exist, a step the ticket's state forbids,
a day outside 1900–2200), which no OpenAPI schema can express. What the check is really for — the
schema promising more than the server's request parser accepts — stays a failure: every field error
carries `kind`, the parser's error type for a refusal by the parser and `rule:<code>` for a rule,
so a schema-valid request refused with a pydantic type error (`string_too_long`,
`decimal_parsing`, `literal_error`, ...) fails here exactly as before.
"""

import typing

import pydantic_core
import schemathesis
from pydantic_core import core_schema

# Pydantic's own error types, minus those raised by validators the schemas define themselves.
PARSER_ERRORS = frozenset(typing.get_args(core_schema.ErrorType)) - {
    "value_error",
    "assertion_error",
}
ACCEPTED = {401, 403, 404, 409, 429}
RULE_REFUSALS = {400, 422}

assert pydantic_core  # the error types come from the installed pydantic-core


@schemathesis.check
def valid_data_parsed(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status in ACCEPTED or status >= 500:
        return None  # 5xx is `not_a_server_error`'s to report
    if status not in RULE_REFUSALS:
        raise AssertionError(f"Valid data should have been accepted: {status}")
    try:
        body = response.json()
    except ValueError:
        raise AssertionError(f"Valid data refused with {status}, body not JSON") from None
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        raise AssertionError(f"Valid data refused with {status} and no field errors: {body}")
    parser = [e for e in errors if isinstance(e, dict) and e.get("kind") in PARSER_ERRORS]
    if parser:
        raise AssertionError(
            "The schema admits what the request parser refuses: "
            + "; ".join(f"{e.get('field')}: {e.get('kind')} ({e.get('message')})" for e in parser)
        )
    return None
