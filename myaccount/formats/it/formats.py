# One time format for it (myaccount/formats/__init__.py); dates stay Django's.
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
