"""Eclipse Dataspace Protocol 2025-1, both roles: catalog, contract negotiation, pull transfer (no HTTP framework here).

``setup.build_service(ctx)`` assembles the :class:`service.DspService` the HTTP routers and the CLI use; see
docs/dataspace.md.
"""
