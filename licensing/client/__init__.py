"""Reference on-premises proxy client (``pmm-proxy``) and the signed-message format.

Pure Python: this package must never import Django, so the proxy can be installed
on its own and the portal can share :mod:`licensing.client.envelope` with it.
"""

__version__ = "1.0.0"
