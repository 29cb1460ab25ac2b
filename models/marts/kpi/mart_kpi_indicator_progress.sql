with

scored as (

    select * from {{ ref('int_indicator_progress_scored') }}

),

forecasts as (

    select * from {{ ref('int_indicator_progress_forecast') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

fiscal_years as (

    select * from {{ ref('dim_fiscal_year') }}

),

actuals as (

    select * from {{ ref('int_indicator_actuals_by_fiscal_year') }}

),

baseline_checks as (

    -- the plan's 現状 recomputed from our own data, where the baseline year has a complete year of actuals
    select
        indicators.indicator_id,
        actuals.actual_value as baseline_actual_value,
        case
            when indicators.baseline_value is null or actuals.actual_value is null then null
            when actuals.months_with_data < 12 then null
            else abs(actuals.actual_value - indicators.baseline_value) < 0.5
        end as baseline_matches_plan
    from indicators
    inner join actuals
        on
            indicators.indicator_id = actuals.indicator_id
            and indicators.baseline_fiscal_year = actuals.fiscal_year

),

final as (

    select
        -- ids
        scored.indicator_id,
        scored.measure_id,
        scored.fiscal_year,

        -- labels
        coalesce(fiscal_years.label_ja, {{ wareki_fiscal_year_label('scored.fiscal_year') }}) as fiscal_year_label_ja,
        coalesce(fiscal_years.label_plan_ja, {{ plan_fiscal_year_label('scored.fiscal_year') }}) as fiscal_year_label_plan_ja,
        indicators.name_ja as indicator_name_ja,
        indicators.name_en as indicator_name_en,
        indicators.unit,
        indicators.direction,

        -- plan
        indicators.baseline_value,
        indicators.baseline_fiscal_year,
        indicators.baseline_text_ja,
        indicators.target_value,
        indicators.target_fiscal_year,
        indicators.target_text_ja,
        indicators.target_is_above_baseline,
        scored.effective_baseline_value,
        scored.effective_target_value,

        -- actuals and scores
        scored.actual_value,
        scored.months_with_data,
        scored.is_partial_year,
        scored.achievement_rate,
        scored.expected_progress_rate,
        scored.is_target_met,
        scored.progress_status,

        -- forecast
        forecasts.forecast_target_year_value,
        forecasts.forecast_lower,
        forecasts.forecast_upper,
        forecasts.forecast_point_count,
        forecasts.will_reach_target_forecast,

        -- data quality
        scored.evaluation_date,
        scored.data_through_date,
        scored.is_data_fresh,
        -- the threshold this build judged freshness with, so readers never apply another one
        {{ var('stale_after_days') }} as stale_after_days,
        scored.passed_quality_checks,
        indicators.source_kind,
        indicators.source_name,
        indicators.source_lake_tables,
        scored.source_detail,
        indicators.owner_departments_ja,
        baseline_checks.baseline_actual_value,
        baseline_checks.baseline_matches_plan
    from scored
    inner join indicators
        on scored.indicator_id = indicators.indicator_id
    inner join forecasts
        on
            scored.indicator_id = forecasts.indicator_id
            and scored.fiscal_year = forecasts.fiscal_year
    left join fiscal_years
        on scored.fiscal_year = fiscal_years.fiscal_year
    left join baseline_checks
        on scored.indicator_id = baseline_checks.indicator_id

)

select * from final
