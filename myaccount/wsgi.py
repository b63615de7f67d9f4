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

# Load what every worker needs with the application: once per process, or once in
# gunicorn's master (preload_app), whose workers then fork with it in place and share
# it. The URLconf imports every view; the signing keys are read, so a key that cannot
# be read stops the start rather than failing the first licensing request.
from django.urls import get_resolver  # noqa: E402  (needs the settings configured above)

from licensing import signing  # noqa: E402

get_resolver().url_patterns  # noqa: B018
signing.signing_keys()
