"""`python -m bench --scale street`: measure the main pages against DATABASE_URL (see bench/run.py)."""

from bench.run import main

raise SystemExit(main())
