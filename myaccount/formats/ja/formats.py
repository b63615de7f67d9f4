# One time format for ja (myaccount/formats/__init__.py); dates stay Django's.
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y/m/d H:i"
SHORT_DATETIME_FORMAT = "Y/m/d H:i"
