"""Altair charts used by the pages; each takes a tidy polars frame and returns a chart (no Streamlit calls)."""
from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import polars as pl

from app.formatting import STATUS_COLORS, STATUS_ORDER

JA_FONT = "Noto Sans CJK JP, Noto Sans JP, IPAexGothic, sans-serif"
HEIGHT = 320


def _base(frame: pl.DataFrame) -> alt.Chart:
    return alt.Chart(frame.to_pandas())


def status_scale(labels: dict[str, str]) -> alt.Scale:
    """Colour scale mapping each status label to its fixed colour."""
    return alt.Scale(domain=[labels[s] for s in STATUS_ORDER], range=[STATUS_COLORS[s] for s in STATUS_ORDER])


def status_counts_bar(frame: pl.DataFrame, labels: dict[str, str], title: str, count_title: str) -> alt.Chart:
    """Horizontal bar of measures per status (frame: status_label, measure_count)."""
    return _base(frame).mark_bar().encode(
        x=alt.X("measure_count:Q", title=count_title, axis=alt.Axis(tickMinStep=1)),
        y=alt.Y("status_label:N", title=None, sort=[labels[s] for s in STATUS_ORDER]),
        color=alt.Color("status_label:N", scale=status_scale(labels), legend=None),
        tooltip=["status_label:N", "measure_count:Q"],
    ).properties(title=title, height=alt.Step(28))


def indicator_chart(years: pl.DataFrame, forecast: pl.DataFrame, baseline: float | None, target: float | None,
                    labels: dict[str, str], y_title: str,
                    year_to_date: pl.DataFrame | None = None) -> alt.LayerChart:
    """Actual by fiscal year (points and line), baseline and target rules, forecast band to the target year.

    years: fiscal_year_label, fiscal_year, actual_value (complete years only). forecast: fiscal_year_label, value,
    lower, upper. year_to_date: fiscal_year_label (e.g. 令和8年度（10月まで）), fiscal_year, series, value — a year
    in progress, drawn apart from the line as open points beside the same months of the previous year.
    """
    ytd = year_to_date if year_to_date is not None else pl.DataFrame(
        schema={"fiscal_year_label": pl.String, "fiscal_year": pl.Int64, "series": pl.String, "value": pl.Float64})
    frames = (years, forecast, ytd)
    order = sorted({label for frame in frames for label in frame["fiscal_year_label"].to_list()},
                   key=lambda lbl: _order_key(lbl, *frames))
    x = alt.X("fiscal_year_label:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=200))
    layers: list[alt.Chart] = []
    if forecast.height:
        band = _base(forecast).mark_area(opacity=0.18, color="#1565c0").encode(
            x=x, y=alt.Y("lower:Q", title=y_title), y2="upper:Q",
            tooltip=[alt.Tooltip("lower:Q", format=",.1f"), alt.Tooltip("upper:Q", format=",.1f")])
        line = _base(forecast).mark_line(strokeDash=[6, 4], color="#1565c0").encode(x=x, y="value:Q")
        layers += [band, line]
    actual = _base(years.drop_nulls("actual_value")).encode(
        x=x, y=alt.Y("actual_value:Q", title=y_title),
        tooltip=["fiscal_year_label:N", alt.Tooltip("actual_value:Q", format=",.1f", title=labels["actual"])])
    layers += [actual.mark_line(color="#263238", strokeWidth=2.5),
               actual.mark_point(filled=True, size=70, color="#263238")]
    if ytd.height:
        series = ytd["series"].unique(maintain_order=True).to_list()
        layers.append(_base(ytd).mark_point(size=110, strokeWidth=2.5, filled=False).encode(
            x=x, y=alt.Y("value:Q", title=y_title),
            color=alt.Color("series:N", title=None, scale=alt.Scale(domain=series,
                                                                    range=["#ef6c00", "#90a4ae"][:len(series)]),
                            legend=alt.Legend(orient="top", labelLimit=400)),
            shape=alt.Shape("series:N", scale=alt.Scale(domain=series, range=["circle", "diamond"][:len(series)]),
                            legend=None),
            tooltip=["fiscal_year_label:N", "series:N", alt.Tooltip("value:Q", format=",.1f")]))
    for value, key, colour, dash, dy in ((baseline, "baseline", "#616161", [2, 2], 16),
                                         (target, "target", "#c62828", [8, 4], -10)):
        if value is None:
            continue
        rule_frame = pl.DataFrame({"value": [float(value)], "label": [labels[key]]})
        rule = _base(rule_frame).mark_rule(color=colour, strokeDash=dash, strokeWidth=2).encode(y="value:Q")
        text = _base(rule_frame).mark_text(align="left", dx=4, dy=dy, color=colour, fontSize=13,
                                           fontWeight="bold").encode(y="value:Q", text="label:N", x=alt.value(4))
        layers += [rule, text]
    return alt.layer(*layers).properties(height=HEIGHT)


def _order_key(label: str, *frames: pl.DataFrame) -> int:
    for frame in frames:
        match = frame.filter(pl.col("fiscal_year_label") == label)
        if match.height:
            return int(match["fiscal_year"][0])
    return 0


def monthly_line(frame: pl.DataFrame, y: str, y_title: str, color: str | None = None,
                 color_title: str | None = None, target: float | None = None, target_label: str = "",
                 percent: bool = False, target_color: str = "#c62828",
                 color_scale: tuple[list[str], list[str]] | None = None,
                 detail: str | None = None) -> alt.LayerChart:
    """Line per month (optionally per category, broken per `detail` value) with an optional target rule."""
    enc = {
        "x": alt.X("month_start_date:T", title=None, axis=alt.Axis(format="%Y/%m", labelAngle=0)),
        "y": alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format="%" if percent else ",.0f")),
        "tooltip": [alt.Tooltip("month_start_date:T", format="%Y/%m"),
                    alt.Tooltip(f"{y}:Q", format=".1%" if percent else ",.0f")],
    }
    if color:
        scale = alt.Scale(domain=color_scale[0], range=color_scale[1]) if color_scale else alt.Undefined
        enc["color"] = alt.Color(f"{color}:N", title=color_title or None, scale=scale,
                                 legend=alt.Legend(orient="top", labelLimit=300))
        enc["tooltip"].append(f"{color}:N")
    if detail:
        enc["detail"] = alt.Detail(f"{detail}:N")
    layers: list[alt.Chart] = [_base(frame).mark_line(point=True).encode(**enc)]
    if target is not None:
        rule_frame = pl.DataFrame({"value": [target], "label": [target_label]})
        layers.append(_base(rule_frame).mark_rule(color=target_color, strokeDash=[8, 4], strokeWidth=2).encode(
            y="value:Q"))
        layers.append(_base(rule_frame).mark_text(align="left", dx=4, dy=-10, color=target_color, fontSize=13,
                                                  fontWeight="bold").encode(y="value:Q", text="label:N",
                                                                            x=alt.value(4)))
    return alt.layer(*layers).properties(height=HEIGHT)


