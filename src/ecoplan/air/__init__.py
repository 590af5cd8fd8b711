"""Air quality: AQI (HJ 633), statistics (HJ 663) and limits (GB 3095).

Column names used across the air assessments: ``pm2_5, pm10, so2, no2, o3, co``
for the six pollutants (ug/m3, CO mg/m3), ``o3_1h`` and ``o3_8h`` for the daily
maximum 1-hour and 8-hour ozone values.
"""

from __future__ import annotations

# stored parameter name -> column name
PARAMETER_COLUMNS = {
    "PM2.5": "pm2_5",
    "PM10": "pm10",
    "SO2": "so2",
    "NO2": "no2",
    "O3": "o3",
    "CO": "co",
}
COLUMN_PARAMETERS = {v: k for k, v in PARAMETER_COLUMNS.items()}
# names shown for columns of the daily report
DAILY_NAMES = COLUMN_PARAMETERS | {"o3_1h": "O3_1h", "o3_8h": "O3_8h"}
