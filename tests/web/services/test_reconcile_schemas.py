"""Every kind of answer the reconciliation service gives, checked against the Reconciliation Service API
0.2's own JSON Schemas (read in place from ``../shared/w3c/reconciliation-schemas/0.2/``), on real requests
over the socket: the manifest, query batches (GET and POST), entity suggest, property proposals and data
extension. The requests the tests send are checked against the schemas of requests too, so that what is
tested is what a conforming client sends.

Outside CI, when the schemas are absent, these tests skip saying why; under ``CI=true`` their absence fails.
References between the schemas (``type.json``, the Swagger schema the manifest's ``authentication`` points
to) are resolved from the same folder; nothing is fetched.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import quote

import jsonschema_rs
import pytest

SCHEMAS = Path(__file__).resolve().parents[4] / "shared" / "w3c" / "reconciliation-schemas" / "0.2"
IN_CI = os.environ.get("CI") == "true"
SWAGGER = "http://swagger.io/v2/schema.json"
ACTIVITY = "http://www.cidoc-crm.org/cidoc-crm/E7_Activity"
PLACE = "http://www.cidoc-crm.org/cidoc-crm/E53_Place"


def _local(uri: str):
    """The schema a reference names, from the folder (by file name; the Swagger schema is openapi.json)."""
    name = "openapi.json" if uri.split("#")[0] == SWAGGER else uri.split("#")[0].rsplit("/", 1)[-1]
    path = SCHEMAS / name
    if not path.is_file():
        raise ValueError(f"{uri} is not among the schemas of {SCHEMAS}")
    return json.loads(path.read_text(encoding="utf-8"))


def check(kind: str, instance) -> None:
    """``instance`` validates against the schema ``kind``.json; the message lists every error."""
    if not SCHEMAS.is_dir():
        if IN_CI:
            pytest.fail(f"the reconciliation schemas are not at {SCHEMAS}")
        pytest.skip(f"the reconciliation schemas are not at {SCHEMAS}")
    schema = _local(f"{kind}.json")
    validator = jsonschema_rs.Draft7Validator(schema, retriever=_local)
    errors = [f"{'/'.join(map(str, e.instance_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, f"{kind}: " + "; ".join(errors[:10])


def test_the_schemas_are_there():
    check("type", {"id": PLACE, "name": "crm:E53_Place"})


def test_the_manifest(client):
    manifest = client.get("/reconcile").json()
    check("manifest", manifest)
    assert manifest["extend"]["property_settings"]  # the part this issue added is in what was checked


BATCH = {
    "q0": {"query": "Jilin"},
    "q1": {"query": "Pyongan-namdo", "type": PLACE, "limit": 3, "type_strict": "should"},
    "q2": {"query": "State Council", "type": ["org:FormalOrganization"], "type_strict": "any"},
    "q3": {"query": "relocation", "type": ACTIVITY, "limit": 5},
    "q4": {"query": "nothing that matches at all, qqqq"},
}


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_query_batch(client, method):
    check("reconciliation-query-batch", BATCH)
    if method == "GET":
        r = client.get("/reconcile", params={"queries": json.dumps(BATCH)})
    else:
        r = client.post("/reconcile", content="queries=" + quote(json.dumps(BATCH)),
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 200, r.text
    doc = r.json()
    check("reconciliation-result-batch", doc)
    assert doc["q0"]["result"] and doc["q4"]["result"] == []


@pytest.mark.parametrize("prefix", ["ji", "평안", "国务", "zzzz"])
def test_entity_suggest(client, prefix):
    manifest = client.get("/reconcile").json()
    service = manifest["suggest"]["entity"]
    r = client.get(service["service_url"] + service["service_path"], params={"prefix": prefix})
    assert r.status_code == 200, r.text
    check("suggest-entities-response", r.json())


@pytest.mark.parametrize("params", [{"type": PLACE}, {"type": ACTIVITY, "limit": "5"}, {}])
def test_property_proposals(client, params):
    manifest = client.get("/reconcile").json()
    service = manifest["extend"]["propose_properties"]
    r = client.get(service["service_url"] + service["service_path"], params=params)
    assert r.status_code == 200, r.text
    doc = r.json()
    check("data-extension-property-proposal", doc)
    assert doc["properties"]


def test_data_extension_of_every_proposed_property(client):
    """Every property proposed for places and for events, asked for every entity of that type, in every
    language setting: every kind of value the service writes (entities, text, numbers, dates)."""
    for type_iri, query in ((PLACE, "Province"), (ACTIVITY, "relocation")):
        found = client.get("/reconcile", params={"queries": json.dumps({"q": {"query": query, "type": type_iri,
                                                                             "limit": 100}})}).json()
        ids = [c["id"] for c in found["q"]["result"]]
        proposed = client.get("/reconcile/properties", params={"type": type_iri}).json()["properties"]
        for lang in ("en", "zh-Hans", "ko", "*"):
            query_doc = {"ids": ids + ["no/such-entity"],
                         "properties": [{"id": p["id"], "settings": {"lang": lang}} for p in proposed]}
            check("data-extension-query", query_doc)
            r = client.post("/reconcile", content="extend=" + quote(json.dumps(query_doc)),
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert r.status_code == 200, r.text
            doc = r.json()
            check("data-extension-response", doc)
            kinds = {k for row in doc["rows"].values() for cell in row.values() for v in cell for k in v}
            assert {"id", "name", "str"} <= kinds
            if type_iri == ACTIVITY:
                assert "date" in kinds


@pytest.mark.parametrize("kind, wrong", [
    ("data-extension-response", {"meta": [{"id": "p", "name": "p"}], "rows": {"a": {"p": [{"bool": True}]}}}),
    ("data-extension-response", {"meta": [], "rows": {"a": {"p": [{"date": "1959-12-10"}]}}}),
    ("manifest", {"versions": ["0.2"], "name": "x", "identifierSpace": "x", "schemaSpace": "x",
                  "defaultTypes": [{"name": "no id"}]}),
    ("data-extension-property-proposal", {"properties": [{"id": "p"}]}),
])
def test_the_check_rejects_what_the_schemas_forbid(kind, wrong):
    with pytest.raises(AssertionError):
        check(kind, wrong)
