"""Generated hourly air-quality data in the national platform's daily-file format.

GENERATED DATA: nothing here is a measurement. The values come from a simple
model with the shapes of real data, so that the demo exercises every part of
the system:

- a seasonal cycle (winter heating raises PM, SO2, CO and NO2; ozone peaks in
  early summer) and a daily cycle (ozone in the afternoon, NO2 at rush hours,
  particles at night);
- weather: day-to-day persistence shared across the province (AR(1) on the log
  scale) with a city component;
- winter heating episodes (stagnation over several days, province-wide) and
  spring dust days (mostly PM10, stronger in the north);
- a trend per city and pollutant, so that cities land in different states
  against the plan's targets;
- station offsets (background stations cleaner), missing hours and outages.

Each city's annual mean of each pollutant is set by its profile (the daily
factors are normalised per city and year), so the demo's figures are known
by construction. Files: ``china_sites_YYYYMMDD.csv`` with the concentration
types (PM2.5, PM10, SO2, NO2, O3, CO); hour labels mark the end of the hour.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import shanxi

POLLUTANTS = ("PM2.5", "PM10", "SO2", "NO2", "O3", "CO")


@dataclass(frozen=True)
class CityProfile:
    """Annual means in the base year and yearly change (fraction per year)."""

    base: dict[str, float]  # pollutant -> annual mean in base_year (ug/m3, CO mg/m3)
    trend: dict[str, float]  # pollutant -> change per year, e.g. -0.05
    dust: float = 1.0  # strength of spring dust events
    base_year: int = 2020

    def mean(self, pollutant: str, year: int) -> float:
        return self.base[pollutant] * (1 + self.trend[pollutant]) ** (year - self.base_year)


def _profile(
    pm25: float,
    pm25_trend: float,
    *,
    o3_trend: float = 0.01,
    dust: float = 1.0,
    so2: float = 18.0,
    no2: float = 35.0,
) -> CityProfile:
    return CityProfile(
        base={"PM2.5": pm25, "PM10": pm25 * 1.9, "SO2": so2, "NO2": no2, "O3": 62.0, "CO": 1.1},
        trend={
            "PM2.5": pm25_trend,
            "PM10": pm25_trend * 0.8,
            "SO2": -0.08,
            "NO2": -0.02,
            "O3": o3_trend,
            "CO": -0.04,
        },
        dust=dust,
    )


# Invented profiles (2020 means and trends) chosen so that the plan's targets
# land in different states: some cities improve fast, some stall, one worsens.
SHANXI_PROFILES: dict[str, CityProfile] = {
    "太原市": _profile(50, -0.055, no2=42),
    "大同市": _profile(33, -0.02, dust=1.6),
    "朔州市": _profile(37, -0.01, dust=1.5),
    "忻州市": _profile(42, -0.04, dust=1.2),
    "阳泉市": _profile(50, -0.02, so2=24),
    "晋中市": _profile(48, -0.035),
    "吕梁市": _profile(42, -0.025),
    "长治市": _profile(46, -0.045),
    "晋城市": _profile(52, 0.005, o3_trend=0.025),
    "临汾市": _profile(58, -0.06, so2=22),
    "运城市": _profile(56, -0.03, o3_trend=0.02),
}

# amplitude of the seasonal cycle and the day of the year of its peak
SEASON = {
    "PM2.5": (0.45, 15),
    "PM10": (0.3, 40),
    "SO2": (0.6, 15),
    "NO2": (0.25, 15),
    "O3": (0.5, 170),
    "CO": (0.4, 15),
}
# daily cycle: (amplitude, hour of the peak, period in hours)
DIURNAL = {
    "PM2.5": (0.22, 22, 24),
    "PM10": (0.2, 21, 24),
    "SO2": (0.15, 10, 24),
    "NO2": (0.22, 8, 12),
    "O3": (0.65, 15, 24),
    "CO": (0.2, 22, 24),
}
# how a heating episode of strength a scales each pollutant: 1 + k (a - 1)
EPISODE = {"PM2.5": 1.0, "PM10": 0.7, "SO2": 0.4, "NO2": 0.3, "O3": -0.15, "CO": 0.6}
DUST = {"PM2.5": 0.12, "PM10": 1.0, "SO2": 0.0, "NO2": 0.0, "O3": 0.0, "CO": 0.0}


@dataclass
class Network:
    """Stations (code, city, background) and city profiles."""

    codes: list[str]
    cities: list[str]
    background: np.ndarray  # bool per station
    profiles: dict[str, CityProfile]
    latitude: dict[str, float]

    @property
    def city_names(self) -> list[str]:
        return list(self.profiles)


def shanxi_network() -> Network:
    codes = list(shanxi.STATIONS)
    return Network(
        codes=codes,
        cities=[shanxi.STATIONS[c][0] for c in codes],
        background=np.array([bool(shanxi.STATIONS[c][2]) for c in codes]),
        profiles=SHANXI_PROFILES,
        latitude={c: v[1] for c, v in shanxi.CITIES.items()},
    )


def synthetic_network(n_stations: int, *, stations_per_city: int = 10, seed: int = 1) -> Network:
    """A national-scale network: ``n_stations`` stations in cities of ``stations_per_city``."""
    rng = np.random.default_rng(seed)
    n_cities = max(1, n_stations // stations_per_city)
    names = [f"城市{i:03d}" for i in range(n_cities)]
    profiles = {
        n: _profile(
            float(rng.uniform(20, 70)),
            float(rng.uniform(-0.07, 0.02)),
            o3_trend=float(rng.uniform(-0.01, 0.03)),
            dust=float(rng.uniform(0.5, 2.0)),
        )
        for n in names
    }
    codes = [f"{i + 1:04d}N" for i in range(n_stations)]
    cities = [names[i % n_cities] for i in range(n_stations)]
    background = np.array([i < n_cities for i in range(n_stations)])  # one background station per city
    return Network(codes, cities, background, profiles, {n: float(rng.uniform(20, 48)) for n in names})


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _daily_factors(net: Network, days: list[dt.date], rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Daily multiplicative factors per pollutant, shape (n_days, n_cities), mean 1 per city-year."""
    n_days, n_cities = len(days), len(net.profiles)
    doy = np.array([d.timetuple().tm_yday for d in days], dtype=float)
    # weather: AR(1) on log scale, shared province-wide with a city part
    phi, sigma = 0.72, 0.38
    shared = np.zeros(n_days)
    local = np.zeros((n_days, n_cities))
    e1 = rng.normal(0, sigma, n_days)
    e2 = rng.normal(0, sigma * 0.6, (n_days, n_cities))
    for i in range(1, n_days):
        shared[i] = phi * shared[i - 1] + e1[i]
        local[i] = phi * local[i - 1] + e2[i]
    weather = shared[:, None] * 0.8 + local * 0.6
    # heating episodes (province-wide, November 15 to March 15)
    heating = np.array([(d.month, d.day) >= (11, 15) or (d.month, d.day) <= (3, 15) for d in days])
    episode = np.ones((n_days, n_cities))
    i = 0
    while i < n_days:
        if heating[i] and rng.random() < 0.06:
            length = int(rng.integers(2, 7))
            strength = rng.uniform(1.6, 3.2) * rng.uniform(0.8, 1.2, n_cities)
            ramp = np.sin(np.linspace(0.3, np.pi - 0.3, length))[:, None]
            episode[i : i + length] *= 1 + (strength - 1) * ramp[: n_days - i]
            i += length + int(rng.integers(3, 10))
        else:
            i += 1
    # spring dust days, stronger for the cities with a dust factor
    dust = np.ones((n_days, n_cities))
    dust_strength = np.array([p.dust for p in net.profiles.values()])
    for j in range(n_days):
        if days[j].month in (3, 4, 5) and rng.random() < 0.035:
            length = int(rng.integers(1, 3))
            dust[j : j + length] *= 1 + rng.uniform(1.5, 4.5) * dust_strength
    years = np.array([d.year for d in days])
    out = {}
    for p in POLLUTANTS:
        amp, peak = SEASON[p]
        season = 1 + amp * np.cos(2 * np.pi * (doy - peak) / 365.25)
        w = np.exp(weather * (0.5 if p == "O3" else 1.0) * (-0.3 if p == "O3" else 1.0))
        f = season[:, None] * w * (1 + EPISODE[p] * (episode - 1)) * (1 + DUST[p] * (dust - 1))
        f = np.clip(f, 0.05, None)
        for y in np.unique(years):
            sel = years == y
            f[sel] /= f[sel].mean(axis=0, keepdims=True)
        out[p] = f
    return out


