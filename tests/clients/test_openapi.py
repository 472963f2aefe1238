"""A bounded schemathesis run over the OpenAPI description the server publishes at
/api/openapi.json: every operation gets a few generated requests, valid ones and invalid ones,
with a real bearer token, and none may be answered with a server error (5xx). Valid requests
name real objects in their paths (another person's status, the fuzzer's list, filter, media…),
so they reach past "Record not found". The run is derandomised: the same requests every time.

One kind of bad input is then tried systematically rather than by chance: a NUL character in
each string parameter of each operation, which PostgreSQL cannot store.

The runs have a server of their own, with the client-API rate limit turned off
(WIKISOCIAL_API_RATE_LIMITS=0): with Mastodon's 300 requests per 5 minutes, most generated
requests would be answered 429 and test nothing. No operation is left out.
"""

from __future__ import annotations

import io
import os
import re
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from PIL import Image
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup

from tests.clients.conftest import Server, start_server, stop_server

pytestmark = pytest.mark.e2e

# Generated requests per operation and generation mode (valid, invalid).
EXAMPLES = int(os.environ.get("WIKISOCIAL_FUZZ_EXAMPLES", "10"))
# Seconds for the full run; operations not reached by then get one valid request each, so the
# run stays within a few minutes on two cores (busy ones included) and still covers them all.
BUDGET = float(os.environ.get("WIKISOCIAL_FUZZ_BUDGET", "90"))


@dataclass
class Findings:
    server_errors: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # the run itself could not test these
    operations: int = 0
    requests: int = 0
    hurried: list[str] = field(default_factory=list)  # reached after the budget


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory):
    server = start_server(tmp_path_factory.mktemp("fuzz"), WIKISOCIAL_API_RATE_LIMITS="0")
    try:
        yield server
    finally:
        stop_server(server)


# --- things that exist, so that generated requests reach past "Record not found" -------------


