"""Connectors: discover, read and land the 17 department sources (sources/README.md).

Pipeline code: never imports `simulator` (both are written from the contracts alone).
"""