def _diurnal(p: str) -> np.ndarray:
    amp, peak, period = DIURNAL[p]
    hours = np.arange(24)  # label hour h covers h-1..h; use its middle
    shape = 1 + amp * np.cos(2 * np.pi * ((hours - 0.5) - peak) / period)
    return shape / shape.mean()


def generate_days(
    net: Network, start: dt.date, end: dt.date, *, seed: int = 20201231
) -> Iterator[tuple[dt.date, dict[str, np.ndarray]]]:
    """Yield (day, {pollutant: values of shape (24, n_stations)}) with NaN for missing values.

    Row h of a day holds the value labelled hour h (the hour ending at h:00);
    the hour-0 label belongs to the previous natural day, as on the platform.
    """
    rng = np.random.default_rng(seed)
    days = _days(start, end)
    factors = _daily_factors(net, days, rng)
    city_index = {c: i for i, c in enumerate(net.profiles)}
    st_city = np.array([city_index[c] for c in net.cities])
    n_st = len(net.codes)
    st_factor = np.exp(rng.normal(0, 0.12, n_st)) * np.where(net.background, 0.7, 1.0)
    # normalise station factors so each city's assessment stations average 1
    for ci in range(len(city_index)):
        sel = (st_city == ci) & ~net.background
        if sel.any():
            st_factor[st_city == ci] /= st_factor[sel].mean()
    diurnal = {p: _diurnal(p) for p in POLLUTANTS}
    # hourly noise: AR(1) on the log scale, carried across days; scaled so its mean factor is 1
    phi, sigma, scale = 0.75, 0.16, 0.8
    log_var = scale**2 * sigma**2 / (1 - phi**2)
    noise_state = {p: np.zeros(n_st) for p in POLLUTANTS}
    # outages: about two per station and year, 6 to 72 hours long
    down_from = np.full(n_st, -1)
    down_to = np.full(n_st, -1)
    for di, day in enumerate(days):
        first_hour = di * 24
        hours_abs = first_hour + np.arange(24)
        start_now = (rng.random(n_st) < 2 / 365) & (down_to <= first_hour)
        down_from = np.where(start_now, first_hour + rng.integers(0, 24, n_st), down_from)
        down_to = np.where(start_now, down_from + rng.integers(6, 73, n_st), down_to)
        down = (hours_abs[:, None] >= down_from[None, :]) & (hours_abs[:, None] < down_to[None, :])
        values = {}
        for p in POLLUTANTS:
            mean = np.array([net.profiles[c].mean(p, day.year) for c in net.profiles])[st_city]
            base = mean * factors[p][di, st_city] * st_factor
            eps = rng.normal(0, sigma, (24, n_st))
            noise = np.empty((24, n_st))
            state = noise_state[p]
            for h in range(24):
                state = phi * state + eps[h]
                noise[h] = state
            noise_state[p] = state
            v = base[None, :] * diurnal[p][:, None] * np.exp(scale * noise - log_var / 2)
            v = np.maximum(np.round(v, 1), 0.1) if p == "CO" else np.maximum(np.round(v), 1.0)
            v[(rng.random((24, n_st)) < 0.01) | down] = np.nan
            values[p] = v
        yield day, values


