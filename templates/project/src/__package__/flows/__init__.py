"""Rules that span domains, each a module naming the services it uses.

A domain's service never imports another domain's service (the contracts forbid it: the seed's
circular-import pitfall). A rule that needs two domains lives here instead, above the services and
below the routers; `create-layered-backend add-flow <name> --uses a,b` writes one, with the
contract that lets it import exactly those services.
"""
