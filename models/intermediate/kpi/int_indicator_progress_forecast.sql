{#- Least-squares linear trend of each indicator's scored actuals up to each fiscal year, projected to the target year. -#}

with

scored as (

    select * from {{ ref('int_indicator_progress_scored') }}

),

trend_points as (

    -- years that can be trusted: an actual, fresh, and not blocked by quarantined files; milestones have no trend
    select
        indicator_id,
        fiscal_year,
        cast(fiscal_year - 2000 as double) as x_value,
        scoring_value as y_value
    from scored
    where
        progress_status not in ('no_data', 'not_evaluable')
        and direction != 'reach_by'

),

sums as (

    select
        scored.indicator_id,
        scored.fiscal_year,
        count(trend_points.fiscal_year) as point_count,
        sum(trend_points.x_value) as sum_x,
        sum(trend_points.y_value) as sum_y,
        sum(trend_points.x_value * trend_points.x_value) as sum_xx,
        sum(trend_points.x_value * trend_points.y_value) as sum_xy,
        sum(trend_points.y_value * trend_points.y_value) as sum_yy
    from scored
    left join trend_points
        on
            scored.indicator_id = trend_points.indicator_id
            and trend_points.fiscal_year <= scored.fiscal_year
    group by
        scored.indicator_id,
        scored.fiscal_year

),

moments as (

    select
        indicator_id,
        fiscal_year,
        point_count,
        sum_x / point_count as mean_x,
        sum_y / point_count as mean_y,
        sum_xx - sum_x * sum_x / point_count as sxx,
        sum_xy - sum_x * sum_y / point_count as sxy,
        sum_yy - sum_y * sum_y / point_count as syy
    from sums
    where point_count >= 3

),

fitted as (

    select
        moments.*,
        moments.sxy / moments.sxx as slope,
        -- residual sum of squares, floored at 0 against rounding
        case
            when moments.syy - moments.sxy * moments.sxy / moments.sxx < 0 then 0
            else moments.syy - moments.sxy * moments.sxy / moments.sxx
        end as residual_sum_of_squares
    from moments
    where moments.sxx > 0

),

projected as (

    select
        fitted.indicator_id,
        fitted.fiscal_year,
        fitted.mean_y + fitted.slope * (scored.target_fiscal_year - 2000 - fitted.mean_x) as forecast_value,
        -- 95% prediction interval: 1.96 × residual std × sqrt(1 + 1/n + (x − x̄)² / Sxx)
        1.96
        * sqrt(fitted.residual_sum_of_squares / (fitted.point_count - 2))
        * sqrt(
            1
            + 1.0 / fitted.point_count
            + (scored.target_fiscal_year - 2000 - fitted.mean_x) * (scored.target_fiscal_year - 2000 - fitted.mean_x) / fitted.sxx
        ) as forecast_half_width
    from fitted
    inner join scored
        on
            fitted.indicator_id = scored.indicator_id
            and fitted.fiscal_year = scored.fiscal_year

),

final as (

    select
        scored.indicator_id,
        scored.fiscal_year,
        sums.point_count as forecast_point_count,
        round(projected.forecast_value, 4) as forecast_target_year_value,
        round(projected.forecast_value - projected.forecast_half_width, 4) as forecast_lower,
        round(projected.forecast_value + projected.forecast_half_width, 4) as forecast_upper,
        case
            when projected.forecast_value is null then null
            when scored.target_is_above_baseline then projected.forecast_value > scored.effective_baseline_value
            when scored.direction = 'decrease' then projected.forecast_value <= scored.effective_target_value
            when scored.direction = 'keep' and scored.effective_target_value = 0 then projected.forecast_value <= 0
            else projected.forecast_value >= scored.effective_target_value
        end as will_reach_target_forecast
    from scored
    inner join sums
        on
            scored.indicator_id = sums.indicator_id
            and scored.fiscal_year = sums.fiscal_year
    left join projected
        on
            scored.indicator_id = projected.indicator_id
            and scored.fiscal_year = projected.fiscal_year

)

select * from final