def write_daily_files(
    net: Network,
    out_dir: str | Path,
    start: dt.date,
    end: dt.date,
    *,
    seed: int = 20201231,
    progress: Callable[[dt.date], None] | None = None,
) -> list[Path]:
    """Write ``china_sites_YYYYMMDD.csv`` files for ``start..end``; returns their paths."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    hours = np.repeat(np.arange(24), len(POLLUTANTS))
    types = pa.array(np.tile(np.array(POLLUTANTS, dtype=object), 24), pa.string())
    options = pacsv.WriteOptions(include_header=False, quoting_style="none")
    header = ("date,hour,type," + ",".join(net.codes) + "\n").encode()
    for day, values in generate_days(net, start, end, seed=seed):
        stamp = day.strftime("%Y%m%d")
        # rows: hour-major, then pollutant, as on the platform
        block = np.stack([values[p] for p in POLLUTANTS], axis=1).reshape(24 * len(POLLUTANTS), -1)
        cols = {
            "date": pa.array(np.full(len(hours), int(stamp)), pa.int64()),
            "hour": pa.array(hours, pa.int64()),
            "type": types,
        }
        for j, code in enumerate(net.codes):
            col = block[:, j]
            cols[code] = pa.array(col, pa.float64(), mask=np.isnan(col))
        path = out / f"china_sites_{stamp}.csv"
        sink = pa.BufferOutputStream()
        pacsv.write_csv(pa.table(cols), sink, options)
        path.write_bytes(header + sink.getvalue().to_pybytes())
        paths.append(path)
        if progress is not None:
            progress(day)
    return paths


def write_station_list(net: Network, path: str | Path) -> Path:
    """The network's station list as a CSV the stations reader takes."""
    path = Path(path)
    rows = ["code,city,name,background,lat,lon"]
    rng = np.random.default_rng(7)
    for code, city, bg in zip(net.codes, net.cities, net.background, strict=True):
        fact = shanxi.STATIONS.get(code)
        name = fact[1] if fact else ""
        flag = "" if fact and fact[2] is None else ("1" if bg else "0")
        lat, lon = shanxi.CITIES[city][1:] if city in shanxi.CITIES else (net.latitude.get(city, 35.0), 110.0)
        rows.append(
            f"{code},{city},{name},{flag},{lat + rng.normal(0, 0.05):.4f},{lon + rng.normal(0, 0.05):.4f}"
        )
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
