"""Tests of the routing engine on tiny named instances."""
