"""Benchmarks (issue 7): our refresh vs a hand-written DuckDB script and a pandas pipeline, ingest vs bare
polars, incremental months, dashboard queries. Run `python -m bench.run --profile small|full`; see README.md."""
