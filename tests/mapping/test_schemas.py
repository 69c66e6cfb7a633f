"""The published JSON Schemas accept what the readers accept (the demo inputs and the test inputs)."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

from connector.mapping.generator import generate

SCHEMAS = Path(__file__).resolve().parents[2] / "connector" / "mapping" / "schemas"
DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
INPUTS = Path(__file__).parent / "inputs"


def _validator(name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((SCHEMAS / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_job_sheet_schema_accepts_demo_and_test_inputs() -> None:
    validator = _validator("job-sheet.schema.json")
    for sheet in json.loads((DEMO / "job-sheets.json").read_text()):
        validator.validate(sheet)
    validator.validate(yaml.safe_load((INPUTS / "job-sheets.yaml").read_text())["fiches"][0])
    assert not validator.is_valid({"identifiant": "X", "intitule": "Y"})  # no ROME code


def test_training_schema_accepts_generated_json(tmp_path: Path) -> None:
    validator = _validator("training.schema.json")
    generate(DEMO.parent, tmp_path, 30, 0, 3, "json")
    for record in json.loads((tmp_path / "trainings.json").read_text()):
        validator.validate(record)
    assert not validator.is_valid({"identifiant": "X", "intitule": "Y", "organisme": "O", "siret": "1", "url": "x"})
