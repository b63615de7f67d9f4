import os

from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "myaccount.settings")
application = get_wsgi_application()

# Start up only as `manage.py check` would: a server whose configuration cannot work
# (e.g. production without licensing signing keys) must fail at start-up, saying what
# to set, rather than answer 500 to every request that needs it.
_errors = [message for message in run_checks() if message.is_serious()]
if _errors:
    raise ImproperlyConfigured("\n".join(f"{error.id}: {error.msg}" for error in _errors))