class Seed:
    """Real objects for the path parameters: another person's account and public status with a
    poll and a hashtag, the fuzzer's own statuses, media, list, filter and notifications.
    Made through the API; whatever cannot be made is left out (its operations then get random
    ids only), and said in the test's output."""

    def __init__(self, url: str, fuzzer: str, other: str) -> None:
        self.url = url
        self.fuzzer = {"Authorization": f"Bearer {fuzzer}"}
        self.other = {"Authorization": f"Bearer {other}"}
        self.ids: dict[str, str] = {}
        self.missing: list[str] = []

    def call(self, what: str, method: str, path: str, headers: dict, **kwargs):
        try:
            response = httpx.request(method, self.url + path, headers=headers, timeout=30, **kwargs)
        except httpx.HTTPError as exc:
            self.missing.append(f"{what}: {exc!r}")
            return None
        if response.status_code not in (200, 202):
            self.missing.append(f"{what}: {method} {path} → {response.status_code}")
            return None
        return response.json()

    def keep(self, key: str, value) -> None:
        if value is not None:
            self.ids[key] = str(value)

    def make(self, png: bytes) -> Seed:
        other = self.call("other account", "GET", "/api/v1/accounts/verify_credentials", self.other)
        self.keep("account", other and other["id"])
        post = {
            "status": "What do you think? #fuzzing",
            "poll": {"options": ["yes", "no"], "expires_in": 3600},
        }
        status = self.call("other's status", "POST", "/api/v1/statuses", self.other, json=post)
        self.keep("status", status and status["id"])
        self.keep("poll", status and status["poll"] and status["poll"]["id"])
        self.keep("tag", "fuzzing")
        for key in ("own_status", "doomed_status"):
            own = self.call(key, "POST", "/api/v1/statuses", self.fuzzer, json={"status": key})
            self.keep(key, own and own["id"])
        if "account" in self.ids:
            me = self.call("fuzzer", "GET", "/api/v1/accounts/verify_credentials", self.fuzzer)
            if me:
                self.call("a follow", "POST", f"/api/v1/accounts/{me['id']}/follow", self.other)
            dm = {"status": f"@{me and me['username']} hello", "visibility": "direct"}
            self.call("a direct message", "POST", "/api/v1/statuses", self.other, json=dm)
        media = self.call(
            "media",
            "POST",
            "/api/v2/media",
            self.fuzzer,
            files={"file": ("picture.png", png, "image/png")},
        )
        self.keep("media", media and media["id"])
        made = self.call("list", "POST", "/api/v1/lists", self.fuzzer, json={"title": "fuzz"})
        self.keep("list", made and made["id"])
        rule = {"title": "fuzz", "context": ["home"], "keywords_attributes": [{"keyword": "x"}]}
        kept = self.call("filter", "POST", "/api/v2/filters", self.fuzzer, json=rule)
        self.keep("filter", kept and kept["id"])
        self.keep("keyword", kept and kept.get("keywords") and kept["keywords"][0]["id"])
        if kept and "status" in self.ids:
            path = f"/api/v2/filters/{kept['id']}/statuses"
            held = self.call("filtered status", "POST", path, self.fuzzer, json=self.status_ref)
            self.keep("filter_status", held and held["id"])
        notes = self.call("notifications", "GET", "/api/v1/notifications", self.fuzzer)
        self.keep("notification", notes and notes[0]["id"])
        groups = self.call("grouped", "GET", "/api/v2/notifications", self.fuzzer)
        groups = groups and groups.get("notification_groups")
        self.keep("group", groups and groups[0]["group_key"])
        talks = self.call("conversations", "GET", "/api/v1/conversations", self.fuzzer)
        self.keep("conversation", talks and talks[0]["id"])
        return self

    @property
    def status_ref(self) -> dict:
        return {"status_id": self.ids["status"]}

    def path_values(self, method: str, path: str) -> dict[str, str] | None:
        """Real values for the path parameters of ``method path``, or None."""
        rules = [
            (r"/api/v1/(accounts|follow_requests|suggestions)/\{id\}", {"id": "account"}),
            (r"/api/v1/statuses/\{id\}$", {"id": {"PUT": "own_status", "DELETE": "doomed_status"}}),
            (r"/api/v1/statuses/\{id\}/(pin|unpin)$", {"id": "own_status"}),
            (r"/api/v1/statuses/\{id\}", {"id": "status"}),
            (r"/api/v1/polls/\{id\}", {"id": "poll"}),
            (r"/api/v1/media/\{id\}", {"id": "media"}),
            (r"/api/v1/lists/\{id\}", {"id": "list"}),
            (r"/api/v1/timelines/list/\{list_id\}", {"list_id": "list"}),
            (r"/api/v1/tags/\{name\}", {"name": "tag"}),
            (r"/api/v1/timelines/tag/\{hashtag\}", {"hashtag": "tag"}),
            (r"/api/v1/notifications/\{id\}", {"id": "notification"}),
            (r"/api/v1/conversations/\{id\}", {"id": "conversation"}),
            (r"/api/v1/filters/\{id\}", {"id": "keyword"}),
            (r"/api/v2/filters/keywords/\{id\}", {"id": "keyword"}),
            (r"/api/v2/filters/statuses/\{id\}", {"id": "filter_status"}),
            (r"/api/v2/filters/\{(filter_id|id)\}", {"filter_id": "filter", "id": "filter"}),
            (r"/api/v2/notifications/\{group_key\}", {"group_key": "group"}),
        ]
        for pattern, names in rules:
            if not re.match(pattern, path):
                continue
            values = {}
            for param, key in names.items():
                if "{" + param + "}" not in path:
                    continue
                key = key.get(method, "status") if isinstance(key, dict) else key
                if key not in self.ids:
                    return None
                values[param] = self.ids[key]
            return values or None
        return None


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 140, 60)).save(out, format="PNG")
    return out.getvalue()


def fuzz_operation(
    operation,
    base_url: str,
    headers: dict,
    session,
    findings: Findings,
    examples: int = EXAMPLES,
    modes: tuple[GenerationMode, ...] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    path_values: dict[str, str] | None = None,
) -> None:
    """Send ``examples`` generated requests of each mode; record the first 5xx of each. Valid
    requests use ``path_values`` (real objects) for the path when given."""
    for mode in modes:
        try:
            fixed = path_values if mode == GenerationMode.POSITIVE else None
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)
        except Exception as exc:  # the description cannot be turned into requests
            findings.broken.append(f"{operation.label} ({mode.value}): {exc!r}")
            continue

        @given(case=strategy)
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            derandomize=True,
        )
        def run(case):
            findings.requests += 1
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
            try:
                case.validate_response(response, checks=[not_a_server_error], headers=headers)
            except (Failure, FailureGroup):
                raise AssertionError(
                    f"{operation.label} → {response.status_code}\n"
                    f"{case.as_curl_command(headers, base_url=base_url)}\n"
                    f"{response.text[:500]}"
                ) from None

        try:
            run()
        except AssertionError as exc:
            findings.server_errors.append(str(exc).split("\nFalsifying example")[0])
        except Unsatisfiable:
            # No invalid request exists (no parameters, or only free-form strings): nothing to
            # send in negative mode.
            pass
        except Exception as exc:
            findings.broken.append(f"{operation.label} ({mode.value}): {exc!r}")


@dataclass
class Fuzzing:
    server: Server
    headers: dict[str, str]
    seed: Seed
    description: dict


