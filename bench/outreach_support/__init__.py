"""Helpers of the outreach benchmarks (bench/outreach_fanout.py, bench/outreach_receipts.py)."""
