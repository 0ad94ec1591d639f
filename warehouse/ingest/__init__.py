"""Ingest of CBS deliveries: recognise, validate against contracts, load atomically, version."""

from warehouse.ingest.errors import DeliveryRejected, Violation
from warehouse.ingest.loader import IngestResult, ingest, init_warehouse, rollback_to

__all__ = ["DeliveryRejected", "IngestResult", "Violation", "ingest", "init_warehouse", "rollback_to"]