def stacked_area(frame: pl.DataFrame, y: str, color: str, y_title: str, color_title: str,
                 sort: Sequence[str] | None = None, normalize: bool = False) -> alt.Chart:
    """Monthly stacked area by category (channel shift)."""
    return _base(frame).mark_area().encode(
        x=alt.X("month_start_date:T", title=None, axis=alt.Axis(format="%Y/%m", labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, stack="normalize" if normalize else "zero",
                axis=alt.Axis(format="%" if normalize else ",.0f")),
        color=alt.Color(f"{color}:N", title=color_title, sort=list(sort) if sort else None),
        tooltip=[alt.Tooltip("month_start_date:T", format="%Y/%m"), f"{color}:N", alt.Tooltip(f"{y}:Q", format=",.0f")],
    ).properties(height=HEIGHT)


def stacked_bar(frame: pl.DataFrame, category: str, y: str, color: str, x_title: str, color_title: str,
                normalize: bool = True, channel_order: Sequence[str] | None = None) -> alt.Chart:
    """Horizontal stacked bars per category (certificate type or office) by channel."""
    return _base(frame).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=260)),
        x=alt.X(f"{y}:Q", title=x_title, stack="normalize" if normalize else "zero",
                axis=alt.Axis(format="%" if normalize else ",.0f")),
        color=alt.Color(f"{color}:N", title=color_title, sort=list(channel_order) if channel_order else None,
                        legend=alt.Legend(orient="bottom", columns=3, labelLimit=200)),
        tooltip=[f"{category}:N", f"{color}:N", alt.Tooltip(f"{y}:Q", format=",.0f")],
    ).properties(height=alt.Step(26))


