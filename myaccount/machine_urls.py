"""The URLconf of the lean machine path (myaccount/machine.py): the licensing API only."""

from licensing import urls as licensing_urls

urlpatterns = [
    pattern
    for pattern in licensing_urls.urlpatterns
    if str(pattern.pattern).startswith("api/licensing/")
]
