# One time format for zh_Hans (myaccount/formats/__init__.py); dates stay Django's.
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "Y年n月j日 H:i"
SHORT_DATETIME_FORMAT = "Y年n月j日 H:i"
