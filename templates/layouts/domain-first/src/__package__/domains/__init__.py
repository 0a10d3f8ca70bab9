"""One package per domain: __init__.py (its router), handlers, deps, service, repository, schemas.

Inside a domain, imports only go down that list. Domains never import each other, except a
service reading the rows another domain's repository holds (a reference); a rule across domains
lives in flows/ (the contracts in pyproject.toml check all of it).
"""
