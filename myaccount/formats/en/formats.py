# One time format for en (myaccount/formats/__init__.py); dates stay Django's.
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "m/d/Y g:i A"
SHORT_DATETIME_FORMAT = "m/d/Y g:i A"
