# "5 Dec 2026": day first, short month, read the same way on both sides of the Atlantic.
DATE_FORMAT = "j M Y"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATETIME_FORMAT = "j M, H:i"
SHORT_DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
