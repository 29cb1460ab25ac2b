"""Platform: settings, the DuckDB files (build, publish, check), the run ledger, durable writes, kill points.

The lowest layer: imports nothing else of this project."""