@pytest.fixture(scope="module")
def fuzzing(fuzz_server) -> Fuzzing:
    """The fuzzer's token (through the authorization-code flow), the objects for the path
    parameters, and the published description."""
    token = fuzz_server.user_token(fuzz_server.create_user("fuzzer"))
    other = fuzz_server.personal_token(fuzz_server.create_user("neighbour"))
    seed = Seed(fuzz_server.url, token, other).make(png())
    description = httpx.get(f"{fuzz_server.url}/api/openapi.json", timeout=30)
    assert description.status_code == 200
    assert description.headers["content-type"].startswith("application/json")
    return Fuzzing(fuzz_server, {"Authorization": f"Bearer {token}"}, seed, description.json())


def test_no_operation_answers_with_a_server_error(fuzzing):
    fuzz_server, headers, seed = fuzzing.server, fuzzing.headers, fuzzing.seed

    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/api/openapi.json", timeout=30)
    findings = Findings()
    started = time.monotonic()
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            findings.operations += 1
            real = seed.path_values(operation.method.upper(), operation.path)
            if time.monotonic() - started > BUDGET:
                findings.hurried.append(operation.label)
                fuzz_operation(
                    operation,
                    fuzz_server.url,
                    headers,
                    session,
                    findings,
                    examples=1,
                    modes=(GenerationMode.POSITIVE,),
                    path_values=real,
                )
            else:
                fuzz_operation(
                    operation, fuzz_server.url, headers, session, findings, path_values=real
                )

    # The run tested with a token that still works (nothing it did logged it out).
    me = httpx.get(f"{fuzz_server.url}/api/v1/accounts/verify_credentials", headers=headers)
    assert me.status_code == 200, me.text
    summary = (
        f"{findings.operations} operations, {findings.requests} requests, "
        f"{time.monotonic() - started:.0f}s; {len(findings.hurried)} operations reached after "
        f"{BUDGET:.0f}s got one request each"
    )
    print(summary)
    if seed.missing:
        print("not made for the run (their operations got random ids only):", *seed.missing)
    report = []
    if findings.server_errors:
        report.append("server errors:\n\n" + "\n\n".join(findings.server_errors))
    if findings.broken:
        report.append("operations schemathesis could not test:\n" + "\n".join(findings.broken))
    tracebacks = fuzz_server.errors_in_log()
    if tracebacks:
        report.append("tracebacks in the server log:\n" + "\n".join(tracebacks[:5]))
    assert not report, f"{summary}\n\n" + "\n\n".join(report)
    assert findings.operations > 0


# --- one systematic case: NUL characters ------------------------------------------------------

NUL = "a\x00b"


def nul_requests(method: str, path: str, operation: dict, seed: Seed) -> list[dict]:
    """httpx.request arguments for ``method path``: one request per string parameter (path,
    query, form or JSON body) carrying NUL, the other parameters plain ("a", or the real object
    for the path)."""
    real = seed.path_values(method, path) or {}
    names = re.findall(r"\{(\w+)\}", path)
    query = [
        p["name"]
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p["schema"].get("type") in ("string", "array")
    ]
    body = operation.get("requestBody", {}).get("content", {})
    schema = next(iter(body.values()), {}).get("schema", {})
    fields = {
        name: spec.get("type")
        for name, spec in schema.get("properties", {}).items()
        if spec.get("type") in ("string", "array") and spec.get("format") != "binary"
    }
    required = {name: "a" for name in schema.get("required", []) if name in fields}

    def url(nul_in: str | None = None) -> str:
        return re.sub(
            r"\{(\w+)\}",
            lambda m: quote(NUL) if m[1] == nul_in else real.get(m[1], "1"),
            path,
        )

    requests_ = [{"method": method, "url": url(name)} for name in names]
    requests_ += [{"method": method, "url": url(), "params": {name: NUL}} for name in query]
    requests_ += [
        {
            "method": method,
            "url": url(),
            "json": {**required, name: [NUL] if kind == "array" else NUL},
        }
        for name, kind in fields.items()
    ]
    return requests_


def test_nul_characters_are_refused_not_crashing(fuzzing):
    """PostgreSQL text cannot hold NUL (0x00): a parameter with one must be refused or
    cleaned, never reach the database and end in a 500."""
    crashes = []
    with httpx.Client(base_url=fuzzing.server.url, headers=fuzzing.headers, timeout=30) as http:
        for path, operations in fuzzing.description["paths"].items():
            for method, operation in operations.items():
                for request in nul_requests(method.upper(), path, operation, fuzzing.seed):
                    response = http.request(**request)
                    if response.status_code >= 500:
                        crashes.append(
                            f"{method.upper()} {path} → {response.status_code}: {response.url}"
                            + (f" JSON {request['json']!r}" if "json" in request else "")
                        )
    tracebacks = fuzzing.server.errors_in_log()
    assert not crashes, "\n".join(crashes) + "\n\n" + "\n".join(tracebacks[:5])
