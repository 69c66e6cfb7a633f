"""Reference vocabularies: ROME 4.0 and ESCO as SKOS, and the scored ROME-ESCO alignment.

Loaders stream triples into the store (``rome``, ``esco``); ``alignment`` computes and publishes the mappings.
Everything here is independent of the CLI and HTTP faces.
"""
