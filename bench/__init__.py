"""Benchmarks of the main pages (`python -m bench`, `make bench`) and the load test (`make load`).

Not part of the product: nothing here is imported by the site. The runner measures each page through Django's
test client against the database DATABASE_URL names, and writes bench/results/<database>-<scale>.md;
bench/report.py assembles docs/performance.md from those files.
"""
