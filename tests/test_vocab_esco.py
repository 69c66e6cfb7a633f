from __future__ import annotations

from pathlib import Path

from connector.context import Context
from connector.vocab.jobs import load_esco
from tests.vocab_helpers import ESCO, ESCO_MINI, SKOS, WEB_DEVELOPER

REPO = Path(__file__).resolve().parents[1]
PYTHON = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


def test_esco_csv_as_skos_with_official_iris(ctx: Context) -> None:
    result = load_esco(ctx, ESCO_MINI)
    assert result.version == "unknown"  # the fixture paths carry no version (official folders do: v1.1.1)
    assert result.counts["occupations"] == 4 and result.counts["skills"] > 200
    assert result.counts["occupations_labelled_fr"] == result.counts["occupations"]
    graph = [ctx.datasets.get("esco").graph]
    assert ctx.store.ask(
        f"""ASK {{ <{WEB_DEVELOPER}> a <{ESCO}Occupation>, <{ESCO}MemberConcept>, <{SKOS}Concept> ;
              <{SKOS}prefLabel> "web developer"@en, "développeur web/développeuse web"@fr ;
              <{SKOS}altLabel> "développeuse web"@fr ; <{SKOS}notation> "2513.5" ;
              <{ESCO}memberOfISCOGroup> <http://data.europa.eu/esco/isco/C2513> ;
              <{ESCO}relatedEssentialSkill> ?s .
            ?s <{ESCO}isEssentialSkillFor> <{WEB_DEVELOPER}> .
            <http://data.europa.eu/esco/isco/C2513> <{SKOS}notation> "2513" ; <{SKOS}prefLabel> ?isco .
            <{PYTHON}> a <{ESCO}Skill> ; <{ESCO}skillType> <http://data.europa.eu/esco/skill-type/knowledge> ;
              <{ESCO}skillReuseLevel> <http://data.europa.eu/esco/skill-reuse-level/sector-specific> ;
              <{SKOS}prefLabel> "Python (computer programming)"@en, ?fr . FILTER(lang(?fr) = "fr") }}""",
        default_graphs=graph,
    )
    # one French preferred label per skill even with several label sources
    rows = ctx.store.select(
        f"""SELECT ?s (COUNT(?l) AS ?n) WHERE {{ ?s a <{ESCO}Skill> ; <{SKOS}prefLabel> ?l FILTER(lang(?l) = "fr") }}
            GROUP BY ?s HAVING (COUNT(?l) > 1)""",
        default_graphs=graph,
    )
    assert rows == []


def test_esco_rdf_dump_loads_through_the_same_job(ctx: Context) -> None:
    result = load_esco(ctx, [REPO / "data" / "esco-rdf-sample" / "esco-padding.ttl"], version="1.2.0")
    assert result.version == "1.2.0" and result.counts["rdf_dump_triples"] == result.triples > 40
    assert ctx.store.ask(
        f'ASK {{ ?s a <{ESCO}Skill> ; <{SKOS}prefLabel> "MongoDB"@en }}',
        default_graphs=[ctx.datasets.get("esco").graph],
    )
