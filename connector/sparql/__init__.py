"""SPARQL 1.1 endpoint core: protocol parsing, content negotiation, scoping by contract, bounded execution,
Graph Store Protocol and service description. Knows nothing of the web framework.

Modules: ``protocol`` (requests), ``negotiation`` (Accept), ``scope`` (who reads which graphs), ``lexer`` (the
few decisions taken on the query text), ``execution``/``results`` (running and serialising one query),
``runners``/``worker`` (where it runs, under a time limit), ``service`` (the facade the HTTP layer calls),
``graph_store`` (Graph Store Protocol), ``description`` (Service Description).
"""
