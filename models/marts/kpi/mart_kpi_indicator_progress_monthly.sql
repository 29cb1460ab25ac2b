with

monthly_actuals as (

    select * from {{ ref('int_indicator_actuals_by_fiscal_month') }}

),

scored as (

    select * from {{ ref('int_indicator_progress_scored') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

fiscal_months as (

    select * from {{ ref('dim_fiscal_month') }}

),

fiscal_years as (

    select * from {{ ref('dim_fiscal_year') }}

),

running_totals as (

    select
        monthly_actuals.*,
        sum(numerator_value) over (
            partition by indicator_id, fiscal_year
            order by fiscal_month_start_date
            rows between unbounded preceding and current row
        ) as numerator_value_fytd,
        sum(denominator_value) over (
            partition by indicator_id, fiscal_year
            order by fiscal_month_start_date
            rows between unbounded preceding and current row
        ) as denominator_value_fytd
    from monthly_actuals

),

valued as (

    select
        running_totals.indicator_id,
        running_totals.fiscal_month_start_date,
        running_totals.fiscal_year,
        fiscal_months.fiscal_month_number,
        running_totals.is_running_total,
        running_totals.scale_factor * {{ safe_divide('running_totals.numerator_value', 'running_totals.denominator_value') }}
            as actual_value_month,
        case
            when running_totals.is_running_total then running_totals.numerator_value_fytd
            else running_totals.scale_factor
                * {{ safe_divide('running_totals.numerator_value_fytd', 'running_totals.denominator_value_fytd') }}
        end as actual_value_fytd
    from running_totals
    inner join fiscal_months
        on running_totals.fiscal_month_start_date = fiscal_months.fiscal_month_start_date

),

targeted as (

    select
        valued.*,
        indicators.measure_id,
        indicators.name_ja as indicator_name_ja,
        indicators.name_en as indicator_name_en,
        indicators.unit,
        indicators.target_text_ja,
        indicators.target_value,
        scored.expected_progress_rate,
        -- the level the fiscal year should reach on the plan's path: the baseline itself for '↑' targets
        case
            when indicators.target_is_above_baseline then scored.effective_baseline_value
            else scored.effective_baseline_value
                + (scored.effective_target_value - scored.effective_baseline_value) * scored.expected_progress_rate
        end as target_value_this_year
    from valued
    inner join indicators
        on valued.indicator_id = indicators.indicator_id
    left join scored
        on
            valued.indicator_id = scored.indicator_id
            and valued.fiscal_year = scored.fiscal_year

),

-- a year in progress is compared with the same months of the previous year, never with its full year
with_previous_year as (

    select
        targeted.*,
        fiscal_years.is_complete as is_fiscal_year_complete,
        previous_year.actual_value_fytd as previous_year_actual_value_fytd
    from targeted
    inner join fiscal_years
        on targeted.fiscal_year = fiscal_years.fiscal_year
    left join valued as previous_year
        on
            targeted.indicator_id = previous_year.indicator_id
            and targeted.fiscal_year - 1 = previous_year.fiscal_year
            and targeted.fiscal_month_number = previous_year.fiscal_month_number

),

final as (

    select
        indicator_id,
        measure_id,
        fiscal_month_start_date,
        fiscal_year,
        fiscal_month_number,
        indicator_name_ja,
        indicator_name_en,
        unit,
        round(actual_value_month, 4) as actual_value_month,
        round(actual_value_fytd, 4) as actual_value_fytd,
        is_fiscal_year_complete,
        round(previous_year_actual_value_fytd, 4) as previous_year_actual_value_fytd,
        target_text_ja,
        target_value,
        round(target_value_this_year, 4) as target_value_this_year,
        -- running totals (M13-1) are compared with the year's target pro rata to the months elapsed
        round(
            case
                when is_running_total then target_value_this_year * fiscal_month_number / 12
                else target_value_this_year
            end,
            4
        ) as target_value_fytd,
        case
            when target_value_this_year is null or actual_value_fytd is null then null
            when is_running_total then actual_value_fytd >= target_value_this_year * fiscal_month_number / 12
            else actual_value_fytd >= target_value_this_year
        end as on_track_this_month
    from with_previous_year

)

select * from final
