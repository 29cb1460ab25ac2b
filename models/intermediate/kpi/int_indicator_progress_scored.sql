{#- Scores every indicator in every fiscal year FY2016..current: achievement, expected path, status. Rules: docs/kpi_rules.md. -#}

with

indicators as (

    select * from {{ ref('dim_indicator') }}

),

actuals as (

    select * from {{ ref('int_indicator_actuals_by_fiscal_year') }}

),

load_status as (

    select * from {{ source('warehouse', 'source_load_status') }}

),

fiscal_years as (

    {{ kpi_fiscal_year_spine() }}

),

indicator_quarantine as (

    -- open quarantined files of the lake table(s) that feed each indicator (plan_indicators.source_lake_tables)
    select
        indicators.indicator_id,
        sum(coalesce(load_status.files_quarantined_open, 0)) as files_quarantined_open
    from indicators
    inner join load_status
        on {{ dbt.position(dbt.concat(["' '", "load_status.source_table", "' '"]), dbt.concat(["' '", "indicators.source_lake_tables", "' '"])) }} > 0
    group by indicators.indicator_id

),

first_measurements as (

    -- M24-1's target is relative (初回の測定値の50%増): its baseline is the first measured value
    select
        actuals.indicator_id,
        actuals.fiscal_year as first_fiscal_year,
        actuals.actual_value as first_actual_value
    from actuals
    inner join (
        select
            indicator_id,
            min(fiscal_year) as first_fiscal_year
        from actuals
        group by indicator_id
    ) as first_years
        on
            actuals.indicator_id = first_years.indicator_id
            and actuals.fiscal_year = first_years.first_fiscal_year

),

indicator_years as (

    select
        indicators.indicator_id,
        indicators.measure_id,
        indicators.direction,
        indicators.unit,
        indicators.source_kind,
        indicators.source_name,
        indicators.target_is_above_baseline,
        indicators.baseline_fiscal_year,
        indicators.target_fiscal_year,
        indicators.target_value as plan_target_value,
        indicators.baseline_value as plan_baseline_value,
        fiscal_years.fiscal_year,
        fiscal_years.evaluation_date,
        fiscal_years.is_complete_fiscal_year,
        indicators.target_text_ja = '初回の測定値の50%増' as is_target_relative_to_first_measurement,
        -- the lake table(s) whose load status tells whether the indicator's source is trustworthy
        indicators.source_lake_tables as source_table
    from indicators
    cross join fiscal_years

),

joined as (

    select
        indicator_years.*,
        actuals.actual_value,
        actuals.months_with_data,
        actuals.data_through_date,
        actuals.source_detail,
        coalesce(indicator_quarantine.files_quarantined_open, 0) = 0 as passed_quality_checks,
        case
            when indicator_years.is_target_relative_to_first_measurement
                then first_measurements.first_actual_value
            -- no number in the plan's 現状 cell: the activity had not started, so the baseline is 0
            else coalesce(indicator_years.plan_baseline_value, 0)
        end as effective_baseline_value,
        case
            when indicator_years.is_target_relative_to_first_measurement
                then 1.5 * first_measurements.first_actual_value
            else indicator_years.plan_target_value
        end as effective_target_value,
        case
            when indicator_years.is_target_relative_to_first_measurement
                then first_measurements.first_fiscal_year
            else indicator_years.baseline_fiscal_year
        end as effective_baseline_fiscal_year
    from indicator_years
    left join actuals
        on
            indicator_years.indicator_id = actuals.indicator_id
            and indicator_years.fiscal_year = actuals.fiscal_year
    left join indicator_quarantine
        on indicator_years.indicator_id = indicator_quarantine.indicator_id
    left join first_measurements
        on indicator_years.indicator_id = first_measurements.indicator_id

),

freshness_checked as (

    select
        *,
        -- M13-1 is an annual total: a partial year is scored on its pace (year-to-date × 12 ÷ months)
        case
            when unit = 'accesses' and months_with_data < 12
                then actual_value * 12 / months_with_data
            else actual_value
        end as scoring_value,
        coalesce(unit = 'accesses' and months_with_data < 12, false) as is_partial_year,
        data_through_date >= cast({{ dbt.dateadd('day', -1 * var('stale_after_days'), 'evaluation_date') }} as date)
            as is_data_fresh
    from joined

),

achievement_computed as (

    select
        *,
        case
            when direction = 'reach_by' then scoring_value >= 1
            when target_is_above_baseline then scoring_value > effective_baseline_value
            when direction = 'decrease' then scoring_value <= effective_target_value
            when direction = 'keep' and effective_target_value = 0 then scoring_value <= 0
            else scoring_value >= effective_target_value
        end as is_target_met,
        case
            -- milestone: 1 once done, 0 before
            when direction = 'reach_by'
                then case when scoring_value >= 1 then 1.0 else 0.0 end
            -- '↑' target: the level relative to the baseline (1 = still at the baseline)
            when target_is_above_baseline
                then {{ safe_divide('scoring_value', 'effective_baseline_value') }}
            -- keep a zero level (e.g. 0 incidents): 1 while it holds, else 0
            when direction = 'keep' and effective_target_value = 0
                then case when scoring_value <= 0 then 1.0 else 0.0 end
            -- keep a level: share of the level held, capped at 1 (exceeding a 100% level earns nothing more)
            when direction = 'keep'
                then case
                    when scoring_value >= effective_target_value then 1.0
                    else {{ safe_divide('scoring_value', 'effective_target_value') }}
                end
            -- increase / decrease: share of the distance from baseline to target covered
            else {{ safe_divide('(scoring_value - effective_baseline_value)', '(effective_target_value - effective_baseline_value)') }}
        end as raw_achievement_rate,
        case
            -- milestones are due in their target year: nothing is expected before it
            when direction = 'reach_by'
                then case when fiscal_year >= target_fiscal_year then 1.0 else 0.0 end
            -- '↑' and keep targets must hold every year
            when target_is_above_baseline or direction = 'keep' then 1.0
            when target_fiscal_year <= effective_baseline_fiscal_year then 1.0
            when fiscal_year >= target_fiscal_year then 1.0
            -- a target relative to a first measurement (M24-1) has no path before that measurement exists
            when effective_baseline_fiscal_year is null then 0.0
            when fiscal_year <= effective_baseline_fiscal_year then 0.0
            else cast(fiscal_year - effective_baseline_fiscal_year as double)
                / (target_fiscal_year - effective_baseline_fiscal_year)
        end as expected_progress_rate
    from freshness_checked

),

status_assigned as (

    select
        *,
        round(raw_achievement_rate, 4) as achievement_rate,
        case
            when actual_value is null then 'no_data'
            when not is_data_fresh or not passed_quality_checks then 'not_evaluable'
            when is_target_met then 'achieved'
            when raw_achievement_rate is null then 'not_evaluable'
            when round(raw_achievement_rate, 4) >= round(expected_progress_rate, 4) then 'on_track'
            when round(raw_achievement_rate, 4) >= round(expected_progress_rate - 0.1, 4) then 'at_risk'
            else 'off_track'
        end as progress_status
    from achievement_computed

),

final as (

    select
        indicator_id,
        measure_id,
        fiscal_year,
        evaluation_date,
        is_complete_fiscal_year,
        direction,
        target_is_above_baseline,
        effective_baseline_value,
        effective_baseline_fiscal_year,
        effective_target_value,
        target_fiscal_year,
        actual_value,
        scoring_value,
        months_with_data,
        is_partial_year,
        data_through_date,
        is_data_fresh,
        passed_quality_checks,
        source_table,
        source_detail,
        coalesce(is_target_met, false) as is_target_met,
        achievement_rate,
        round(expected_progress_rate, 4) as expected_progress_rate,
        progress_status
    from status_assigned

)

select * from final
