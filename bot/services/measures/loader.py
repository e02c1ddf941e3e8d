"""Loading the catalogue: measures, regional measures, questionnaire, life situations and reference tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.services import yamlsafe
from bot.services.measures.models import (
    FederalParams,
    LifeSituation,
    Measure,
    PmTable,
    Question,
    Questionnaire,
    Region,
    Source,
    Text,
)

DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "data"


class CatalogueError(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid measures catalogue:\n" + "\n".join(errors))
        self.errors = errors


@dataclass
class Catalogue:
    """Everything the screener, the browser and the search need. Build with `load_catalogue()`."""

    measures: dict[str, Measure]
    questionnaire: Questionnaire
    life_situations: dict[str, LifeSituation]
    sources: dict[str, Source]
    regions: dict[str, Region]
    pm: dict[int, PmTable]
    federal_params: dict[int, FederalParams]
    files: dict[str, Path] = field(default_factory=dict)  # measure id → file
    _search_index: Any = field(default=None, repr=False)

    # ---------------------------------------------------------------------------------------------- browsing
    def measure(self, measure_id: str) -> Measure:
        return self.measures[measure_id]

    def measures_for_region(self, region: str | None) -> list[Measure]:
        """Federal measures plus the measures of the region (none of other regions)."""
        return [m for m in self.measures.values() if m.level == "federal" or (region and m.region == region)]

    def by_life_situation(self, situation_id: str, region: str | None = None) -> list[Measure]:
        sit = self.life_situations[situation_id]
        listed = [self.measures[i] for i in sit.measures if i in self.measures]
        extra = [
            m
            for m in self.measures.values()
            if m.level == "regional"
            and m.region == region
            and situation_id in m.life_situations
            and m.id not in sit.measures
        ]
        return [m for m in listed if m.level == "federal" or m.region == region] + extra

    def by_level(self, level: str, region: str | None = None) -> list[Measure]:
        if level == "federal":
            return [m for m in self.measures.values() if m.level == "federal"]
        return [m for m in self.measures.values() if m.level == "regional" and m.region == region]

    def region_name(self, code: str | None) -> Text | None:
        r = self.regions.get(code or "")
        return r.name if r else None

    def question(self, question_id: str) -> Question:
        for q in self.questionnaire.questions:
            if q.id == question_id:
                return q
        raise KeyError(question_id)


def _read_yaml(path: Path, errors: list[str]) -> Any:
    try:
        with path.open(encoding="utf-8") as f:
            return yamlsafe.load(f)
    except (OSError, yaml.YAMLError) as e:
        errors.append(f"{path}: cannot read YAML: {e}")
        return None


def _fmt_validation(path: Path, e: ValidationError) -> list[str]:
    out = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"])
        out.append(f"{path}: schema: {loc}: {err['msg']}")
    return out


def measure_files(data_dir: Path) -> list[Path]:
    files = sorted((data_dir / "measures").rglob("*.yaml"))
    files += sorted((data_dir / "regions").glob("*/measures/*.yaml"))
    return files


_REGION_DIR = re.compile(r"^RU-[A-Z]{2,3}$")


def load_raw(data_dir: Path) -> tuple[Catalogue | None, list[str]]:
    """Load and schema-check everything; returns (catalogue or None, schema errors)."""
    errors: list[str] = []
    measures: dict[str, Measure] = {}
    files: dict[str, Path] = {}
    for path in measure_files(data_dir):
        raw = _read_yaml(path, errors)
        if raw is None:
            continue
        try:
            m = Measure.model_validate(raw)
        except ValidationError as e:
            errors.extend(_fmt_validation(path, e))
            continue
        if m.id in measures:
            errors.append(f"{path}: duplicate measure id {m.id!r} (also in {files[m.id]})")
            continue
        if path.stem != m.id:
            errors.append(f"{path}: file name must be the measure id {m.id!r}")
        region_dir = path.parent.parent.name if path.parent.name == "measures" else None
        if region_dir and _REGION_DIR.match(region_dir):
            if m.level != "regional" or m.region != region_dir:
                errors.append(
                    f"{path}: a measure under data/regions/{region_dir} must be regional with region {region_dir}"
                )
        elif m.level != "federal":
            errors.append(f"{path}: a measure under data/measures must be federal")
        measures[m.id] = m
        files[m.id] = path

    def one(path: Path, model: Any, key: str | None = None) -> Any:
        raw = _read_yaml(path, errors)
        if raw is None:
            return None
        try:
            if key is not None:
                return model.model_validate(raw[key]) if isinstance(raw, dict) and key in raw else None
            return model.model_validate(raw)
        except ValidationError as e:
            errors.extend(_fmt_validation(path, e))
            return None

    questionnaire = one(data_dir / "questionnaire.yaml", Questionnaire)
    life: dict[str, LifeSituation] = {}
    raw_life = _read_yaml(data_dir / "life_situations.yaml", errors) or {}
    for item in raw_life.get("life_situations", []) if isinstance(raw_life, dict) else []:
        try:
            situation = LifeSituation.model_validate(item)
            life[situation.id] = situation
        except ValidationError as e:
            errors.extend(_fmt_validation(data_dir / "life_situations.yaml", e))

    sources: dict[str, Source] = {}
    raw_src = _read_yaml(data_dir / "reference" / "sources.yaml", errors) or {}
    for item in raw_src.get("sources", []) if isinstance(raw_src, dict) else []:
        try:
            s = Source.model_validate(item)
        except ValidationError as e:
            errors.extend(_fmt_validation(data_dir / "reference" / "sources.yaml", e))
            continue
        if s.id in sources:
            errors.append(f"reference/sources.yaml: duplicate source id {s.id!r}")
        sources[s.id] = s

    regions: dict[str, Region] = {}
    raw_reg = _read_yaml(data_dir / "reference" / "regions.yaml", errors) or {}
    for item in raw_reg.get("regions", []) if isinstance(raw_reg, dict) else []:
        try:
            r = Region.model_validate(item)
            regions[r.code] = r
        except ValidationError as e:
            errors.extend(_fmt_validation(data_dir / "reference" / "regions.yaml", e))

    pm: dict[int, PmTable] = {}
    for path in sorted((data_dir / "reference").glob("pm_*.yaml")):
        t = one(path, PmTable)
        if t is not None:
            pm[t.year] = t
    fed: dict[int, FederalParams] = {}
    for path in sorted((data_dir / "reference").glob("federal_*.yaml")):
        t = one(path, FederalParams)
        if t is not None:
            fed[t.year] = t

    if questionnaire is None:
        errors.append(f"{data_dir / 'questionnaire.yaml'}: missing or invalid")
        return None, errors
    return (
        Catalogue(
            measures=measures,
            questionnaire=questionnaire,
            life_situations=life,
            sources=sources,
            regions=regions,
            pm=pm,
            federal_params=fed,
            files=files,
        ),
        errors,
    )


def load_catalogue(data_dir: Path | None = None) -> Catalogue:
    """Load the catalogue; raises CatalogueError on schema errors (run `validate()` for the full report)."""
    cat, errors = load_raw(Path(data_dir) if data_dir else DEFAULT_DATA_DIR)
    if errors or cat is None:
        raise CatalogueError(errors)
    return cat


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    """The shipped catalogue, loaded once per process."""
    return load_catalogue(DEFAULT_DATA_DIR)
