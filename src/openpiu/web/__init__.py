"""The web application: the carriers' HTTP push endpoint (``openpiu.web.app:create_app``; ``openpiu serve``
runs ``openpiu.web.app:serve_app``).

Routers parse, authenticate, call a service and render; the service errors are mapped to HTTP in one
place (:func:`openpiu.web.app.create_app`). This package imports only ``openpiu.services`` and
``openpiu.model`` (and the settings and the clock).
"""
