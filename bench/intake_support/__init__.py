"""Helpers of bench/intake.py: the load generator and the django-helpdesk comparison site."""
