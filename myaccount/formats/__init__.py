"""One time format per locale (settings.FORMAT_MODULE_PATH).

Django's own formats mix styles within a language: English TIME_FORMAT "P" ("8:20 a.m.")
beside templates' "H:i", Japanese "G:i" ("8:09"). Here each language has one way to
write a time, used by TIME_FORMAT, DATETIME_FORMAT and SHORT_DATETIME_FORMAT alike, so a
time reads the same on every page, export and e-mail. Templates name a format
(SHORT_DATETIME_FORMAT), never write one (tests/test_time_formats.py).
"""
