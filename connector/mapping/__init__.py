"""GEN mapping jobs: training offers (GEN CSV/JSON, LHEO 2.2/2.3) and job sheets to ELM / ESCO / ROME RDF.

Readers turn a source file into :class:`~connector.mapping.records.Parsed` items (a record or the reasons it was
rejected, with its place in the file); mappers turn records into triples; :mod:`connector.mapping.job` is the one
engine every source kind goes through (quarantine, incremental keys, validation gate, atomic publish, PROV-O).
"""
