"""Writes of the dispatch app: planning, routine generation, urgent jobs, bookings, visits."""