def bar(frame: pl.DataFrame, category: str, y: str, x_title: str, highlight: str | None = None,
        percent: bool = False, sort: str | None = "-x") -> alt.Chart:
    """Horizontal bars sorted by value; the highlighted category (e.g. 板橋区) drawn in the accent colour."""
    color = alt.value("#1565c0")
    if highlight is not None:
        color = alt.condition(alt.datum[category] == highlight, alt.value("#c62828"), alt.value("#90a4ae"))
    return _base(frame).mark_bar().encode(
        y=alt.Y(f"{category}:N", title=None, sort=sort if sort else frame[category].to_list(),
                axis=alt.Axis(labelLimit=320)),
        x=alt.X(f"{y}:Q", title=x_title, axis=alt.Axis(format=".0%" if percent else ",.0f")),
        color=color,
        tooltip=[f"{category}:N", alt.Tooltip(f"{y}:Q", format=".1%" if percent else ",.1f")],
    ).properties(height=alt.Step(20))


def donut(frame: pl.DataFrame, category: str, y: str, color_title: str) -> alt.Chart:
    """Share of a total by category (device mix)."""
    return _base(frame).mark_arc(innerRadius=60).encode(
        theta=alt.Theta(f"{y}:Q"), color=alt.Color(f"{category}:N", title=color_title),
        tooltip=[f"{category}:N", alt.Tooltip(f"{y}:Q", format=",.0f")],
    ).properties(height=HEIGHT)


def point_map(frame: pl.DataFrame, size: str | None, label: str, size_title: str = "") -> alt.Chart:
    """Facilities as points on lon/lat (no map tiles needed: works offline)."""
    enc = {
        "longitude": "longitude:Q", "latitude": "latitude:Q",
        "tooltip": [f"{label}:N", "facility_code:N"],
    }
    if size:
        enc["size"] = alt.Size(f"{size}:Q", title=size_title, scale=alt.Scale(range=[20, 600]))
        enc["tooltip"].append(alt.Tooltip(f"{size}:Q", format=",.0f"))
    return _base(frame).mark_circle(color="#1565c0", opacity=0.6, stroke="#0d47a1").encode(**enc).project(
        type="mercator").properties(height=420)


def _rule_layers(rules: Sequence[tuple[float, str, str] | None]) -> list[alt.Chart]:
    """Horizontal dashed rules with a bold label at the left edge (baseline grey, target red)."""
    layers: list[alt.Chart] = []
    for rule in rules:
        if rule is None:
            continue
        value, label, colour = rule
        frame = pl.DataFrame({"value": [float(value)], "label": [label]})
        layers.append(_base(frame).mark_rule(color=colour, strokeDash=[8, 4], strokeWidth=2).encode(y="value:Q"))
        layers.append(_base(frame).mark_text(align="left", dx=4, dy=-10, color=colour, fontSize=13,
                                             fontWeight="bold").encode(y="value:Q", text="label:N", x=alt.value(4)))
    return layers


def yearly_bars(frame: pl.DataFrame, x: str, y: str, y_title: str,
                rules: Sequence[tuple[float, str, str] | None] = (), partial: str | None = None) -> alt.LayerChart:
    """One bar per fiscal year with baseline/target rules (frame is in fiscal-year order); bars where the
    boolean column `partial` is true (a year to date) are drawn pale orange, apart from the full years."""
    order = frame[x].to_list()
    color = alt.value("#1565c0") if partial is None else alt.condition(
        alt.datum[partial], alt.value("#ffb74d"), alt.value("#1565c0"))
    bars = _base(frame).mark_bar(opacity=0.85).encode(
        color=color,
        x=alt.X(f"{x}:N", sort=order, title=None, axis=alt.Axis(labelAngle=0, labelLimit=200)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",.0f")),
        tooltip=[f"{x}:N", alt.Tooltip(f"{y}:Q", format=",.0f")])
    return alt.layer(bars, *_rule_layers(rules)).properties(height=HEIGHT)


def fytd_lines(frame: pl.DataFrame, y: str, color: str, y_title: str, color_title: str,
               target: float | None = None, target_label: str = "") -> alt.LayerChart:
    """Fiscal-year-to-date lines, April to March on the x axis, one line per fiscal year, with a target rule."""
    months = [f"{m}月" for m in (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)]
    data = frame.with_columns((pl.col("month_start_date").dt.month().cast(pl.String) + "月").alias("fiscal_month"))
    lines = _base(data).mark_line(point=True).encode(
        x=alt.X("fiscal_month:N", sort=months, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:Q", title=y_title, axis=alt.Axis(format=",.0f")),
        color=alt.Color(f"{color}:N", title=color_title, legend=alt.Legend(orient="top")),
        tooltip=[f"{color}:N", "fiscal_month:N", alt.Tooltip(f"{y}:Q", format=",.0f")])
    rules = [(target, target_label, "#c62828")] if target is not None else []
    return alt.layer(lines, *_rule_layers(rules)).properties(height=HEIGHT)
