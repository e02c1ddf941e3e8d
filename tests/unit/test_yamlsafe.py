"""The one YAML loader refuses duplicate keys, in every data file and in every loader that reads data/."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from bot.services import measures as ms
from bot.services import yamlsafe

DATA = Path(__file__).resolve().parents[2] / "data"


def test_duplicate_key_is_refused_with_both_lines():
    with pytest.raises(yaml.YAMLError) as exc:
        yamlsafe.load("id: a\nlinks: []\nnotes: []\nlinks: [1]\n")
    text = str(exc.value)
    assert "duplicate key 'links'" in text and "first at line 2" in text and "line 4" in text


def test_duplicate_key_in_a_nested_mapping_is_refused():
    with pytest.raises(yaml.YAMLError, match="duplicate key 'ru'"):
        yamlsafe.load("title:\n  ru: a\n  en: b\n  ru: c\n")


def test_merge_keys_may_be_overridden():
    doc = yamlsafe.load("a: &base {x: 1, y: 2}\nb:\n  <<: *base\n  y: 3\n")
    assert doc["b"] == {"x": 1, "y": 3}


def test_plain_values_and_safety():
    assert yamlsafe.load("n: 728921.90\nd: 2026-02-01\n")["n"] == 728921.9
    with pytest.raises(yaml.YAMLError):
        yamlsafe.load("x: !!python/object/apply:os.system ['true']\n")


@pytest.mark.parametrize("path", sorted(DATA.rglob("*.yaml")), ids=lambda p: str(p.relative_to(DATA)))
def test_every_data_file_has_unique_keys(path: Path):
    yamlsafe.load_file(path)


def test_measures_loader_reports_a_duplicate_key(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / "measures" / "matkapital.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "review_by: 2030-01-01\n", encoding="utf-8")
    errors, _ = ms.validate(data, strict=False)
    assert any("matkapital.yaml" in e and "duplicate key 'review_by'" in e for e in errors), errors
