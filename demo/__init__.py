"""The demo city: a deterministic Hefei (合肥) with shops, staff, log-ins and a year of orders.

``manage.py seed_demo`` builds it (``demo/city.py``); ``demo.city.demo_logins`` lists the log-ins.
"""
