# "5. des 2026": Norwegian writes the day as an ordinal.
DATE_FORMAT = "j. b Y"
DATETIME_FORMAT = "j. b Y, H:i"
SHORT_DATETIME_FORMAT = "j. b, H:i"
