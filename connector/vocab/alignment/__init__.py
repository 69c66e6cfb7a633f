"""ROME 4.0 <-> ESCO alignment: label normalisation, candidates, structural scoring, SSSOM and SKOS output."""
